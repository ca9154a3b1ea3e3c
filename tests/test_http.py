import asyncio

from django.test import override_settings

from widgets.http import aclose_client, get_client


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
