"""All my data as one ZIP a person can open: a readable document in their language, their scans, the JSON.

Built in a temporary file (scans may weigh tens of megabytes), each scan copied from the upload folder in chunks
while its SHA-256 is checked against the one recorded at upload.
"""

import hashlib
import json
import re
import tempfile
import unicodedata
import zipfile
from datetime import date

from flask import render_template

from cabinet.database import utcnow
from cabinet.dates import local
from cabinet.documents import storage
from cabinet.documents.models import Document
from cabinet.overview import readable

CHUNK = 1 << 20
#: characters no file system or unzip tool should meet in a name
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def as_json(data: dict) -> str:
    """The export's JSON text, the same at /cabinet/export and in the archive."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def folder(today: date) -> str:
    """The archive's one top-level folder, also the download's name without `.zip`."""
    return f"cabinet-export-{today.isoformat()}"


def safe_name(document: Document) -> str:
    """The scan's path in the archive: its id (names repeat) and the uploader's name, stripped of anything a
    file system could take for a folder, a device or a hidden file, with the extension of what the bytes are."""
    name = UNSAFE.sub("_", unicodedata.normalize("NFC", document.original_name)).strip(" .") or "document"
    return f"documents/{document.id}-{storage.named_as(name[:100], document.content_type)}"


def _entry(name: str, *, stored: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=local(utcnow()).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def _copy_scan(archive: zipfile.ZipFile, root: str, document: Document) -> dict:
    """One scan into the archive; whether the bytes are the ones recorded at upload (None: file missing)."""
    path, digest = safe_name(document), hashlib.sha256()
    try:
        source = storage.path_of(document).open("rb")
    except FileNotFoundError:
        return {"path": None, "intact": None}
    with source, archive.open(_entry(f"{root}/{path}", stored=True), "w") as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return {"path": path, "intact": digest.hexdigest() == document.sha256}


def build(subject, data: dict, documents: list[Document], today: date):
    """The ZIP in an unnamed temporary file, rewound; the caller sends and closes it."""
    root = folder(today)
    spool = tempfile.TemporaryFile()
    try:
        with zipfile.ZipFile(spool, "w", allowZip64=True) as archive:
            files = {d.id: _copy_scan(archive, root, d) for d in documents}
            page = render_template("overview/export.html", subject=subject, made_on=today,
                                   **readable.context(data, subject, files))
            archive.writestr(_entry(f"{root}/my-data.html"), page)
            archive.writestr(_entry(f"{root}/data.json"), as_json(data))
            readme = render_template("overview/export_readme.txt", made_on=today)
            archive.writestr(_entry(f"{root}/README.txt"), "\ufeff" + readme.replace("\n", "\r\n"))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
