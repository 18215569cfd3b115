"""The PDF and signing stack, loaded by the first document a process renders or signs, not by every worker at start.

fpdf2 with fontTools, and pyHanko with its aiohttp timestamp client, cost a worker ~55 MB, its fonts ~19 MB more
once parsed, and most requests render no document. So what may render or sign one reaches the stack through here:
the one module besides cli.py that imports inside functions (issue 16 allows it for heavy dependencies). Python
imports a module once per process: only the first call pays, and each font is parsed once per process after.
"""


def layout():
    """`cabinet.documents.layout`: the page every issued document shares (fpdf2, fontTools, the fonts)."""
    from cabinet.documents import layout

    return layout


def seal(pdf_bytes: bytes, *, title: str, locale: str) -> bytes:
    """`cabinet.documents.sealing.seal`: the operator's signature and its stamp (pyHanko)."""
    from cabinet.documents import sealing

    return sealing.seal(pdf_bytes, title=title, locale=locale)
