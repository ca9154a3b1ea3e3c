import asyncio
import builtins
import json
import re

import httpx
import pytest
from django.test import override_settings

from widgets.sources import UpstreamError
from widgets.sources.http import aclose_client, fetch_json, get_client

URL = "http://127.0.0.1:9/data"
MIB = 1024 * 1024


async def client_of_a_new_loop():
    async def make():
        return get_client()

    return await asyncio.to_thread(asyncio.run, make())


async def test_same_client_within_a_loop():
    assert get_client() is get_client()


async def test_aclose_client_closes_it_and_the_next_call_builds_a_new_one():
    first = get_client()
    await aclose_client()
    assert first.is_closed
    second = get_client()
    assert second is not first
    assert not second.is_closed


async def test_aclose_client_without_a_client_does_nothing():
    await aclose_client()
    await aclose_client()


async def test_client_is_not_reused_in_another_event_loop():
    other = await client_of_a_new_loop()
    assert get_client() is not other


@override_settings(WIDGETS_SOURCE_TIMEOUT=4.5, WIDGETS_HTTP_CONNECT_TIMEOUT=0.5)
async def test_client_timeouts_come_from_settings():
    timeout = get_client().timeout
    assert timeout.connect == 0.5
    assert (timeout.read, timeout.write, timeout.pool) == (4.5, 4.5, 4.5)


async def test_client_connection_pool_has_the_default_limits():
    pool = get_client()._transport._pool
    assert pool._max_connections == 100
    assert pool._max_keepalive_connections == 20
    assert pool._keepalive_expiry == 30


@override_settings(WIDGETS_HTTP_MAX_CONNECTIONS=7)
async def test_client_connection_pool_size_comes_from_settings():
    assert get_client()._transport._pool._max_connections == 7


async def test_client_sends_the_configured_user_agent_and_accepts_json():
    client = get_client()
    assert client.headers["User-Agent"] == "htmx-dashboard/0.1"
    assert client.headers["Accept"] == "application/json"


async def test_client_does_not_follow_redirects():
    assert not get_client().follow_redirects


