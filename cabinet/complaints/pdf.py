"""The printable complaint: everything a court needs on paper, in the reader's language, with its code."""

from pathlib import Path

from flask import current_app
from flask_babel import format_date, format_datetime
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from cabinet.audit.labels import filesize
from cabinet.complaints.labels import STATUSES, STEPS
from cabinet.complaints.numbering import ANSWER_WORKING_DAYS
from cabinet.complaints.service import Record, Step
from cabinet.complaints.verification import code
from cabinet.database import utcnow
from cabinet.documents import fonts
from cabinet.i18n import operator_name
from cabinet.messages import gettext as _
from cabinet.messages import ngettext

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"


class _Document(FPDF):
    """A4 with the complaint's number and the page number at the foot of every page."""

    def __init__(self, number: str):
        super().__init__(format="A4")
        self.number = number
        fonts.add_font(self, FONT, "", FONTS / "DejaVuSans.ttf")  # parsed once per process
        fonts.add_font(self, FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, _("%(number)s, page %(page)s of %(pages)s", number=self.number,
                          page=self.page_no(), pages="{nb}"), align="C")

    def line_of(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5.2, gap: float = 0):
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if gap:
            self.ln(gap)

    def heading(self, text: str):
        self.ln(2)
        self.line_of(text, size=11.5, bold=True, height=6.5)


def _files(pdf: _Document, step: Step) -> None:
    for i, document in enumerate(step.documents, 1):
        pdf.line_of(f"{i}. {document.original_name} ({filesize(document.size)})", size=9.5)
        pdf.line_of(f"SHA-256: {document.sha256}", size=8.5, gap=1)


def render(record: Record) -> bytes:
    """The complaint as a PDF in the current request's language."""
    complaint, person = record.complaint, record.complaint.complainant
    config = current_app.config
    pdf = _Document(complaint.number)
    pdf.set_title(_("Complaint %(number)s", number=complaint.number))
    pdf.set_author(person.full_name)
    pdf.set_creator(config["OPERATOR_NAME"])
    pdf.add_page()

    pdf.line_of(_("To: %(operator)s, BIN %(bin)s", operator=operator_name(), bin=config["OPERATOR_BIN"]))
    pdf.line_of(_("From: %(name)s", name=person.full_name))
    contacts = ", ".join(c for c in (person.email, person.phone) if c)
    pdf.line_of(_("Contacts: %(contacts)s", contacts=contacts), gap=4)

    pdf.line_of(_("Written pre-court complaint (privacy policy, clause 5.2)"), size=14, bold=True, height=7.5)
    pdf.line_of(_("Registration number %(number)s", number=complaint.number), size=12, bold=True, height=7, gap=2)
    pdf.line_of(_("Received: %(when)s", when=format_datetime(complaint.received_at, "long")))
    pdf.line_of(ngettext("Answer due by: %(date)s (%(num)d working day from receipt)",
                         "Answer due by: %(date)s (%(num)d working days from receipt)", ANSWER_WORKING_DAYS,
                         date=format_date(complaint.due_on, "long")))
    pdf.line_of(_("Status: %(status)s", status=STATUSES.get(complaint.status, complaint.status)))

    pdf.heading(_("Subject"))
    pdf.line_of(complaint.subject_line)
    pdf.heading(_("Text of the complaint"))
    pdf.line_of(complaint.body)
    if complaint.desired_outcome:
        pdf.heading(_("What the complainant asks the operator to do"))
        pdf.line_of(complaint.desired_outcome)
    if record.filing.documents:
        pdf.heading(_("Attachments"))
        _files(pdf, record.filing)

    for step in record.supplements:
        pdf.heading(_("Supplement of %(when)s", when=format_datetime(step.event.at, "long")))
        pdf.line_of(step.event.text or "")
        _files(pdf, step)
    if record.answer is not None:
        pdf.heading(_("The operator's answer of %(when)s", when=format_datetime(record.answer.event.at, "long")))
        pdf.line_of(record.answer.event.text or "")
        _files(pdf, record.answer)

    pdf.heading(_("Timeline"))
    for step in record.steps:
        pdf.line_of(f"{format_datetime(step.event.at, 'medium')} — {STEPS.get(step.event.kind, step.event.kind)}")

    pdf.heading(_("Verification code: %(code)s", code=code(record)))
    pdf.line_of(_("The operator can confirm that this copy is genuine and unaltered from its registration "
                  "number and this code."), size=9)
    pdf.line_of(_("Printed from the personal cabinet on %(when)s.", when=format_datetime(utcnow(), "long")), size=9)
    return bytes(pdf.output())
