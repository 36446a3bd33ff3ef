"""What one piece of background work reads once and then uses throughout: the watchlist, the
risk policy in force, the active webhook endpoints, the names of the entities it has met.

Processing an event reads each of them several times over — for the recheck of its vendors,
for the review of its contracts, for each batch of alerts — and within one event (or chunk,
or recheck request) they do not change in any way that matters to it: a change of the
watchlist or of the policy sends a recheck of its own. So the first read serves the rest.

    with work_memo():
        ...  # memoized("watchlist", watchlist_map) reads the watchlist once in the block

Outside such a block every call reads afresh, as before.
"""

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[str, object] | None] = ContextVar("work_memo", default=None)


@contextlib.contextmanager
def work_memo() -> Iterator[None]:
    """Share reads between the steps of one piece of work for the block (a block inside
    another shares the outer one's)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: str, read: Callable[[], T]) -> T:
    """``read()`` once per piece of work under ``key``; on every call outside one."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[return-value]
