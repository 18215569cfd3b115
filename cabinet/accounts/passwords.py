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


#: Kazakh and Russian letters as a person types their name in Latin letters (Айгерім → aigerim)
LATIN = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "і": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
})


def personal_words(*values) -> list[str]:
    """The pieces of names, e-mail addresses and phone numbers, lower-cased, also as typed in Latin letters."""
    words = set()
    for value in values:
        words.update(w for w in re.split(r"[\W_]+", (value or "").lower()) if len(w) >= 3)
    words |= {latin for word in words for latin in _latin_spellings(word)}
    return sorted(words)


def _latin_spellings(word: str) -> set[str]:
    """The usual ways of writing a Cyrillic word in Latin: й as i, j or y; a doubled letter written once."""
    spellings = {word.replace("й", y).translate(LATIN) for y in ("i", "j", "y")}
    return spellings | {re.sub(r"(.)\1", r"\1", s) for s in spellings}


def too_guessable(password: str, words=()) -> bool:
    """Whether the password is among those tried first (common, a pattern, or made of the person's words)."""
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=[*OPERATOR_WORDS, *words])
    return result["guesses_log10"] < MIN_GUESSES_LOG10
