"""A .po file edited in Poedit or Weblate, taken back entry by entry under the editor's rules."""

import io
from dataclasses import dataclass, field

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from cabinet.messages import lazy_gettext as _l
from cabinet.translate import store
from cabinet.translate.checks import Problem, problems
from cabinet.translate.entries import msgid_of, strings_of
from cabinet.translate.saving import Change, apply, candidate, normalised

MAX_BYTES = 2 * 1024 * 1024


class UploadRefused(Exception):
    """The file as a whole cannot be read as this language's catalog; nothing was taken."""


NOT_IN_CATALOG = _l("This entry is not in the catalog.")
SOURCE_DIFFERS = _l("The source text differs from the catalog's (singular and plural forms).")


@dataclass
class Report:
    """What an upload did: entries taken, left as they were, left empty, and refused with the reasons."""

    taken: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    unchanged: int = 0
    empty: int = 0
    refused: list[tuple[str, list]] = field(default_factory=list)


def parse(data: bytes, locale: str) -> Catalog:
    """Read the uploaded bytes as a catalog of this language, or say plainly why not."""
    if len(data) > MAX_BYTES:
        raise UploadRefused(_l("The file is larger than 2 MB; a catalog is much smaller."))
    if not data.strip():
        raise UploadRefused(_l("The file is empty."))
    if b"\0" in data:
        raise UploadRefused(_l("This is not a .po file: it contains binary data (a .mo file, perhaps?)."))
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
    except PoFileError as error:
        raise UploadRefused(_l("This is not a valid .po file (a problem near line %(line)s); save it from Poedit "
                               "or Weblate and try again.", line=error.lineno + 1)) from error
    except Exception as error:  # Babel raises PoFileError, ValueError, UnicodeDecodeError… for a broken file
        raise UploadRefused(_l("This is not a valid .po file; save it from Poedit or Weblate and try again.")) \
            from error
    if catalog.locale is None:
        raise UploadRefused(_l("The file does not say which language it is in (its Language header is missing)."))
    if catalog.locale.language != locale:
        raise UploadRefused(_l("The file is a catalog for another language (%(found)s), not for this one.",
                               found=str(catalog.locale)))
    if not any(m.id for m in catalog):
        raise UploadRefused(_l("The file contains no entries."))
    return catalog


def merge(locale: str, uploaded: Catalog, *, actor) -> Report:
    """Take every entry that exists in the catalog and passes the rules; refuse the others. The caller commits."""
    report = Report()
    with store.locked(locale):
        catalog = store.read(locale)
        changes = []
        for incoming in uploaded:
            if not incoming.id:
                continue
            refusal = _judge(catalog, incoming, locale, report, changes)
            if refusal:
                report.refused.append((msgid_of(incoming), [_words(reason) for reason in refusal]))
        if changes:
            apply(locale, catalog, changes, actor=actor, via="upload")
    return report


def _words(reason) -> str:
    return reason.text() if isinstance(reason, Problem) else str(reason)


def _judge(catalog: Catalog, incoming, locale: str, report: Report, changes: list) -> list:
    """Sort one uploaded entry: a change to take, nothing to do, or the reasons it is refused."""
    current = catalog.get(msgid_of(incoming), incoming.context)
    if current is None or not current.id:
        return [NOT_IN_CATALOG]
    if current.id != incoming.id:
        return [SOURCE_DIFFERS]
    strings = normalised(strings_of(incoming))
    if not any(strings):
        report.empty += 1
        return []
    found: list[Problem] = problems(candidate(current, strings, fuzzy=incoming.fuzzy), locale)
    if found:
        return found
    if strings == strings_of(current) and not current.fuzzy:
        report.unchanged += 1
        return []
    report.taken.append((msgid_of(current), strings_of(current), strings))
    changes.append(Change(current, strings))
    return []
