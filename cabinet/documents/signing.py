"""The operator's PAdES signature on the documents the cabinet issues, with a stamp saying who signed and when."""

import hashlib
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from flask import current_app
from flask_babel import force_locale
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import ALPHABET, FontSubsetCollection
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.info import update_info_dict
from pyhanko.pdf_utils.text import TextBoxStyle

with warnings.catch_warnings():  # pyHanko imports cryptography's DSA names, deprecated since cryptography 51
    warnings.filterwarnings("ignore", "DSA is deprecated")
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1 as as_asn1
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cabinet.dates import written_moment
from cabinet.documents import keyfile
from cabinet.documents.signer import KeptKeySigner
from cabinet.documents.stamp import FONT_FILE, FONT_SIZE, SAMPLE_DATES, StampFont  # noqa: F401 (FONT_FILE: tests)
from cabinet.messages import gettext as _

FIELD = "OperatorSignature"
#: bytes kept for the CMS container beyond the certificates and the signature value, and for a timestamp token
CMS_RESERVE, TIMESTAMP_RESERVE = 2048, 6144
MM = 72 / 25.4
#: the stamp sits in the last page's bottom margin, at the right, clear of a centred footer
STAMP_WIDTH, STAMP_HEIGHT, STAMP_RIGHT, STAMP_BOTTOM = 72 * MM, 13 * MM, 10 * MM, 3 * MM


@dataclass(frozen=True)
class Operator:
    """The signing key and certificate as loaded from one PKCS#12 file, and the name its certificate gives."""

    signer: signers.SimpleSigner
    name: str
    #: room for the CMS container (in hex digits, as pyHanko counts): fixed, so pyHanko need not sign once more
    #: to measure it (~10 ms)
    reserve: int


_operators: dict[str, tuple[int, Operator]] = {}
#: the letters of the stamps per (signer, language), worked out once per process
_letters: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return bool(current_app.config.get("SIGNING_ENABLED", True))


def sign_pdf(data: bytes, *, locale: str, reason: str | None = None, at: datetime | None = None) -> bytes:
    """The document signed by the operator (PAdES B-B, B-T with a timestamp server); only `at` varies the bytes."""
    if not enabled():
        return data
    operator = current_operator()
    at = (at or datetime.now(UTC)).replace(microsecond=0)
    writer = _Writer(BytesIO(data))
    writer.signed_at = at
    first_id = writer._document_id[0]  # the second half is random in pyHanko; derived here from what is signed
    writer._document_id = generic.ArrayObject(
        [first_id, generic.ByteStringObject(hashlib.sha256(data + at.isoformat().encode()).digest()[:16])])
    config = current_app.config
    meta = PdfSignatureMetadata(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
                                reason=reason, name=operator.name)
    timestamper = timestamps.HTTPTimeStamper(config["SIGNING_TIMESTAMP_URL"]) \
        if config.get("SIGNING_TIMESTAMP_URL") else None
    signer = _TimedSigner(meta, signer=operator.signer, timestamper=timestamper, at=at,
                          stamp_style=_stamp_style(_stamp_text(operator.name, at, locale),
                                                   _stamp_letters(operator.name, locale)),
                          new_field_spec=fields.SigFieldSpec(FIELD, box=_stamp_box(writer), on_page=-1))
    reserve = operator.reserve + (2 * TIMESTAMP_RESERVE if timestamper else 0)
    return signer.sign_pdf(writer, bytes_reserved=reserve).getvalue()


def _stamp_text(signer: str, at: datetime, locale: str) -> str:
    with force_locale(locale):
        lines = (_("Signed electronically by %(signer)s", signer=signer),
                 _("Signed on %(when)s", when=written_moment(at, locale)))
    return "\n".join(lines).replace("%", "%%")  # pyHanko formats the stamp text with %


def _stamp_letters(signer: str, locale: str) -> str:
    """Every letter a stamp by this signer in this language can hold: its words, digits, every month's name."""
    key = (signer, locale)
    if key not in _letters:
        _letters[key] = "".join(sorted(set("0123456789".join(_stamp_text(signer, d, locale) for d in SAMPLE_DATES))))
    return _letters[key]


def _stamp_style(text: str, letters: str) -> TextStampStyle:
    return TextStampStyle(stamp_text=text, border_width=1, timestamp_format="",
                          text_box_style=TextBoxStyle(font=StampFont(letters), font_size=FONT_SIZE, leading=9))


def _stamp_box(writer: IncrementalPdfFileWriter) -> tuple[float, float, float, float]:
    page = writer.find_page_for_modification(-1)[0].get_object()
    left, bottom, right, _top = (float(v) for v in page.get("/MediaBox", (0, 0, 595.28, 841.89)))
    x2, y1 = right - STAMP_RIGHT, bottom + STAMP_BOTTOM
    return x2 - STAMP_WIDTH, y1, x2, y1 + STAMP_HEIGHT


class _TimedSigner(PdfSigner):
    """One signing time for the signature dictionary, the CMS signing-time attribute and the stamp."""

    def __init__(self, *args, at: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._at = at

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._at
        return session


@dataclass(frozen=True)
class _NumberedSubsets(FontSubsetCollection):
    """Font subsets named in order (pyHanko draws random names), so equal input gives equal bytes."""

    def add_subset(self) -> str:
        return "CABST" + ALPHABET[len(self.subsets) % len(ALPHABET)]


class _Writer(IncrementalPdfFileWriter):
    #: the signing time, which the update's /ModDate states too (pyHanko writes the clock's "now" there, so two
    #: signatures of the same bytes at the same time differed when a second ticked over between them)
    signed_at: datetime | None = None

    def _update_meta(self):
        super()._update_meta()
        if self.signed_at is not None and self._info is not None:
            self._meta.last_modified = self.signed_at
            update_info_dict(self._meta, self._info.get_object(), only_update_existing=True)

    def get_subset_collection(self, base_postscript_name: str):
        found = self._font_resources.get(base_postscript_name)
        if found is None:
            found = self._font_resources[base_postscript_name] = _NumberedSubsets(base_postscript_name)
        return found


# -- the operator's key --------------------------------------------------------------------------------------------

def current_operator(app=None) -> Operator:
    """The operator's signer, loaded once per process and again only when its file changes."""
    app = app or current_app
    path = keyfile.pkcs12_path(app)
    password = app.config.get("SIGNING_PKCS12_PASSWORD")
    key = f"{path.resolve()}\0{password}"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as error:
        raise RuntimeError(f"cannot read the signing key and certificate from {path}: {error}") from error
    with _lock:
        cached = _operators.get(key)
        if cached is None or cached[0] != mtime:
            cached = _operators[key] = (mtime, _load(path, password))
    return cached[1]


def _load(path: Path, password) -> Operator:
    key, certificate, others = keyfile.read(path, password)
    chain = SimpleCertificateStore()
    chain.register_multiple([as_asn1(c) for c in others])
    signer = KeptKeySigner(signing_key=translate_pyca_cryptography_key_to_asn1(key),
                            signing_cert=as_asn1(certificate), cert_registry=chain)
    signer.key = key
    subject = signer.signing_cert.subject
    certificates = [certificate, *others]
    reserve = 2 * (CMS_RESERVE + sum(len(c.public_bytes(Encoding.DER)) for c in certificates)
                   + getattr(key, "key_size", 1024) // 8)
    return Operator(signer=signer, name=subject.native.get("common_name") or subject.human_friendly, reserve=reserve)
