"""Everything the operator must answer, of every kind, a page at a time by due date: the deadlines page.

Each kind is read on its own index from where the page starts, only as far as one page, and the kinds are merged
(within a due date: corrections, withdrawals, complaints, each by id). The next and previous pages start from a
cursor (`paging`); `?page=N` jumps to page N by reading the first N pages' keys of each kind.
"""

import heapq
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import url_for
from sqlalchemy import func, select, tuple_

from cabinet.complaints.models import IS_OPEN, OPEN_STATUSES, Complaint
from cabinet.consents.models import Withdrawal
from cabinet.extensions import db
from cabinet.paging import Page, bounded, count_up_to_limit, decode, encode, following, placed
from cabinet.profile.models import CorrectionRequest

PAGE_SIZE = 50
#: a cursor's key: the due date, the kind's place in KINDS, the row's id
KEY_TYPES = (date, int, int)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    #: which rows wait (as the kind's partial index says it) and the same for counting them
    waiting: object
    counted: object
    #: what the link to the row needs besides its id (a complaint's number)
    shown: tuple = ()


@cache
def kinds() -> tuple[Kind, ...]:
    """The kinds in their order on the page; built once (their conditions are immutable expressions, and building
    them for every row was half the page's time)."""
    return (Kind("correction", CorrectionRequest, CorrectionRequest.status == "pending",
                 CorrectionRequest.status == "pending"),
            Kind("withdrawal", Withdrawal, Withdrawal.status == "scheduled", Withdrawal.status == "scheduled"),
            Kind("complaint", Complaint, IS_OPEN, Complaint.status.in_(OPEN_STATUSES), (Complaint.number,)))


@dataclass(frozen=True)
class Item:
    kind: str
    due_on: date
    id: int
    reference: str | None

    @property
    def url(self) -> str:
        if self.kind == "complaint":
            return url_for("staff_complaints.detail", number=self.reference)
        return url_for("staff.corrections" if self.kind == "correction" else "staff.withdrawals")


def _keys(rank: int, kind: Kind, *, start=None, end=None, limit: int):
    """(due date, rank, id, reference) of the kind's waiting rows in the list's order, after `start` or before
    `end` (in reverse), at most `limit`."""
    model, backward = kind.model, end is not None
    query = select(model.due_on, model.id, *kind.shown).where(kind.waiting)
    cursor = end if backward else start
    if cursor is not None:
        day, their_rank, last = cursor
        if rank == their_rank:
            position, against = tuple_(model.due_on, model.id), tuple_(day, last)
            query = query.where(position < against if backward else position > against)
        elif (rank > their_rank) != backward:  # this kind comes after the cursor's on its day
            query = query.where(model.due_on <= day if backward else model.due_on >= day)
        else:
            query = query.where(model.due_on < day if backward else model.due_on > day)
    order = (model.due_on.desc(), model.id.desc()) if backward else (model.due_on, model.id)
    return [(due, rank, row, shown[0] if shown else None) for due, row, *shown in db.session.execute(
        query.order_by(*order).limit(limit))]


def _merged(start=None, end=None, limit: int = PAGE_SIZE) -> list[tuple]:
    found = [_keys(rank, kind, start=start, end=end, limit=limit) for rank, kind in enumerate(kinds())]
    return list(heapq.merge(*found, reverse=end is not None))[:limit]


def _total() -> tuple[int, bool]:
    """How many matters wait, each kind counted no further than the list's limit, and whether one stopped there."""
    counts = [count_up_to_limit(select(func.count()).select_from(kind.model).where(kind.counted)) for kind in kinds()]
    return sum(count for count, _capped in counts), any(capped for _count, capped in counts)


def page(number: int = 1, *, after: str | None = None, before: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the deadlines, its rows Items: after a cursor's row, before one, or else page `number`."""
    total, capped = _total()
    asked, (number, pages) = max(number, 1), bounded(number, total, size)
    start, end = decode(after, KEY_TYPES), decode(before, KEY_TYPES)
    keys = _merged(start, end, size + 1) if start is not None or end is not None else []
    if keys:
        more, keys = len(keys) > size, keys[:size]
        if end is not None:
            keys.reverse()
        number, pages, capped = placed(asked, number, pages, capped=capped, more=more, forward=start is not None)
    else:  # a page by its number, or the rows past the cursor were answered meanwhile
        keys = _merged(limit=number * size + 1)[(number - 1) * size:]
        more, keys = len(keys) > size, keys[:size]
    rows = [Item(kinds()[rank].name, due, row, reference) for due, rank, row, reference in keys]
    return Page(rows, total, number, pages,
                after=encode(keys[-1][:3]) if keys and following(number, pages, capped=capped, more=more) else None,
                before=encode(keys[0][:3]) if keys and number > 2 else None, capped=capped)
