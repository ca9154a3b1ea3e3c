"""Revoked embed links: a token made for an ``EmbedLink`` is shown only while that link exists and is active.

The embed page and oEmbed call ``check_not_revoked(embed)`` after ``read_embed``.
A token without a link id (``sign_embed`` called in code, the ``embed_url``
command) is not checked: nothing stored can revoke it.

Each process remembers what the database said about a link (``link_states``)
and trusts it for ``WIDGETS_EMBED_REVOCATION_SECONDS`` (default 30): one query
per link, per process, per window, and requests that find a link being checked
wait for that one query. Once its answer is that old, every process on every
host asks the one database again, so all of them see a disabled or deleted link
within the window (plus one query), and nothing is shared between them: no
Redis, no message to send when a link changes.

When the database cannot answer, a link the process knows keeps its last state
for one more window (a database that is down is not asked on every request); a
link it knows nothing about is refused with ``EmbedUnchecked`` (503), since an
embed that cannot be checked is not shown.
"""

import asyncio
import time
from dataclasses import dataclass

from django.utils.translation import gettext

from widgets.conf import widget_settings
from widgets.embed.models import EmbedLink
from widgets.embed.signing import Embed, EmbedError
from widgets.memo import LruMemo
from widgets.sources import orm, run_source

# The check's name in logs and in the response's Server-Timing.
CHECK_SOURCE = "embed_link"


class EmbedRevoked(EmbedError):
    """The link the token was made for was disabled or deleted."""

    reason = "revoked"

    def __init__(self) -> None:
        super().__init__(gettext("This embed link was revoked."))


class EmbedUnchecked(EmbedError):
    """The link's state is unknown: the database did not answer, and this process never heard it."""

    reason = "unavailable"
    status = 503

    def __init__(self) -> None:
        super().__init__(gettext("This embed link cannot be checked right now: database unavailable."))


@dataclass(frozen=True)
class LinkState:
    """What the database said about a link, and when it was asked (on ``clock()``)."""

    is_active: bool
    checked_at: float


def clock() -> float:
    """Seconds on a clock that never goes back (tests replace it)."""
    return time.monotonic()


# Keys are ids of links staff made (a token cannot name another one), so real links bound it.
link_states: LruMemo[int, LinkState] = LruMemo(
    name="embed.link_states", max_entries=4096, max_bytes=512 * 1024
)


async def check_not_revoked(embed: Embed) -> None:
    """Raise ``EmbedRevoked`` if the embed's link was disabled or deleted, ``EmbedUnchecked`` if unknown."""
    if embed.link_id is None:
        return
    state = link_states.get(embed.link_id)
    if state is None or clock() - state.checked_at >= widget_settings.EMBED_REVOCATION_SECONDS:
        state = await link_checks.check(embed.link_id)
    if state is None:
        raise EmbedUnchecked
    if not state.is_active:
        raise EmbedRevoked


class LinkChecks:
    """The database checks in flight in this process: one per link, which every request for it waits for."""

    def __init__(self) -> None:
        self._in_flight: dict[int, asyncio.Task[LinkState | None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def check(self, link_id: int) -> LinkState | None:
        """The link's state as the database says it now; None if it cannot say and none was known."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Tasks of another (finished) loop cannot be awaited here.
            self._loop, self._in_flight = loop, {}
        task = self._in_flight.get(link_id)
        if task is None:
            task = asyncio.create_task(ask_database(link_id))
            self._in_flight[link_id] = task
            task.add_done_callback(lambda done: self._forget(link_id, done))
        # Shielded: a request that goes away does not cancel the check the others wait for.
        return await asyncio.shield(task)

    def _forget(self, link_id: int, task: asyncio.Task[LinkState | None]) -> None:
        if self._in_flight.get(link_id) is task:
            del self._in_flight[link_id]


link_checks = LinkChecks()


async def ask_database(link_id: int) -> LinkState | None:
    """Ask whether the link is active, and remember the answer; on an ORM thread, under a source's deadline.

    A failure (logged by ``run_source``: "database unavailable", "timed out") keeps the last known state
    for one more window, or gives None when there is none.
    """
    asked_at = clock()
    result = await run_source(orm(CHECK_SOURCE, lambda: is_active_in_database(link_id)))
    if result.is_ok:
        return link_states.put(link_id, LinkState(result.value is True, asked_at))
    known = link_states.get(link_id)
    if known is None:
        return None
    return link_states.put(link_id, LinkState(known.is_active, asked_at))


async def is_active_in_database(link_id: int) -> bool | None:
    """The link's ``is_active``; None once it is deleted."""
    return await EmbedLink.objects.filter(pk=link_id).values_list("is_active", flat=True).afirst()
