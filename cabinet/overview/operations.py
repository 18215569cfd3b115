"""What a subject takes from the cabinet as a whole: all their data, one function per form, each taking the Actor.

Each writes its trail event in the caller's transaction and never commits (the view commits at the edge).
"""

from cabinet.audit import labels, trail
from cabinet.audit.actor import Actor
from cabinet.messages import lazy_gettext as _l
from cabinet.overview import archive, export

labels.register_actions({
    "export.downloaded": _l("All data downloaded"),
})


def export_json(actor: Actor, subject) -> str:
    """All the subject's data as JSON; the download goes into the trail."""
    data = export.collect(subject)
    trail.record("export.downloaded", actor=actor, subject=subject)
    return archive.as_json(data)


def export_archive(actor: Actor, subject, today):
    """The same facts for a person (a document in the page's language, the scans, the JSON beside) as a spooled
    zip; the download goes into the trail."""
    documents = export.documents_of(subject)
    data = export.collect(subject, documents)
    spool = archive.build(subject, data, documents, today)
    try:
        trail.record("export.downloaded", actor=actor, subject=subject, details={"format": "zip"})
    except BaseException:
        spool.close()
        raise
    return spool
