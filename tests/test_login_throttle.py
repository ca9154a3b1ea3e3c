"""Login attempts are refused after repeated failures, per address and per username."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import AsyncClient

from widgets.auth import login_throttle

db = pytest.mark.django_db(transaction=True)
LOGIN = "/admin/login/"


USED = [("127.0.0.1", "editor"), ("127.0.0.10", None), ("127.0.0.11", "someone-else")] + [
    (None, f"someone-{number}") for number in range(3)
]


async def forget_failures():
    # Only this file's keys: with REDIS_URL the cache is a shared Redis database.
    await cache.adelete_many([key for address, name in USED for key in login_throttle.keys(address, name)])


@pytest.fixture(autouse=True)
async def staff_user(settings):
    settings.WIDGETS_LOGIN_MAX_FAILURES = 3
    settings.WIDGETS_LOGIN_THROTTLE_SECONDS = 600
    await forget_failures()
    await User.objects.acreate_user("editor", password="the-right-password", is_staff=True)
    yield
    await forget_failures()


async def log_in(username, password):
    return await AsyncClient().post(LOGIN, {"username": username, "password": password})


@db
async def test_after_the_allowed_failures_even_the_right_password_is_refused_with_429():
    for _ in range(3):
        assert (await log_in("editor", "wrong")).status_code == 200  # the form again, with its error
    refused = await log_in("editor", "the-right-password")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "Try again in 10 minutes." in refused.content.decode()


@db
async def test_failures_for_other_usernames_from_one_address_throttle_it():
    for number in range(3):
        await log_in(f"someone-{number}", "wrong")
    assert (await log_in("editor", "the-right-password")).status_code == 429


@db
async def test_a_successful_login_clears_its_username_failures_and_pages_are_not_throttled():
    for _ in range(2):
        await log_in("Editor", "wrong")
    assert (await log_in("editor", "the-right-password")).status_code == 302
    assert await login_throttle.is_blocked(None, "editor") is False
    assert (await AsyncClient().get(LOGIN)).status_code == 200


@db
async def test_addresses_and_usernames_are_counted_apart(settings):
    settings.WIDGETS_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        login_throttle.record_failure("127.0.0.10", "editor")
    assert await login_throttle.is_blocked("127.0.0.10", "someone-else")  # the address
    assert await login_throttle.is_blocked("127.0.0.11", " EDITOR ")  # the username, normalised
    assert not await login_throttle.is_blocked("127.0.0.11", "someone-else")
    login_throttle.forget("editor")
    assert not await login_throttle.is_blocked("127.0.0.11", "editor")