async def test_a_request_through_the_shared_client_imports_nothing_that_is_missing(monkeypatch):
    # httpcore imports sniffio on every request to learn the async library; were it
    # missing, each request would search sys.path for it again (tens of ms per page).
    async def answer(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    failed = []
    real_import = builtins.__import__

    def recording_import(name, *args, **kwargs):
        try:
            return real_import(name, *args, **kwargs)
        except ImportError:
            failed.append(name)
            raise

    async with server:
        await get_client().get(f"http://127.0.0.1:{port}/")  # connection set up, modules loaded
        monkeypatch.setattr(builtins, "__import__", recording_import)
        response = await get_client().get(f"http://127.0.0.1:{port}/")
    assert response.status_code == 200
    assert failed == []


def json_of_length(length):
    """A JSON string exactly ``length`` bytes long."""
    return b'"' + b"a" * (length - 2) + b'"'


def fails_with(reason):
    return pytest.raises(UpstreamError, match=f"^{re.escape(reason)}$")


class CountingStream(httpx.AsyncByteStream):
    """An answer body of ``chunks`` chunks of 1 KiB that counts how many were read."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.read = 0

    async def __aiter__(self):
        for _ in range(self.chunks):
            self.read += 1
            yield b"1" * 1024


async def test_answer_as_long_as_the_default_limit_is_read(respx_mock):
    respx_mock.get(URL).respond(200, content=json_of_length(2 * MIB))
    assert len(await fetch_json(URL)) == 2 * MIB - 2


async def test_answer_one_byte_over_the_default_limit_fails(respx_mock):
    respx_mock.get(URL).respond(200, content=json_of_length(2 * MIB + 1))
    with fails_with("upstream answered more than 2 MiB (limit WIDGETS_HTTP_MAX_BYTES)"):
        await fetch_json(URL)


@override_settings(WIDGETS_HTTP_MAX_BYTES=1024)
async def test_limit_comes_from_settings(respx_mock):
    respx_mock.get(URL).respond(200, content=json_of_length(1025))
    with fails_with("upstream answered more than 1 KiB (limit WIDGETS_HTTP_MAX_BYTES)"):
        await fetch_json(URL)


async def test_a_source_sets_its_own_limit_below_or_above_the_default(respx_mock):
    respx_mock.get(URL).respond(200, content=json_of_length(3 * MIB))
    with fails_with("upstream answered more than 1000 bytes (limit max_bytes of this source)"):
        await fetch_json(URL, max_bytes=1000)
    assert len(await fetch_json(URL, max_bytes=3 * MIB)) == 3 * MIB - 2


async def test_declared_length_over_the_limit_fails_before_the_body_is_read(respx_mock):
    body = CountingStream(chunks=3)
    respx_mock.get(URL).respond(200, headers={"Content-Length": "3072"}, stream=body)
    with fails_with("upstream answered more than 2 KiB (limit max_bytes of this source)"):
        await fetch_json(URL, max_bytes=2048)
    assert body.read == 0


async def test_chunked_answer_over_the_limit_is_read_no_further_than_the_limit(respx_mock):
    body = CountingStream(chunks=1000)
    respx_mock.get(URL).respond(200, stream=body)
    with fails_with("upstream answered more than 4 KiB (limit max_bytes of this source)"):
        await fetch_json(URL, max_bytes=4 * 1024)
    assert body.read == 5  # the chunk that passed the limit, and not one more


async def test_a_small_declared_length_does_not_let_a_larger_body_through(respx_mock):
    body = CountingStream(chunks=10)
    respx_mock.get(URL).respond(200, headers={"Content-Length": "10"}, stream=body)
    with fails_with("upstream answered more than 4 KiB (limit max_bytes of this source)"):
        await fetch_json(URL, max_bytes=4 * 1024)
    assert body.read == 5


async def test_an_error_answer_is_not_read(respx_mock):
    body = CountingStream(chunks=10)
    respx_mock.get(URL).respond(500, stream=body)
    with fails_with("upstream answered HTTP 500"):
        await fetch_json(URL)
    assert body.read == 0


async def test_an_endless_answer_is_cut_at_the_limit_and_its_connection_dropped():
    dropped = asyncio.Event()

    async def answer_forever(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"1" * 16384
        try:
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        except ConnectionError:
            dropped.set()
        finally:
            writer.close()

    server = await asyncio.start_server(answer_forever, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, asyncio.timeout(5):
        with fails_with("upstream answered more than 64 KiB (limit max_bytes of this source)"):
            await fetch_json(f"http://127.0.0.1:{port}/endless", max_bytes=64 * 1024)
        await dropped.wait()


async def test_redirect_fails_a_source_that_did_not_ask_and_is_not_followed(respx_mock):
    respx_mock.get(URL).respond(302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    elsewhere = respx_mock.get("http://127.0.0.1:9/elsewhere").respond(json={"moved": True})
    with fails_with("upstream answered a redirect (HTTP 302); this source does not follow redirects"):
        await fetch_json(URL)
    assert elsewhere.call_count == 0


async def test_redirect_is_followed_when_the_source_asks(respx_mock):
    respx_mock.get(URL).respond(301, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    respx_mock.get("http://127.0.0.1:9/elsewhere").respond(json={"moved": True})
    assert await fetch_json(URL, follow_redirects=True) == {"moved": True}


async def test_followed_redirects_are_held_to_the_limit_too(respx_mock):
    respx_mock.get(URL).respond(307, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    respx_mock.get("http://127.0.0.1:9/elsewhere").respond(content=json.dumps("a" * 100).encode())
    with fails_with("upstream answered more than 50 bytes (limit max_bytes of this source)"):
        await fetch_json(URL, follow_redirects=True, max_bytes=50)
