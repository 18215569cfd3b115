"""The catalog files on disk: one writer at a time, whole-file replacement, the .mo compiled alongside."""

import contextlib
import fcntl
import io
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cabinet.translate.paths import po_path


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


@contextlib.contextmanager
def locked(locale: str):
    """Serialise read-modify-write of one catalog across threads and worker processes.

    The lock is on the LC_MESSAGES directory, which is never replaced (the files in it are), and leaves no file behind.
    """
    fd = os.open(po_path(locale).parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read(locale: str) -> Catalog:
    with open(po_path(locale), "rb") as f:
        return read_po(f, locale=locale)


#: parsed catalogs for reading, by file, with the stat stamp they were parsed under
_parsed: dict[str, tuple[tuple, Catalog]] = {}


def read_shared(locale: str) -> Catalog:
    """The catalog for pages that only read it, parsed again only when a save replaced the file.

    Parsing a .po takes longer than the rest of the page; a save writes a new file (new inode), so every
    worker process sees the change at its next request. Never modify what this returns: use read().
    """
    path = po_path(locale)
    status = path.stat()
    stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
    cached = _parsed.get(str(path))
    if cached is None or cached[0] != stamp:
        cached = _parsed[str(path)] = (stamp, read(locale))
    return cached[1]


def po_bytes(catalog: Catalog) -> bytes:
    """The catalog as `pybabel update --no-wrap` writes it, so saves from the browser make small diffs."""
    out = io.BytesIO()
    write_po(out, catalog, width=None, include_previous=True)
    return out.getvalue()


def write(locale: str, catalog: Catalog) -> None:
    """Replace the .po and its .mo; a reader sees the old file or the new one, never half of either."""
    replace(po_path(locale), po_bytes(catalog))
    compile_mo(locale, catalog)


def compile_mo(locale: str, catalog: Catalog) -> None:
    """The .mo the site reads, without fuzzy entries (as `pybabel compile` does)."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    replace(mo_path(locale), compiled.getvalue())


def replace(path: Path, data: bytes) -> None:
    """Write a whole file under a temporary name, then rename it over the old one."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
