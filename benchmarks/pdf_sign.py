"""The complaint PDF: render alone, sign alone, render + sign; medians of N runs after warm-up, kk and ru.

    .venv/bin/python benchmarks/pdf_sign.py [--repeat 100] [--warmup 5]

A fresh SQLite database in a temporary folder, one subject and one complaint with a long text and an attachment,
filed through the complaint service; the operator's key is the development certificate made there.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared import machine, make_app, new_subject, scan, upgrade_schema  # noqa: E402


def median_ms(action, repeat: int, warmup: int) -> tuple[float, float]:
    """Medians of wall-clock and of this process's CPU time: on a shared machine the second shows the work."""
    for _ in range(warmup):
        action()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def measure(repeat: int, warmup: int) -> list[tuple[str, str, tuple[float, float]]]:
    from flask_babel import force_locale

    from cabinet.complaints import pdf
    from cabinet.complaints import service as complaints
    from cabinet.documents import signing
    from cabinet.extensions import db
    from cabinet.policies.service import publish

    folder = Path(tempfile.mkdtemp(prefix="cabinet-pdf-sign-"))
    app = make_app(f"sqlite:///{folder / 'bench.sqlite'}", folder,
                   SIGNING_PKCS12=str(signing.make_dev_certificate(folder / "dev.p12", "«Батыс Энергоресурсы» ЖШС")))
    upgrade_schema(app)
    rows = []
    with app.test_request_context("/", method="POST"):
        from datetime import date

        version = publish("1", date(2026, 1, 1), {"kk": "# Саясат", "ru": "# Политика"}, {"kk": "", "ru": ""})
        subject = new_subject("bench-pdf@example.kz", version)
        complaint, _created = complaints.file_complaint(
            subject, actor=subject, subject_line="Деректерім рұқсатсыз берілді", body="Мәтін, Қазақстан. " * 120,
            desired_outcome="Тоқтатыңыз.", scans=[scan("акт.pdf", "bench")], token="bench-pdf-sign-0001")
        db.session.commit()
        record = complaints.record(complaint)
        for locale in ("kk", "ru"):
            with force_locale(locale):
                rendered = pdf.render(record)
                rows.append((locale, "render", median_ms(lambda: pdf.render(record), repeat, warmup)))
                rows.append((locale, "sign", median_ms(lambda r=rendered, lc=locale: signing.sign_pdf(r, locale=lc),
                                                       repeat, warmup)))
                rows.append((locale, "render + sign", median_ms(
                    lambda lc=locale: signing.sign_pdf(pdf.render(record), locale=lc), repeat, warmup)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = measure(args.repeat, args.warmup)
    print(f"{machine()} — {args.repeat} runs after {args.warmup} warm-up, {time.perf_counter() - started:.0f} s")
    print("| language | operation | median ms | median CPU ms |\n|---|---|---:|---:|")
    for locale, operation, (wall, cpu) in rows:
        print(f"| {locale} | {operation} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
