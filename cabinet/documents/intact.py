"""A stored rendering is served only as it was signed: its bytes must still match the SHA-256 stored with them."""

import hashlib
import logging

log = logging.getLogger("cabinet.documents")


class AlteredRendering(RuntimeError):
    """The stored PDF no longer matches its stored hash: serving it (or a fresh, different one) would mislead."""


def checked(rendering, what: str):
    """The rendering, once its bytes are found to hash to its stored SHA-256; else a log line and an error page."""
    actual = hashlib.sha256(rendering.pdf).hexdigest()
    if actual != rendering.sha256:
        log.error("stored rendering of %s (%s) does not match its hash: stored %s, bytes hash to %s; not served",
                  what, rendering.locale, rendering.sha256, actual)
        raise AlteredRendering(f"the stored rendering of {what} ({rendering.locale}) was altered")
    return rendering
