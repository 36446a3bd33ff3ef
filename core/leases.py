"""Leases of background work: a worker claims a piece of work for ``PIPELINE_LEASE_SECONDS``
and renews the claim while it runs; a claim that is not renewed runs out, and the sweepers send
the work again. So work abandoned by a dead worker is taken back within a lease and a sweep,
while work that is still running — however long it takes — is never taken from its worker.

A lease is a row of its own (:class:`core.models.Lease`), not a column of the work's row: the
work's own transaction may hold that row locked until it commits, and the renewal must get
through meanwhile.

    with leased("event", event.pk) as token:
        if token is None:
            return  # another worker is on it
        ...  # renewed every third of the lease until the block ends, then released
"""

import contextlib
import datetime
import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.models import Lease

logger = logging.getLogger(__name__)


def _machine() -> str:
    """This machine as a holder names it: the host name, and a tag of the boot and the process
    namespace, so two containers of the same name never take each other's processes for their
    own."""
    parts = []
    for source in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(
                os.readlink(source) if source.endswith("/pid") else Path(source).read_text()
            )
        except OSError:
            parts.append("")
    tag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]
    return f"{socket.gethostname()}/{tag}"


HOST = _machine()


def lease_seconds() -> int:
    return settings.PIPELINE_LEASE_SECONDS


def _expiry(seconds: float | None = None) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(
        seconds=lease_seconds() if seconds is None else seconds
    )


def _new_holder() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _holder_dead(holder: str) -> bool:
    """Whether ``holder`` is a process of this machine that no longer exists (a pool child
    killed mid-task): its lease can be taken at once rather than when it runs out."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    try:  # killed, and not reaped yet by its parent
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except (OSError, IndexError):
        return False


_CLAIM = """
INSERT INTO {table} (kind, object_id, claimed_by, lease_expires_at, claimed_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (kind, object_id) DO UPDATE SET
    claimed_by = excluded.claimed_by,
    lease_expires_at = excluded.lease_expires_at,
    claimed_at = excluded.claimed_at
WHERE {table}.claimed_by = '' OR {table}.lease_expires_at <= %s
RETURNING claimed_by
"""


def _claim(kind: str, object_id: int, token: str) -> bool:
    """One statement: take the lease if there is none, or a hold, or one that ran out."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM.format(table=connection.ops.quote_name(Lease._meta.db_table)),
            [kind, object_id, token, adapt(_expiry()), adapt(now), adapt(now)],
        )
        return cursor.fetchone() is not None


def lease_claim(kind: str, object_id: int) -> str | None:
    """Claim the work ``kind`` #``object_id``: the holder's token, or ``None`` when a live
    worker holds it. Free work is work with no lease, a hold (sent, not taken up), a lease that
    ran out, or one held by a process of this machine that has died."""
    token = _new_holder()
    if _claim(kind, object_id, token):
        return token
    rows = Lease.objects.filter(kind=kind, object_id=object_id)
    holder = rows.values_list("claimed_by", flat=True).first()
    if holder is None:  # released meanwhile
        return token if _claim(kind, object_id, token) else None
    if _holder_dead(holder) and rows.filter(claimed_by=holder).update(
        claimed_by=token, lease_expires_at=_expiry(), claimed_at=timezone.now()
    ):
        logger.info("Took %s #%s over from %s, which has died.", kind, object_id, holder)
        return token
    return None


def lease_renew(kind: str, object_id: int, token: str) -> bool:
    """Extend the lease ``token`` holds by a full lease; ``False`` when it is not held any
    more (it ran out and another worker took the work)."""
    return bool(
        Lease.objects.filter(kind=kind, object_id=object_id, claimed_by=token).update(
            lease_expires_at=_expiry()
        )
    )


def lease_release(kind: str, object_id: int, token: str) -> None:
    """Give the lease up (the work is done, or failed and will be retried). Best effort: a
    lease that cannot be released (the database went away) simply runs out."""
    for attempt in range(2):
        try:
            Lease.objects.filter(kind=kind, object_id=object_id, claimed_by=token).delete()
            return
        except Exception:
            if attempt or connection.in_atomic_block:
                logger.warning("Could not release the lease of %s #%s.", kind, object_id)
                return
            connection.close()  # a connection killed under us: try once on a fresh one


