"""The fast paths of the documents' page give the bytes fpdf2's own would: line breaking, and the font subsets."""

import gc
import json
import runpy
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from fpdf.enums import XPos, YPos

from cabinet.documents import fonts, layout
from cabinet.documents.layout import Page

BODY = ("Мен, Сейітова Әйгерім Нұрланқызы, 2026 жылғы 14 наурызда «Батыс Энергоресурсы» ЖШС-нің жеке кабинетінде "
        "тіркелдім. Прошу сообщить, какие сведения были переданы, кому и на каком основании: ә ғ қ ң ө ұ ү һ і. ")
TEXTS = [
    "", "\n", "a", "abc\n", "abc\n\n", "a\nb", "\n\nпосле двух пустых строк", BODY * 4, BODY + "\n" + BODY + "\n",
    "слово   с    пробелами " * 12, "  ведущие пробелы и хвост   ", "х" * 300, "SHA-256: " + "0123456789abcdef" * 8,
    "Таб\tуляция\tи\u200bнулевой\u200bпробел " * 10, "\u2003широкий\u2009тонкий пробел " * 20,
    "мягкий\u00adперенос " * 30, "неразрывный\u00a0пробел " * 30,
]
CREATED = datetime(2026, 5, 1, 10, 0)
pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="Poppler's pdftotext is not installed")


def by_fpdf(pdf: Page, text: str, size: float = 10, bold: bool = False, height: float = 5.2) -> None:
    """What `line_of` did before: fpdf2's `multi_cell`."""
    pdf.set_font(layout.FONT, "B" if bold else "", size)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def written(app, write, texts) -> tuple[bytes, float]:
    with app.test_request_context():
        pdf = Page("BE-2026-000001")
        pdf.set_creation_date(CREATED)
        pdf.add_page()
        for text, size, bold in texts:
            write(pdf, text, size=size, bold=bold)
        y = pdf.y
        return bytes(pdf.output()), y


@pytest.mark.parametrize("size,bold", [(10, False), (8.5, False), (11.5, True), (14, True)])
def test_line_of_breaks_lines_as_multi_cell_does(app, size, bold):
    texts = [(t, size, bold) for t in TEXTS] * 2  # twice: over a page break too
    assert written(app, Page.line_of, texts) == written(app, by_fpdf, texts)


def test_each_text_alone_gives_the_same_page(app):
    for text in TEXTS:
        assert written(app, Page.line_of, [(text, 10, False)]) == written(app, by_fpdf, [(text, 10, False)]), text


def test_the_subset_cut_from_the_usual_font_is_the_one_cut_from_the_whole(app, monkeypatch):
    texts = [(BODY * 3, 10, False), ("Тексеру коды: S1-1520-B772 № 5 ₸ → −", 11.5, True),
             ("ÄäĞğÑñÖöŪūÜüIıŞş", 10, False)]
    usual = written(app, Page.line_of, texts)[0]
    real = fonts.usual
    monkeypatch.setattr(fonts, "usual", lambda path: (*real(path)[:2], frozenset()))  # nothing is "usual"
    assert written(app, Page.line_of, texts)[0] == usual


@pdftotext
def test_a_letter_outside_the_usual_ones_comes_from_the_whole_font(app, tmp_path):
    text = "Греческие α β γ и знак ∑ ≠ ∞ рядом с қазақша"
    assert 0x3B1 not in fonts.USUAL_LETTERS and 0x2211 not in fonts.USUAL_LETTERS
    path = tmp_path / "rare.pdf"
    path.write_bytes(written(app, Page.line_of, [(text, 10, False)])[0])
    extracted = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert text in extracted


def test_a_server_worker_freezes_its_start_up_objects():
    hooks = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


#: run in a fresh interpreter: what a worker holds after start-up (neither the PDF stack nor Alembic), then after two
#: receipts rendered and signed, and how often each font file was parsed
FRESH_WORKER = """
import json, runpy, sys
from cabinet.app import create_app
HEAVY = ("aiohttp", "alembic", "fontTools", "fpdf", "pyhanko")  # alembic: only `flask db` loads it
app = create_app(json.loads(sys.argv[1]))
runpy.run_path("gunicorn.conf.py")["post_worker_init"](None)
print([m for m in HEAVY if m in sys.modules])
from cabinet.documents import fonts, signing, stamp
from cabinet.documents.lazy import layout
frozen = {"made_at": "2026-03-02T10:00:00+00:00", "reconstructed_at": None,
          "operator": {"name_kk": "Оператор", "name_ru": "Оператор"}}
with app.test_request_context():
    for _ in range(2):
        pdf = layout().issued_page("Түбіртек", frozen)
        pdf.line_of("Келісім берілді: әғқңөұүһі")
        assert signing.sign_pdf(layout().issued_end(pdf, frozen), locale="kk").startswith(b"%PDF")
print([m for m in HEAVY if m in sys.modules], fonts.prepared.cache_info().misses, stamp.stamp_font.cache_info().misses)
"""


def test_a_worker_loads_the_pdf_stack_with_its_first_document_and_parses_each_font_once(app_config):
    root = Path(__file__).resolve().parent.parent
    ran = subprocess.run([sys.executable, "-c", FRESH_WORKER, json.dumps(app_config)], capture_output=True,
                         text=True, cwd=root, check=False)
    assert ran.returncode == 0, ran.stderr
    at_start, after = ran.stdout.splitlines()[-2:]
    assert at_start == "[]"
    assert after == f"['aiohttp', 'fontTools', 'fpdf', 'pyhanko'] {len(layout.FACES)} 1"
