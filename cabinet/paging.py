"""One page of a long list: a count and one page of rows, the same two queries however long the list grows."""

from dataclasses import dataclass

from cabinet.extensions import db

PAGE_SIZE = 25


@dataclass
class Page:
    rows: list
    total: int
    number: int
    pages: int


def bounded(number: int, total: int, size: int) -> tuple[int, int]:
    """The page to show and how many there are: a hand-edited number past either end shows the nearest page."""
    pages = max((total + size - 1) // size, 1)
    return min(max(number, 1), pages), pages


def page_of(query, counted, number: int, *, size: int = PAGE_SIZE, scalars: bool = False) -> Page:
    """`query` must be ordered to the last column that tells rows apart; `counted` counts the same rows."""
    total = db.session.scalar(counted)
    number, pages = bounded(number, total, size)
    paged = query.limit(size).offset((number - 1) * size)
    rows = (db.session.scalars(paged) if scalars else db.session.execute(paged)).all()
    return Page(rows, total, number, pages)
