"""Fonts for generated PDFs, parsed once per process: fpdf2 would read the whole TTF again for every document.

Each document embeds a subset of the glyphs it uses, which fpdf2 cuts when the document is saved. Cutting it out
of DejaVu's 6,000 glyphs cost ~14 ms per font and document; cut out of a font already reduced to the letters
documents usually hold (Latin, Cyrillic with the Kazakh letters, punctuation), it costs a third of that and gives
the same subset. A document using a glyph outside that is cut from the whole font, as before.
"""

import threading
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

#: tables fpdf2 drops from every embedded subset anyway (layout, bitmaps, colour): dropped once, not per document
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT", "EBLC",
                 "EBSC", "SVG ", "CPAL", "COLR", "kern")

#: the letters documents usually hold (the usual font is DejaVu cut down to these and the glyphs they are made of):
#: Latin with Latin-1 and Extended-A (the Kazakh Latin alphabet too), Cyrillic with the Kazakh letters,
#: punctuation, currency signs (₸), №, arrows, the minus, bullets
USUAL_LETTERS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x400, 0x530), *range(0x2010, 0x2070),
                 *range(0x20A0, 0x20D0), *range(0x2100, 0x2123), *range(0x2190, 0x219A), 0x2212, *range(0x25A0, 0x25D0),
                 0xFFFD]

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
def usual(path: str) -> tuple[bytes, list[str], frozenset[str]]:
    """The prepared font cut down to the usual letters, its glyph order, and that order as a set.

    Glyph names are kept as the whole font names them (a subset of a subset then names its glyphs alike), and the
    four glyphs every subset keeps (.notdef, .null, CR, space) stay first, so a document's subset cut from this
    font is the one cut from the whole font.
    """
    data, order = prepared(path)
    font = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    font.setGlyphOrder(order)
    cmap = font.getBestCmap()
    options = subset.Options(notdef_outline=True, recommended_glyphs=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=[cmap[c] for c in USUAL_LETTERS if c in cmap])
    subsetter.subset(font)
    kept = font.getGlyphOrder()
    out = BytesIO()
    font.save(out)
    return out.getvalue(), kept, frozenset(kept)


def _open(path: str, glyphs: list[str]) -> ttLib.TTFont:
    """The font a document's subset is cut from: the usual one when it holds every glyph used, else the whole."""
    data, order, names = usual(path)
    if not names.issuperset(glyphs):
        data, order = prepared(path)
    # fpdf2 subsets it in place; the glyphs' bounding boxes are right already, so saving need not expand each glyph
    font = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.setGlyphOrder(order)
    return font


class _Font(TTFFont):
    """fpdf2's font whose font file is opened only when the document is saved, once its glyphs are all known."""

    __slots__ = ("_path", "_opened")

    @property
    def ttfont(self) -> ttLib.TTFont:
        if self._opened is None:
            self._opened = _open(self._path, self.subset.get_all_glyph_names())
        return self._opened

    @ttfont.setter
    def ttfont(self, value) -> None:
        self._opened = value

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
        self._hbfont = None


@cache
def _template(path: str, fontkey: str, style: str) -> TTFFont:
    """Widths, character map and descriptor, computed once; each document gets a copy with a fresh subset."""
    data, _order = prepared(path)
    font = TTFFont(FPDF(), BytesIO(data), fontkey, style)
    font.ttfont = None  # each document opens its own (`_open`); the parsed glyphs need not stay in memory
    return font


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """`pdf.add_font(family, style, path)`, without parsing the font file again."""
    style = "".join(sorted(style.upper()))
    fontkey = f"{family.lower()}{style}"
    with _lock:
        template = _template(str(path), fontkey, style)
        usual(str(path))
    font = _Font.__new__(_Font)
    for name in TTFFont.__slots__:
        if name != "ttfont" and hasattr(template, name):
            setattr(font, name, getattr(template, name))
    font.i = len(pdf.fonts) + 1
    font._path, font._opened = str(path), None
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font._hbfont = None
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font
