import asyncio
import socket
import threading
import time

import pytest
from asgiref.sync import sync_to_async

from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import get_or_load
from widgets.sources import fetch_json, gather_sources, http_json, orm
from widgets.sources.send_first import PendingSends, load_prepared, pending_sends


async def test_wait_returns_at_once_when_no_request_is_pending():
    sends = PendingSends()
    async with asyncio.timeout(0.5):
        await sends.wait_until_sent(at_most=10)


SENT = "http11.receive_response_headers.started"


async def test_wait_returns_when_the_last_pending_request_is_sent():
    sends = PendingSends()
    with sends.sending() as first, sends.sending() as second:
        waiting = asyncio.ensure_future(sends.wait_until_sent(at_most=10))
        await asyncio.sleep(0.01)
        await first(SENT, {})
        await asyncio.sleep(0.01)
        assert not waiting.done()
        await second(SENT, {})
        async with asyncio.timeout(0.5):
            await waiting
        assert sends.count == 0


async def test_wait_gives_up_after_its_limit():
    sends = PendingSends()
    with sends.sending():
        started = time.perf_counter()
        await sends.wait_until_sent(at_most=0.05)
        assert time.perf_counter() - started >= 0.05
        assert sends.count == 1
    assert sends.count == 0


async def test_a_request_that_fails_before_it_is_sent_stops_counting():
    sends = PendingSends()
    with pytest.raises(OSError, match="refused"), sends.sending():
        raise OSError("connection refused")
    assert sends.count == 0


async def test_a_request_stops_counting_once_when_it_is_written():
    sends = PendingSends()
    with sends.sending() as trace, sends.sending():
        await trace("connection.connect_tcp.started", {})
        assert sends.count == 2  # still to be written
        await trace(SENT, {})
        await trace(SENT, {})
        assert sends.count == 1
    assert sends.count == 0


async def test_a_load_counts_until_its_sources_have_started():
    sends = PendingSends()
    with sends.loading():
        assert sends.count == 1
        load_prepared()
        assert sends.count == 0
        load_prepared()
    assert sends.count == 0


class SlowUpstream:
    """A one-request HTTP server on a thread of its own: answers JSON after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/latest"
        self.delay = delay
        self.got_request = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(4096)
            self.got_request.set()
            time.sleep(self.delay)
            body = b'{"rate": 1.08}'
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            connection.sendall(head.encode() + body)

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def slow_upstream():
    upstream = SlowUpstream(delay=0.3)
    yield upstream
    upstream.close()


async def test_fetch_counts_its_request_as_pending_until_it_is_written(slow_upstream):
    fetching = asyncio.ensure_future(fetch_json(slow_upstream.url))
    await asyncio.sleep(0)
    assert pending_sends.count == 1
    await asyncio.to_thread(slow_upstream.got_request.wait, 5)
    await asyncio.sleep(0.05)  # the answer is 0.3 s away: the request is out, the fetch waits
    assert pending_sends.count == 0
    assert not fetching.done()
    assert await fetching == {"rate": 1.08}


async def test_orm_source_starts_its_thread_once_the_widgets_request_is_sent(slow_upstream, settings):
    settings.WIDGETS_ORM_SEND_FIRST_WAIT = 5.0

    def note_pending_requests() -> int:
        return pending_sends.count

    async def query() -> int:
        return await sync_to_async(note_pending_requests)()

    # The ORM source comes first, as it may in any widget.
    values = await gather_sources(
        orm("orders", query),
        http_json("fx", slow_upstream.url),
    )
    assert values["orders"] == 0
    assert values["fx"] == {"rate": 1.08}


class FetchesWhenLetGo(KpiWidget):
    """A cached widget whose load takes a while (``go``) before its HTTP source starts."""

    name = "fetches-when-let-go"
    title = "Fetches when let go"

    def __init__(self, url: str) -> None:
        self.url = url
        self.go = asyncio.Event()

    async def load(self, params):
        await self.go.wait()
        values = await gather_sources(http_json("fx", self.url))
        return {"kpis": [Kpi("Rate", str(values["fx"]["rate"]))]}


class NotesWhetherTheOtherWasLetGo(KpiWidget):
    """A cached widget with one ORM source, which notes whether ``other`` could start its sources yet."""

    name = "notes-whether-the-other-was-let-go"
    title = "Notes"

    def __init__(self, other: FetchesWhenLetGo) -> None:
        self.other = other

    async def load(self, params):
        async def query() -> bool:
            return await sync_to_async(self.other.go.is_set)()

        values = await gather_sources(orm("orders", query))
        return {"kpis": [Kpi("Other let go", str(values["orders"]))]}


@pytest.mark.usefixtures("in_process")
async def test_orm_source_waits_for_another_widgets_load_that_has_not_started_its_sources(
    slow_upstream, settings
):
    # As on a page: widget loads start together, and reach their sources at different moments.
    settings.WIDGETS_ORM_SEND_FIRST_WAIT = 5.0
    fetching = FetchesWhenLetGo(slow_upstream.url)
    noting = NotesWhetherTheOtherWasLetGo(fetching)
    loads = asyncio.gather(get_or_load(fetching, {}), get_or_load(noting, {}))
    await asyncio.sleep(0.05)
    fetching.go.set()
    fetched, noted = await loads
    assert fetched.state == noted.state == "ready"
    assert noted.value["kpis"][0].value == "True"
