"""The complaint PDF: render alone, sign alone, render + sign; median and p90 of N runs after warm-up, kk and ru.

    .venv/bin/python benchmarks/pdf_sign.py [--repeat 100] [--warmup 10] [--key rsa2048|rsa3072|ec256] [--no-freeze]
                                            [--pkcs12 operator.p12 [--password …]] [--profile]

A fresh SQLite database in a temporary folder; one subject files a complaint of about two pages (Kazakh and
Russian text with the Kazakh letters), with two attachments, adds a supplement, and a support worker answers it:
the benchmark renders that complaint's last document version (3), as a download does. The operator's key is a
development certificate made there (RSA 2048 as `make run` makes it, unless --key says otherwise), or the
PKCS#12 file given with --pkcs12 (a production key, to see what its signatures cost). "sign" signs
an already rendered PDF; "render + sign" is what the first download of a version costs (`pdf.stored`, less the
database write). After set-up, the objects made so far are frozen out of the cycle collector, as a gunicorn worker
does at start (gunicorn.conf.py); --no-freeze leaves them in (a full collection then lands in about one render in
five). --profile prints the cProfile of render + sign in kk instead of the table.
"""

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared import machine, make_app, new_subject, scan, upgrade_schema  # noqa: E402

KEYS = ("rsa2048", "rsa3072", "ec256")
BODY = ("Мен, Сейітова Әйгерім Нұрланқызы, 2026 жылғы 14 наурызда «Батыс Энергоресурсы» ЖШС-нің жеке кабинетінде "
        "тіркелдім. Бірнеше аптадан кейін маған бөгде ұйымдардан қоңыраулар түсе бастады: олар менің атымды, "
        "телефон нөмірімді және тұрғылықты мекенжайымды білетін. Өтінемін, дербес деректерімнің қандай үшінші "
        "тұлғаларға, қандай негізде және қашан берілгенін жазбаша түрде хабарлаңыз. Қазақстан Республикасының "
        "«Дербес деректер және оларды қорғау туралы» Заңының 24-бабына сәйкес деректерімді өңдеуді тоқтатуды "
        "талап етемін. Ұғым, құқық, өкілдік, үшінші, қағида, ғұмыр, өңір — әріптер: ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү "
        "Һ І.\n"
        "Прошу также сообщить на русском языке, какие именно сведения были переданы, кому и на каком основании; "
        "приложенные документы подтверждают факт обращения. Срок ответа — десять рабочих дней со дня получения.\n")


def dev_certificate(path: Path, key: str) -> Path:
    """A development PKCS#12 with the key type asked for (`make run` makes RSA 2048)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from cabinet.documents import keyfile

    if key == "rsa2048":
        return keyfile.make_dev_certificate(path, "«Батыс Энергоресурсы» ЖШС")
    private = ec.generate_private_key(ec.SECP256R1()) if key == "ec256" else rsa.generate_private_key(65537, 3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "«Батыс Энергоресурсы» ЖШС (development)")])
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365)).sign(private, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"dev", private, certificate, None,
                                                           serialization.NoEncryption()))
    return path


def key_type(path: Path, password: str | None) -> str:
    """What the benchmark signs with, e.g. "RSA 3072" or "EC secp256r1"."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode() if password else None)[0]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    return f"{type(key).__name__.removeprefix('_').replace('PrivateKey', '')} {getattr(key, 'key_size', '')}".strip()


def spread(action, repeat: int, warmup: int) -> dict:
    """Median and p90 of wall-clock and of this process's CPU time: on a shared machine the CPU time shows the work."""
    for _ in range(warmup):
        action()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    p90 = lambda values: statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]  # noqa: E731
    return {"median": statistics.median(wall), "p90": p90(wall), "cpu": statistics.median(cpu), "cpu90": p90(cpu)}


