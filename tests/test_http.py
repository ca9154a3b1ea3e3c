import asyncio
import builtins

from django.test import override_settings

from widgets.sources.http import aclose_client, get_client


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


async def test_client_follows_redirects():
    assert get_client().follow_redirects


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
