"""The page every issued document shares: A4, DejaVu, and a foot naming the document, its page and where to check it."""

from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from cabinet.dates import written
from cabinet.documents import fonts, wrapping
from cabinet.messages import gettext as _

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"
FACES = (("", FONTS / "DejaVuSans.ttf"), ("B", FONTS / "DejaVuSans-Bold.ttf"))
#: the foot's width in mm: the page's 174 less the stamp's 72 and a gap
FOOT_WIDTH = 96


def when(value: str) -> str:
    """A moment as a snapshot writes it (ISO 8601), as a document states it in the reader's language and zone."""
    return written(value)


def reader_locale() -> str:
    return "ru" if str(get_locale()) == "ru" else "kk"


def issued_page(title: str, frozen: dict) -> "Page":
    """The first page of an issued document: titled, made by the operator at the moment its snapshot was made."""
    pdf = Page(title)
    pdf.set_title(title)
    pdf.set_creator(frozen["operator"][f"name_{reader_locale()}"])
    pdf.set_creation_date(datetime.fromisoformat(frozen["made_at"]))
    pdf.add_page()
    return pdf


def issued_end(pdf: "Page", frozen: dict) -> bytes:
    """The last lines of an issued document (when it was issued, and whether it was made later) and its bytes."""
    pdf.ln(2)
    pdf.line_of(_("Issued on %(when)s.", when=when(frozen["made_at"])), size=8.5)
    if frozen["reconstructed_at"]:
        pdf.line_of(_("This document was made on %(when)s from the data as then stored: the decision was recorded "
                      "before documents were frozen with it.", when=when(frozen["reconstructed_at"])), size=8.5)
    return bytes(pdf.output())


def verify_url() -> str:
    return f"{current_app.config['BASE_URL']}/verify"


class Page(FPDF):
    """A4 with `foot` (the document's name and version) and the page number on every page."""

    def __init__(self, foot: str, *, checkable: bool = False):
        super().__init__(format="A4")
        self.foot, self.checkable = foot, checkable
        for style, path in FACES:
            fonts.add_font(self, FONT, style, path)  # parsed once per process
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self):
        """At the left, clear of the signature stamp in the last page's bottom right corner."""
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.cell(FOOT_WIDTH, 4, _("%(document)s, page %(page)s of %(pages)s", document=self.foot,
                                   page=self.page_no(), pages="{nb}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.checkable:
            self.cell(FOOT_WIDTH, 4, _("Check this document at %(url)s", url=verify_url()))

    def line_of(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5.2, gap: float = 0):
        """`multi_cell(0, height, text)`, its lines found in one pass (fpdf2 measures each line once per letter)."""
        self.set_font(FONT, "B" if bold else "", size)
        room = self.w - self.r_margin - self.x
        found = wrapping.lines(text, self.current_font.cw, self.font_size_pt, self.k,
                               room - self.c_margin - self.c_margin)
        if found is None:
            self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            found, newline = found
            for i, line in enumerate(found, 1):
                self.cell(room, height, line, align="L", new_x=XPos.LMARGIN if i == len(found) else XPos.LEFT,
                          new_y=YPos.NEXT)
            if newline:  # as multi_cell does after a text ending with a newline
                self.ln()
        if gap:
            self.ln(gap)

    def heading(self, text: str):
        self.ln(2)
        self.line_of(text, size=11.5, bold=True, height=6.5)
