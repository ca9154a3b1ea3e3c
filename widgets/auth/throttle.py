"""Login attempts are throttled after repeated failures, per client address and per username.

Failures are counted in Django's default cache (Redis when the project has
one, so every worker and host counts together) for
``WIDGETS_LOGIN_THROTTLE_SECONDS``. Once an address or a username has
``WIDGETS_LOGIN_MAX_FAILURES`` failures in that window, its next login attempts
are refused with 429 and a page saying when to try again, right or wrong
password alike. A successful login clears its username's count.
"""

from collections.abc import Mapping
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from widgets.conf import widget_settings
from widgets.request_types import AsyncGetResponse

THROTTLED_TEMPLATE = "widgets/login_throttled.html"
KEY_PREFIX = "widgets:login-failures"


class LoginThrottle:
    """Counts failed logins per address and per username, in the shared cache."""

    def keys(self, address: str | None, username: str | None) -> list[str]:
        keys = []
        if address:
            keys.append(f"{KEY_PREFIX}:address:{address}")
        if username:
            # Bounded and normalised: the name is what someone typed.
            keys.append(f"{KEY_PREFIX}:user:{username.strip().lower()[:150]}")
        return keys

    async def is_blocked(self, address: str | None, username: str | None) -> bool:
        counts = await cache.aget_many(self.keys(address, username))
        return any(count >= widget_settings.LOGIN_MAX_FAILURES for count in counts.values())

    def record_failure(self, address: str | None, username: str | None) -> None:
        for key in self.keys(address, username):
            # add() starts the window; incr() keeps its expiry.
            if not cache.add(key, 1, timeout=widget_settings.LOGIN_THROTTLE_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:  # expired between the two calls
                    cache.add(key, 1, timeout=widget_settings.LOGIN_THROTTLE_SECONDS)

    def forget(self, username: str | None) -> None:
        cache.delete_many(self.keys(None, username))


login_throttle = LoginThrottle()


def client_address(request: HttpRequest | None) -> str | None:
    return None if request is None else request.META.get("REMOTE_ADDR")


@receiver(user_login_failed)
def count_failed_login(
    sender: Any, credentials: Mapping[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    login_throttle.record_failure(client_address(request), credentials.get("username"))


@receiver(user_logged_in)
def forget_failed_logins(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    login_throttle.forget(user.get_username())


class LoginThrottleMiddleware:
    """Refuse login attempts (POSTs to a login page) of a throttled address or username.

    ``AuthMiddleware`` runs it for every request; it looks only at POSTs to a login page.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST" and request.path in login_paths():
            username = request.POST.get("username")
            if await login_throttle.is_blocked(client_address(request), username):
                minutes = max(1, round(widget_settings.LOGIN_THROTTLE_SECONDS / 60))
                response = render(request, THROTTLED_TEMPLATE, {"minutes": minutes}, status=429)
                response["Retry-After"] = str(widget_settings.LOGIN_THROTTLE_SECONDS)
                return response
        return await self.get_response(request)


def login_paths() -> set[str]:
    """The login pages the throttle guards: the admin's, and the site's ``login`` URL if it has one."""
    paths = set()
    for name in ("admin:login", "login"):
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return paths
