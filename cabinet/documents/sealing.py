"""The one place a rendered document passes before it is stored and served: where its signature goes."""


def seal(pdf_bytes: bytes, *, title: str) -> bytes:
    """The document as it will be stored and served; for now the bytes unchanged (PAdES signing plugs in here)."""
    del title  # the signature's reason/stamp text once signing is plugged in
    return pdf_bytes
