"""A diff between two policy texts that a non-technical reader follows: paragraphs side by side."""

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass
class Row:
    """One row of the side-by-side view: the old paragraph, the new one, and what happened."""

    kind: str  # "same", "changed", "added", "removed"
    old: Markup
    new: Markup


def _paragraphs(text: str) -> list[str]:
    """Paragraphs as a reader sees them: Markdown's bold and heading marks are not part of the words."""
    plain = re.sub(r"^#+\s*", "", text.replace("\r\n", "\n").replace("**", ""), flags=re.MULTILINE)
    return [p.strip() for p in plain.split("\n\n") if p.strip()]


def _words(old: str, new: str) -> tuple[Markup, Markup]:
    """Mark deleted words in the old paragraph and inserted words in the new one."""
    a, b = old.split(), new.split()
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old_part, new_part = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if i2 > i1:
            left.append(Markup("<del>{}</del>").format(old_part))
        if j2 > j1:
            right.append(Markup("<ins>{}</ins>").format(new_part))
    return Markup(" ").join(left), Markup(" ").join(right)


def compare(old_text: str, new_text: str) -> list[Row]:
    """Rows for every paragraph of either version, changed ones paired where they correspond."""
    old, new = _paragraphs(old_text), _paragraphs(new_text)
    rows = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [Row("same", escape(p), escape(p)) for p in old[i1:i2]]
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            rows.append(Row("changed", *_words(old[i1 + k], new[j1 + k])))
        rows += [Row("removed", Markup("<del>{}</del>").format(p), Markup("")) for p in old[i1 + pairs:i2]]
        rows += [Row("added", Markup(""), Markup("<ins>{}</ins>").format(p)) for p in new[j1 + pairs:j2]]
    return rows
