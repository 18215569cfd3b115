"""Plain text broken into lines as fpdf2's `multi_cell` breaks it, in one pass instead of one sum per letter.

fpdf2 (2.8) measures the whole line again for every letter it adds, which made line breaking about two thirds
of a complaint's render time. This does the same arithmetic once per letter, so the lines, and the document's
bytes, are those `multi_cell` makes; tests/test_pdf_layout.py compares the two on the texts the documents hold.
"""

from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR, FORM_FEED, NBSP, SOFT_HYPHEN
from fpdf.util import FloatTolerance

#: what `multi_cell` treats specially beyond spaces and newlines: such a text is left to it
SPECIAL = (SOFT_HYPHEN, NBSP, FORM_FEED)


def lines(text: str, widths, size_pt: float, k: float, max_width: float) -> tuple[list[str], bool] | None:
    """The lines of `text` (a font's widths per 1000 units, its size in points, the unit's scale, the room) and
    whether the last one ended with a newline (`multi_cell` then moves down one more line), or None when the text
    holds a character whose handling is left to fpdf2 (soft hyphen, no-break space, form feed)."""
    text = text.replace("\r", "")
    if any(c in text for c in SPECIAL):
        return None
    tolerance, scale = FloatTolerance.TOLERANCE, size_pt * 0.001
    found, start, i, total, space, count, newline = [], 0, 0, 0, -1, len(text), False
    while i < count:
        char = text[i]
        if char == "\n":
            found.append(text[start:i])
            i = start = i + 1
            total, space, newline = 0, -1, True
            continue
        width = widths[ord(char)]
        # the very operations fpdf2 does: (line width + letter width) against the room, each scaled the same way
        if (total * scale) / k + (width * scale) / k - max_width > tolerance:
            if char in BREAKING_SPACE_SYMBOLS_STR:  # a space that does not fit ends the line and is dropped
                found.append(text[start:i])
                i = start = i + 1
            elif space >= 0:  # back to the last space: the word moves to the next line
                found.append(text[start:space])
                i = start = space + 1
            elif i == start:  # not one letter fits: fpdf2 raises; let it say so
                return None
            else:  # one word longer than the line: cut where it overflows
                found.append(text[start:i])
                start = i
            total, space, newline = 0, -1, False
            continue
        if char in BREAKING_SPACE_SYMBOLS_STR:
            space = i
        total += width
        i += 1
    if total:
        found.append(text[start:])
        newline = False
    return found or [""], newline