def lease_hold(kind: str, object_ids: Iterable[int], *, seconds: float) -> None:
    """Keep the sweepers from sending ``object_ids`` again for ``seconds`` — they were just
    sent, or a retry is due then — without keeping any worker from taking them up. Work a live
    worker holds keeps its lease."""
    object_ids = list(object_ids)
    if not object_ids:
        return
    now = timezone.now()
    until = _expiry(seconds)
    Lease.objects.filter(kind=kind, object_id__in=object_ids).filter(
        Q(claimed_by="") | Q(lease_expires_at__lte=now)
    ).update(claimed_by="", lease_expires_at=until, claimed_at=now)
    Lease.objects.bulk_create(
        [
            Lease(kind=kind, object_id=pk, claimed_by="", lease_expires_at=until, claimed_at=now)
            for pk in object_ids
        ],
        ignore_conflicts=True,
    )


def lease_hold_quietly(kind: str, object_id: int, *, seconds: float) -> None:
    """:func:`lease_hold` for a task's retry path, where the database may be what failed."""
    try:
        lease_hold(kind, [object_id], seconds=seconds)
    except Exception:
        logger.warning("Could not hold %s #%s for its retry.", kind, object_id)


def lease_send_failed(kind: str, object_id: int) -> None:
    """Note that the task of ``kind`` #``object_id`` could not be sent (the broker is down),
    so the next sweep sends it without waiting for it to be overdue. Best effort."""
    try:
        lease_hold(kind, [object_id], seconds=0)
    except Exception:
        logger.warning("Could not note the failed send of %s #%s.", kind, object_id)


def sent_and_lapsed(kind: str, outer: str = "pk") -> Exists:
    """A condition for querysets of work: it was sent (or its send failed) and is not held
    any more — still not done, it is overdue whatever its age."""
    return Exists(
        Lease.objects.filter(
            kind=kind, object_id=OuterRef(outer), lease_expires_at__lte=timezone.now()
        )
    )


#: Leases and holds that ran out are kept this long (to tell work sent before), then purged.
PURGE_AFTER = datetime.timedelta(hours=1)


def leases_purge() -> int:
    """Forget the leases and holds that ran out over an hour ago; how many."""
    return Lease.objects.filter(lease_expires_at__lte=timezone.now() - PURGE_AFTER).delete()[0]


def leased_now(kind: str, outer: str = "pk") -> Exists:
    """A condition for querysets of work: the row's lease (or hold) has not run out."""
    return Exists(
        Lease.objects.filter(
            kind=kind, object_id=OuterRef(outer), lease_expires_at__gt=timezone.now()
        )
    )


class _Heartbeat(threading.Thread):
    """Renews a lease every third of its length until stopped, on its own connection."""

    def __init__(self, kind: str, object_id: int, token: str) -> None:
        super().__init__(name=f"lease-{kind}-{object_id}", daemon=True)
        self.kind, self.object_id, self.token = kind, object_id, token
        self.stopped = threading.Event()
        self.renewals = 0

    def run(self) -> None:
        try:
            while not self.stopped.wait(max(lease_seconds() / 3, 0.2)):
                try:
                    if not lease_renew(self.kind, self.object_id, self.token):
                        logger.warning("Lost the lease of %s #%s.", self.kind, self.object_id)
                        return
                    self.renewals += 1
                except Exception:
                    logger.warning(
                        "Could not renew the lease of %s #%s.", self.kind, self.object_id
                    )
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


@contextlib.contextmanager
def leased(kind: str, object_id: int) -> Iterator[str | None]:
    """Claim ``kind`` #``object_id`` for the block, renewed while it runs and released when it
    ends (an error included); yields the token, or ``None`` when a live worker holds it (the
    block then does nothing)."""
    token = lease_claim(kind, object_id)
    if token is None:
        yield None
        return
    heartbeat = _Heartbeat(kind, object_id, token)
    heartbeat.start()
    try:
        yield token
    finally:
        heartbeat.stop()
        lease_release(kind, object_id, token)
