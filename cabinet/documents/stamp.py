"""The signature stamp's font: DejaVu Sans cut down once per process, its embedded subset cut once per letter set.

pyHanko embeds, for every signature, a subset of the stamp's font holding the glyphs the stamp draws: parsing the
font, cutting the subset and compiling it cost about a third of a signature. The stamp always reads "signed by
<operator> on <date>", so its letters are those of the operator's name, the words and the date's digits and month
names: each stamp's subset is made to hold all of those (`letters`), and is then the same for every signature of
one operator in one language, cut and compressed once. Equal input still gives equal bytes.
"""

from datetime import UTC, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator

FONT_FILE = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
#: the letters a stamp can need: Latin, Latin-1, Cyrillic with the Kazakh letters, punctuation («», –, №)
STAMP_LETTERS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x400, 0x530), *range(0x2010, 0x2070), 0x2116]
#: a date in each month, in the stamp's format, gives every letter and digit a stamp's date can use
SAMPLE_DATES = [datetime(2026, month, 28, 10, 59, 59, tzinfo=UTC) for month in range(1, 13)]
FONT_SIZE = 7


@cache
def stamp_font() -> bytes:
    """The stamp's font: DejaVu Sans with only the letters a stamp uses and no layout tables or hinting."""
    options = subset.Options(layout_features=[], hinting=False, notdef_outline=True)
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
    font = ttLib.TTFont(str(FONT_FILE))
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=STAMP_LETTERS)
    subsetter.subset(font)
    scale_upem(font, 1000)  # pyHanko writes the glyph widths unscaled: right only for 1000 units per em
    out = BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=64)
def _program(glyphs: frozenset[int]) -> tuple[bytes, bytes]:
    """The embedded font program for these glyph ids, cut as pyHanko cuts it, and compressed: (filter, data)."""
    options = subset.Options(layout_closure=False, retain_gids=True)  # pyHanko's options for a TrueType font
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    # the glyphs' bounding boxes are right in stamp_font() already; saving need not expand each glyph
    font = ttLib.TTFont(BytesIO(stamp_font()), recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=sorted(glyphs))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    stream = generic.StreamObject(stream_data=out.getvalue())
    stream.compress()
    return stream.encoded_data


class _CutOnce(CIDFontType2):
    """pyHanko's TrueType CID font, whose program comes from `_program` for the glyphs its stamp holds."""

    glyphs: frozenset[int] = frozenset()

    def set_font_file(self, writer):
        data = _program(self.glyphs)
        font_stream = generic.StreamObject({"/Filter": generic.NameObject("/FlateDecode")}, encoded_data=data)
        font_stream_ref = writer.add_object(font_stream)
        self._font_descriptor[generic.NameObject("/FontFile2")] = font_stream_ref
        return font_stream_ref


class _Accumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator holding the stamp's letters from the start, its subset cut by `_program`."""

    def __init__(self, writer, letters: str, obj_stream=None):
        super().__init__(writer=writer, font_handle=BytesIO(stamp_font()), font_size=FONT_SIZE, obj_stream=obj_stream)
        self.cidfont_obj.__class__ = _CutOnce
        cmap = self.tt.getBestCmap()
        for letter in sorted(set(letters)):
            if ord(letter) in cmap:
                self._get_cid_and_width(self.tt.getGlyphID(cmap[ord(letter)]))

    def _extract_subset(self, options=None):
        """No subset of the font in memory: `_CutOnce` embeds the one cut for these glyphs."""
        self.cidfont_obj.glyphs = frozenset(self._glyphs)


class StampFont(FontEngineFactory):
    """The stamp's font engine; `letters` are every letter its stamps can hold (see the module's note)."""

    def __init__(self, letters: str):
        self.letters = letters

    def create_font_engine(self, writer, obj_stream=None):
        return _Accumulator(writer, self.letters, obj_stream=obj_stream)