def complaint_version(app):
    """Version 3 of a two-page complaint: filed with two attachments, supplemented, answered."""
    from datetime import date

    from cabinet.accounts import service as accounts
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.complaints import versions
    from cabinet.extensions import db
    from cabinet.policies.service import publish

    policy = publish("1", date(2026, 1, 1), {"kk": "# Саясат", "ru": "# Политика"}, {"kk": "", "ru": ""})
    subject = new_subject("bench-pdf@example.kz", policy)
    subject.patronymic = "Нұрланқызы"
    complaint, _created = complaint_operations.file(
        Actor(subject), subject, subject_line="Дербес деректерім рұқсатсыз үшінші тұлғаларға берілді",
        body=BODY * 5, desired_outcome="Деректерімді беруді тоқтатып, кімге берілгенін жазбаша хабарлаңыз.",
        scans=[scan("шарт-қолтаңбамен.pdf", "bench-1"), scan("скриншот-қоңырау.pdf", "bench-2")],
        token="bench-pdf-sign-0001")
    complaint_operations.supplement(Actor(subject), complaint,
                                    text="Қосымша: тағы бір қоңырау 2026 жылғы 2 сәуірде болды. " * 3,
                                    scans=[scan("қоңыраулар-тізімі.pdf", "bench-3")], token="bench-pdf-sign-0002")
    staff = accounts.create_user("bench-support@example.kz", "correct-horse-battery", roles=("support",),
                                 surname="Ахметов", given_name="Ерлан")
    complaint_operations.answer(Actor(staff), complaint,
                                text="Құрметті Әйгерім Нұрланқызы! Сіздің шағымыңыз қаралды. " * 6,
                                scans=[scan("жауап.pdf", "bench-4")], token="bench-pdf-sign-0003")
    db.session.commit()
    return versions.versions_of(complaint)[-1]


def measure(repeat: int, warmup: int, pkcs12: Path, password: str | None, profile: bool,
            freeze: bool) -> list[tuple[str, str, dict]]:
    from flask_babel import force_locale

    from cabinet.complaints import pdf
    from cabinet.documents import signing

    folder = Path(tempfile.mkdtemp(prefix="cabinet-pdf-sign-"))
    app = make_app(f"sqlite:///{folder / 'bench.sqlite'}", folder, SIGNING_PKCS12=str(pkcs12),
                   SIGNING_PKCS12_PASSWORD=password)
    upgrade_schema(app)
    rows = []
    with app.test_request_context("/", method="POST"):
        version = complaint_version(app)
        if freeze:
            gc.collect()
            gc.freeze()
        if profile:
            import cProfile
            import pstats

            with force_locale("kk"):
                for _ in range(warmup):
                    signing.sign_pdf(pdf.render(version), locale="kk")
                with cProfile.Profile() as profiler:
                    for _ in range(repeat):
                        signing.sign_pdf(pdf.render(version), locale="kk")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return []
        with force_locale("kk"):
            rows.append(("kk", "first render of the process (cold: fonts parsed)",
                         spread(lambda: pdf.render(version), 1, 0)))
        for locale in ("kk", "ru"):
            with force_locale(locale):
                rendered = pdf.render(version)
                rows.append((locale, "render", spread(lambda: pdf.render(version), repeat, warmup)))
                rows.append((locale, "sign", spread(lambda r=rendered, lc=locale: signing.sign_pdf(r, locale=lc),
                                                    repeat, warmup)))
                rows.append((locale, "render + sign", spread(
                    lambda lc=locale: signing.sign_pdf(pdf.render(version), locale=lc), repeat, warmup)))
                pdf.stored(version, locale)  # the first download stores it; every later one is this:
                rows.append((locale, "served from storage (hash checked)",
                             spread(lambda lc=locale: pdf.stored(version, lc), repeat, warmup)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--key", choices=KEYS, default="rsa2048")
    parser.add_argument("--pkcs12", type=Path, help="sign with this PKCS#12 file instead of a development key")
    parser.add_argument("--password", help="the --pkcs12 file's password")
    parser.add_argument("--no-freeze", dest="freeze", action="store_false")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    pkcs12 = args.pkcs12 or dev_certificate(Path(tempfile.mkdtemp(prefix="cabinet-pdf-key-")) / "dev.p12", args.key)
    signed_with = key_type(pkcs12, args.password)
    rows = measure(args.repeat, args.warmup, pkcs12, args.password, args.profile, args.freeze)
    if args.profile:
        return
    print(f"{machine()} — key {signed_with}; {args.repeat} runs after {args.warmup} warm-up, "
          f"start-up objects {'frozen' if args.freeze else 'not frozen'}, "
          f"{time.perf_counter() - started:.0f} s")
    print("| language | operation | median ms | p90 ms | median CPU ms | p90 CPU ms |\n|---|---|---:|---:|---:|---:|")
    for locale, operation, found in rows:
        print(f"| {locale} | {operation} | {found['median']:.1f} | {found['p90']:.1f} | {found['cpu']:.1f} "
              f"| {found['cpu90']:.1f} |")


if __name__ == "__main__":
    main()
