"""The operator's PAdES signature on complaint PDFs, as pyHanko and Poppler's pdfsig check it, and its stamp."""

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from fpdf import FPDF
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation.status import SignatureCoverageLevel

from cabinet.app import create_app
from cabinet.documents import keyfile, signing
from cabinet.documents.fonts import add_font
from cabinet.documents.signer import KeptKeySigner
from tests.helpers import DEV_SIGNER, OPERATOR, PRODUCTION, file_complaint, login_as, pdftotext, validated

pdfsig = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="Poppler's pdfsig is not installed")


@pytest.fixture
def subject(create_user, login):
    user = create_user(surname="Сейітова", given_name="Әйгерім")
    login(user)
    return user


def downloaded(client, lang="kk") -> bytes:
    client.get(f"/lang/{lang}")
    number = file_complaint(client)
    response = client.get(f"/cabinet/complaints/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def tampered(data: bytes) -> bytes:
    """One byte changed inside the signed range: in the header's binary comment, which keeps the file readable."""
    at = data.index(b"\n%") + 2
    assert at < int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data).group(1))
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def test_the_subjects_pdf_is_signed_intact_valid_and_covers_the_whole_file(client, subject, trust):
    status = validated(downloaded(client), trust)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == DEV_SIGNER
    assert status.bottom_line


def test_the_staff_pdf_is_signed_too(app, client, subject, create_user, trust):
    number = file_complaint(client)
    staff = login_as(app, create_user(email="support@example.kz", roles=("support",)))
    response = staff.get(f"/staff/complaints/{number}.pdf")
    assert response.status_code == 200
    status = validated(response.data, trust)
    assert status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_a_byte_changed_after_signing_is_reported_by_pyhanko(client, subject, trust):
    status = validated(tampered(downloaded(client)), trust)
    assert not status.intact and not status.bottom_line


def run_pdfsig(data: bytes, tmp_path) -> str:
    path = tmp_path / "complaint.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


@pdfsig
def test_pdfsig_reports_the_signature_valid_and_the_development_certificate_unknown(client, subject, tmp_path):
    report = run_pdfsig(downloaded(client), tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert f"Signer Certificate Common Name: {DEV_SIGNER}" in report
    assert re.search(r"Certificate Validation: (Certificate issuer is unknown|Certificate is not trusted|"
                     r"Untrusted)", report), report


@pdfsig
def test_pdfsig_reports_a_changed_byte(client, subject, tmp_path):
    report = run_pdfsig(tampered(downloaded(client)), tmp_path)
    assert "Signature Validation: Signature is Invalid." in report or "Digest Mismatch" in report, report
    assert "Signature is Valid." not in report


@pdftotext
@pytest.mark.parametrize(("lang", "says", "when"), [
    ("kk", "Электрондық қолтаңба қойған", "2026 жылғы 7 желтоқсан, 14:30 (Астана уақыты)"),
    ("ru", "Подписано электронной", "7 декабря 2026 г., 14:30 (время Астаны)")])
def test_the_stamp_names_the_signer_and_the_time_in_the_documents_language(app, lang, says, when, tmp_path):
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with app.test_request_context():
        pdf = FPDF()
        add_font(pdf, "DejaVu", "", signing.FONT_FILE)
        pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        pdf.cell(text="Шағым")
        data = signing.sign_pdf(bytes(pdf.output()), locale=lang, at=at)
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert says in text
    assert DEV_SIGNER in text
    assert when in text  # 09:30 UTC is 14:30 in Astana, the zone named in words


def test_signing_is_deterministic_but_for_the_time(app, client, subject):
    data = downloaded(client)
    unsigned = data[:data.index(b"%%EOF") + 5]  # the document as rendered, before pyHanko's update
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with app.test_request_context():
        first, again = (signing.sign_pdf(unsigned, locale="kk", at=at) for _ in range(2))
        later = signing.sign_pdf(unsigned, locale="kk", at=datetime(2026, 12, 7, 9, 31, tzinfo=UTC))
    assert first == again
    assert later != first
    # the update's /ModDate is the signing time, not the clock's (it made two signings straddling a second differ)
    info = PdfFileReader(io.BytesIO(first)).trailer_view["/Info"]
    assert str(info["/ModDate"]).startswith("D:20261207093000")


def test_the_signature_is_the_one_pyhanko_makes_unaided(app, client, subject, monkeypatch):
    """The signer builds its constant parts once (documents/signer.py): the bytes stay those pyHanko would make."""
    data = downloaded(client)
    unsigned = data[:data.index(b"%%EOF") + 5]
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with app.test_request_context():
        fast = [signing.sign_pdf(unsigned, locale=lang, at=at) for lang in ("kk", "ru")]
        monkeypatch.setattr(KeptKeySigner, "_signed_attr_provider_spec", SimpleSigner._signed_attr_provider_spec)
        unaided = [signing.sign_pdf(unsigned, locale=lang, at=at) for lang in ("kk", "ru")]
    assert fast == unaided


def test_development_makes_its_certificate_on_first_use(app_config, tmp_path):
    app = create_app({**app_config, "SIGNING_PKCS12": None})
    app.instance_path = str(tmp_path)
    with app.test_request_context():
        assert signing.current_operator().name == f"{app.config['OPERATOR_NAME']} (development)"
    assert (tmp_path / keyfile.DEV_PKCS12).exists() and (tmp_path / keyfile.DEV_CERTIFICATE).exists()


def test_the_dev_cert_command_makes_it_once(app_config, tmp_path):
    app = create_app({**app_config, "SIGNING_PKCS12": None})
    app.instance_path = str(tmp_path)
    first = app.test_cli_runner().invoke(args=["documents", "dev-cert"])
    assert first.exit_code == 0 and "(development)" in first.output
    made = (tmp_path / keyfile.DEV_PKCS12).read_bytes()
    assert app.test_cli_runner().invoke(args=["documents", "dev-cert"]).exit_code == 0
    assert (tmp_path / keyfile.DEV_PKCS12).read_bytes() == made




def test_production_refuses_to_start_without_the_operators_key(app_config, monkeypatch):
    monkeypatch.delenv("CABINET_SIGNING_PKCS12", raising=False)
    with pytest.raises(RuntimeError, match="CABINET_SIGNING_PKCS12"):
        create_app({**app_config, **PRODUCTION, **OPERATOR, "SIGNING_PKCS12": None})


def test_production_refuses_a_key_it_cannot_open(app_config, signing_pkcs12, tmp_path):
    with pytest.raises(RuntimeError, match="cannot read the signing key"):
        create_app({**app_config, **PRODUCTION, **OPERATOR, "SIGNING_PKCS12_PASSWORD": "wrong"})
    with pytest.raises(RuntimeError, match="cannot read the signing key"):
        create_app({**app_config, **PRODUCTION, **OPERATOR, "SIGNING_PKCS12": str(tmp_path / "missing.p12")})


def test_production_may_say_documents_go_out_unsigned(app_config):
    app = create_app({**app_config, **PRODUCTION, **OPERATOR, "SIGNING_PKCS12": None, "SIGNING_ENABLED": False})
    with app.test_request_context():
        assert signing.sign_pdf(b"%PDF-1.4 unchanged", locale="kk") == b"%PDF-1.4 unchanged"
