"""One page of a long list: a count and one page of rows, the same queries however long the list grows.

The next and previous pages are found from where this one ends (keyset: `after=`/`before=` cursors on the list's
ordering, one page of an index however deep); `?page=N` still jumps straight to page N (an offset). The count stops
at COUNT_LIMIT: past it the pager says "of 41+" and the rows themselves tell where the list ends.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from flask import request
from sqlalchemy import func, literal_column, select, tuple_

from cabinet.extensions import db

PAGE_SIZE = 25
#: a list's rows are counted this far and no further, so its count costs the same however long it grows
COUNT_LIMIT = 1000
#: a cursor longer than this is not one of ours
MAX_CURSOR = 200


@dataclass
class Page:
    rows: list
    total: int
    number: int
    pages: int
    #: the cursors of the next page (rows after this page's last) and of the previous one; None at either end
    after: str | None = None
    before: str | None = None
    #: the count stopped at COUNT_LIMIT: `pages` is how many there are at least
    capped: bool = False


def count_up_to_limit(counted, params: dict | None = None) -> tuple[int, bool]:
    """What `counted` (a `select(func.count())…where(…)`) counts, read no further than COUNT_LIMIT + 1 rows, and
    whether it stopped there; `params`: the values of its bind parameters (then it is built once, see `kept`)."""
    total = db.session.scalar((_capped if params is not None else _capped.__wrapped__)(counted), params)
    return total, total > COUNT_LIMIT


#: statements derived from a caller's statement built once (module level, values as bind parameters): building and
#: keying a statement costs SQLAlchemy several times what running it does. Keyed by the statement object itself.
KEPT_STATEMENTS = 256


@lru_cache(maxsize=KEPT_STATEMENTS)
def _capped(counted):
    """`counted`'s count as a count of at most COUNT_LIMIT + 1 rows (its FROM and WHERE, selecting 1)."""
    ones = counted.with_only_columns(literal_column("1"), maintain_column_froms=False)
    return select(func.count()).select_from(ones.limit(COUNT_LIMIT + 1).subquery())


@lru_cache(maxsize=KEPT_STATEMENTS)
def _first_rows(query, keys: tuple, descending: bool, size: int):
    """`query` in the order of `keys`, a page and one row more (whether another page follows)."""
    return query.order_by(*([key.desc() for key in keys] if descending else keys)).limit(size + 1)


def bounded(number: int, total: int, size: int) -> tuple[int, int]:
    """The page to show and how many there are: a hand-edited number past either end shows the nearest page."""
    pages = max((total + size - 1) // size, 1)
    return min(max(number, 1), pages), pages


def encode(values) -> str:
    """An opaque cursor: the sort key of a row (ints, strings, dates), URL-safe."""
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, types: tuple[type, ...]) -> tuple | None:
    """The sort key a cursor holds, each value of its column's type; None for anything else (a hand-edited URL)."""
    if not cursor or len(cursor) > MAX_CURSOR:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(types):
            return None
        return tuple(_typed(value, kind) for value, kind in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _typed(value, kind: type):
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    if kind in (date, datetime) and isinstance(value, str):
        return kind.fromisoformat(value)
    raise ValueError(value)


def cursors(prefix: str = "") -> dict:
    """The request's `page`, `after` and `before` as `page_of` takes them; with a prefix, a second list's on the
    same page (`corrections_page`, …)."""
    return {"number": request.args.get(f"{prefix}page", 1, type=int), "after": request.args.get(f"{prefix}after"),
            "before": request.args.get(f"{prefix}before")}


def kept(prefix: str = "") -> dict:
    """Where a list on this page stands, as the request gave it: what another list's pager links carry so paging
    one list leaves the other where it was."""
    return {f"{prefix}{name}": value for name in ("page", "after", "before")
            if (value := request.args.get(f"{prefix}{name}"))}


def _types(keys) -> tuple[type, ...]:
    return tuple(key.type.python_type for key in keys)


def page_of(query, counted, number: int, *, keys, after: str | None = None, before: str | None = None,
            size: int = PAGE_SIZE, scalars: bool = False, descending: bool = False, params: dict | None = None) -> Page:
    """One page of `query` in the order of `keys` (columns of the first entity selected; the last tells rows
    apart), `counted` counting the same rows: after a cursor's row, before one, or else page `number`. With
    `params` (the values of their bind parameters) both statements are built once by the caller, and what this
    derives from them is kept too."""
    total, capped = count_up_to_limit(counted, params)
    asked, (number, pages) = max(number, 1), bounded(number, total, size)
    types = _types(keys)
    start, end = decode(after, types), decode(before, types)
    if start is not None or end is not None:
        found = _keyset(query, keys, start, end, size, scalars, descending, params)
        if found is not None:
            rows, more = found
            number, pages, capped = placed(asked, number, pages, capped=capped, more=more, forward=start is not None)
            return _page(rows, total, number, pages, keys, scalars, more=more, capped=capped)
    paged = (_first_rows if params is not None else _first_rows.__wrapped__)(query, tuple(keys), descending, size)
    if number > 1:
        paged = paged.offset((number - 1) * size)
    rows = list((db.session.scalars(paged, params) if scalars else db.session.execute(paged, params)).all())
    return _page(rows[:size], total, number, pages, keys, scalars, more=len(rows) > size, capped=capped)


def _keyset(query, keys, start, end, size, scalars, descending, params):
    """The rows after `start` or before `end` in the list's order, and whether more lie beyond them; None when none
    are left there (the rows were answered meanwhile): the caller shows page `number` instead."""
    forward = start is not None
    toward_start = descending == forward  # reading the list backwards: descending keys forward, or ascending back
    paged = continued(query, keys, start if forward else end, backwards=toward_start).limit(size + 1)
    rows = list((db.session.scalars(paged, params) if scalars else db.session.execute(paged, params)).all())
    if not rows:
        return None
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    return rows, more


def continued(query, keys, position: tuple, *, backwards: bool = False):
    """`query` from the row past `position` on, in the order of `keys` (or back from it): a keyset step, one stretch
    of the index on `keys` however deep the position lies."""
    key = tuple_(*keys)
    return (query.where(key < tuple_(*position)).order_by(*(k.desc() for k in keys)) if backwards
            else query.where(key > tuple_(*position)).order_by(*keys))


def placed(asked: int, number: int, pages: int, *, capped: bool, more: bool, forward: bool) -> tuple[int, int, bool]:
    """The number, page count and capped flag of a page found from a cursor: the URL's number (`asked`, or within
    the counted pages `number`), unless the rows say it is the first or the last; past a capped count the last page
    is known only from its rows."""
    if not capped:
        return (max(2, min(number, pages - 1)) if more else (pages if forward else 1)), pages, False
    number = max(asked, 2) if more else (asked if forward else 1)
    return (number, number, False) if forward and not more else (number, max(pages, number), True)


def following(number: int, pages: int, *, capped: bool, more: bool) -> bool:
    """Whether a next page exists: within the counted pages, or past a capped count while rows remain."""
    return number < pages or (capped and more)


def _page(rows, total, number, pages, keys, scalars, *, more: bool, capped: bool) -> Page:
    def key_of(row):
        entity = row if scalars else row[0]
        return encode([getattr(entity, key.key) for key in keys])

    after = key_of(rows[-1]) if rows and following(number, pages, capped=capped, more=more) else None
    return Page(list(rows), total, number, pages, after=after,
                before=key_of(rows[0]) if rows and number > 2 else None,  # page 1 is as cheap by its number
                capped=capped)
