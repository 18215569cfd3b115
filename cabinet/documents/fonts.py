"""Fonts for generated PDFs, parsed once per process: fpdf2 would read the whole TTF again for every document."""

import copy
import threading
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

#: tables fpdf2 drops from every embedded subset anyway (layout, bitmaps, colour): dropped once, not per document
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT", "EBLC",
                 "EBSC", "SVG ", "CPAL", "COLR", "kern")

_lock = threading.Lock()


@cache
def prepared(path: str) -> tuple[bytes, list[str]]:
    """The font without the unused tables and with unnamed glyphs (post format 3), and its glyph order.

    Glyph names mean nothing inside a PDF, and reading DejaVu's 6,000 of them cost ~20 ms per document; one
    character map (the fullest Unicode one) is all fpdf2 reads.
    """
    font = ttLib.TTFont(path, recalcTimestamp=False)
    for tag in UNUSED_TABLES:
        if tag in font:
            del font[tag]
    font["post"].formatType = 3.0
    cmap = font["cmap"]
    cmap.tables = [max((t for t in cmap.tables if t.isUnicode()), key=lambda t: (len(t.cmap), t.format))]
    out = BytesIO()
    font.save(out)
    data = out.getvalue()
    return data, ttLib.TTFont(BytesIO(data), lazy=True).getGlyphOrder()


@cache
def _template(path: str, fontkey: str, style: str) -> TTFFont:
    """Widths, character map and descriptor, computed once; each document gets a copy with a fresh subset."""
    data, _order = prepared(path)
    return TTFFont(FPDF(), BytesIO(data), fontkey, style)


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """`pdf.add_font(family, style, path)`, without parsing the font file again."""
    style = "".join(sorted(style.upper()))
    fontkey = f"{family.lower()}{style}"
    with _lock:
        template = _template(str(path), fontkey, style)
    data, order = prepared(str(path))
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    # fpdf2 subsets it in place; the glyphs' bounding boxes are right already, so saving need not expand each glyph
    font.ttfont = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.ttfont.setGlyphOrder(order)
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font._hbfont = None
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font
