import asyncio
import threading

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.contrib.auth.models import User
from django.db import connection, connections

from widgets.sources import gather_sources, orm, settle_sources
from widgets.sources.orm import OrmThreads


def meet_at(barrier: threading.Barrier):
    async def load() -> int:
        return await sync_to_async(barrier.wait)()

    return load


async def test_orm_sources_of_one_request_run_in_parallel():
    # Both sources must be inside barrier.wait() at once: on one thread the second never starts.
    barrier = threading.Barrier(2, timeout=5)
    async with ThreadSensitiveContext():  # as Django does for each ASGI request
        values = await gather_sources(orm("first", meet_at(barrier)), orm("second", meet_at(barrier)))
    assert sorted(values.values()) == [0, 1]


async def test_without_own_threads_thread_sensitive_calls_of_one_request_queue():
    barrier = threading.Barrier(2, timeout=0.5)
    async with ThreadSensitiveContext():
        results = await asyncio.gather(meet_at(barrier)(), meet_at(barrier)(), return_exceptions=True)
    assert any(isinstance(result, threading.BrokenBarrierError) for result in results)


async def wait_until(condition, seconds=5.0):
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  (the condition changes in another thread)
            await asyncio.sleep(0.01)


@pytest.mark.django_db(transaction=True)
async def test_orm_source_closes_its_thread_connection_after_the_query():
    await User.objects.acreate(username="reader")

    def count_and_get_connection():
        return User.objects.count(), connections["default"]

    async def load():
        return await sync_to_async(count_and_get_connection)()

    count, used = (await gather_sources(orm("users", load)))["users"]
    assert count == 1
    assert used is not connections["default"]  # another thread's connection
    await wait_until(lambda: used.connection is None)


async def test_timed_out_orm_source_gives_its_thread_back_when_the_query_ends():
    threads = OrmThreads(1)
    release = threading.Event()

    async def slow():
        return await sync_to_async(release.wait)()

    from widgets.sources import Source

    result = (await settle_sources(Source("slow", lambda: threads.run(slow), deadline=0.05)))["slow"]
    assert "timed out" in result.error.reason
    release.set()

    async def quick():
        return await sync_to_async(lambda: "done")()

    async with asyncio.timeout(5):
        assert await threads.run(quick) == "done"
    threads.shutdown()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stat_activity is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
async def test_postgres_connections_return_to_baseline_after_parallel_orm_sources(settings):
    def connections_by_state() -> dict[str, int]:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT state, count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY state"
            )
            return dict(cursor.fetchall())

    def sleep_in_database():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.1)")

    async def load():
        await sync_to_async(sleep_in_database)()

    async def six_parallel_sources():
        await gather_sources(*(orm(f"sleep-{index}", load) for index in range(6)))

    async def settled() -> dict[str, int]:
        for _ in range(200):
            states = await sync_to_async(connections_by_state)()
            if not states.get("active"):
                return states
            await asyncio.sleep(0.01)
        raise AssertionError(f"connections still active: {states}")

    pool = connections["default"].pool

    async def checked_out() -> int:
        """Connections the pool has lent and not had back, once returned ones are checked in."""
        await sync_to_async(connections.close_all)()  # the test's own connection
        for _ in range(200):
            stats = pool.get_stats()
            if stats["pool_available"] == stats["pool_size"]:
                break
            await asyncio.sleep(0.01)
        return int(stats["pool_size"] - stats["pool_available"])

    await six_parallel_sources()  # warms the pool
    baseline = await settled()
    lent_before = await checked_out()
    for _ in range(3):
        await six_parallel_sources()
    after = await settled()
    # Every connection is back in the pool: none left busy, none beyond the pool's size, and the
    # sources kept none checked out (an earlier test's leftovers would count before and after alike).
    assert after.keys() <= {"idle"}
    assert baseline.keys() <= {"idle"}
    pool_size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    assert sum(after.values()) <= pool_size
    assert await checked_out() <= lent_before
