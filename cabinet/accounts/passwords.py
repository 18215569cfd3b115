"""Password rules: a minimum length, and no password an attacker would try first (ASVS V6.2.4, V6.2.11).

zxcvbn knows the common-password lists, keyboard walks, repeats and dates; the person's own name,
address and phone are added as words an attacker who knows them would try.
"""

import re

from zxcvbn import zxcvbn

#: zxcvbn looks at no more than this many characters; a longer password is judged by its start
CHECKED_LENGTH = 72
#: zxcvbn's estimate of the guesses needed, as a power of ten: 10⁹ is about 1.5 years of one core at argon2's cost
MIN_GUESSES_LOG10 = 9
#: the operator's own words, which people like to build passwords from
OPERATOR_WORDS = ("batys", "cabinet", "kabinet", "energoresursy", "батыс", "кабинет")


def personal_words(*values) -> list[str]:
    """The pieces of names, e-mail addresses and phone numbers, lower-cased."""
    words = set()
    for value in values:
        words.update(w for w in re.split(r"[\W_]+", (value or "").lower()) if len(w) >= 3)
    return sorted(words)


def too_guessable(password: str, words=()) -> bool:
    """Whether the password is among those tried first (common, a pattern, or made of the person's words)."""
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=[*OPERATOR_WORDS, *words])
    return result["guesses_log10"] < MIN_GUESSES_LOG10
