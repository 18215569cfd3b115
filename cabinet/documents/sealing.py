"""The one place a rendered document passes before it is stored and served: where its signature goes."""

from cabinet.documents.signing import sign_pdf


def seal(pdf_bytes: bytes, *, title: str, locale: str) -> bytes:
    """The document as it will be stored and served: signed by the operator, with a stamp in its language."""
    return sign_pdf(pdf_bytes, locale=locale, reason=title)
