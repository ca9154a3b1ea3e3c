"""Who is asking: the session's user, loaded once per user and session and then kept for a short time.

Django's ``request.auser()`` reads the user row on every request, and its
permission checks read the permission tables once per request: each an ORM
call, so a thread hop. A widget page polls, and a dashboard checks each of its
tiles, so here the user (with the permissions Django's backends cache on it)
is kept per process for ``WIDGETS_AUTH_CACHE_SECONDS`` (default 30): changed
rights, a deactivated account or a changed password (which logs the user's
other sessions out) take effect within that time, on every worker. Logging
out takes effect at once: the session no longer names the user.
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, aget_user
from django.http import HttpRequest

from widgets.conf import widget_settings
from widgets.memo import MAX_KEY_TEXT, LruMemo

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

type User = AbstractBaseUser | AnonymousUser  # evaluated lazily: only type checkers read it

# What a cached user with its permission sets counts for in the memo's bytes, roughly.
USER_BYTES = 4096

# (user id, backend, session hash) -> (when it was loaded, the user, their permissions).
_users: LruMemo[tuple[str, str, str], tuple[float, User, frozenset[str]]] = LruMemo(
    name="auth.users", max_entries=1000, max_bytes=8 * 1024 * 1024, value_size=USER_BYTES
)


def monotonic() -> float:
    """The clock the memo's expiry reads (a function, so tests can move it)."""
    return time.monotonic()


async def session_user_key(request: HttpRequest) -> tuple[str, str, str] | None:
    """The session's (user id, backend, password hash), or None when no one is logged in.

    Kept per session cookie for ``WIDGETS_AUTH_CACHE_SECONDS`` too: reading a
    signed-cookie session checks its signature, a fifth of a warm page view. So
    a session that expires, or that is deleted on the server (a logout with a
    database engine), may be honoured for that long after.
    """
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    is_memoisable = 0 < len(cookie) <= MAX_KEY_TEXT
    known = _sessions.get(cookie) if is_memoisable else None
    if known is not None and monotonic() - known[0] < widget_settings.AUTH_CACHE_SECONDS:
        request.session.accessed = True  # the response depends on it: Vary: Cookie
        return known[1]
    session = request.session
    user_id = await session.aget(SESSION_KEY)
    if user_id is None:
        return None
    backend = await session.aget(BACKEND_SESSION_KEY, "")
    session_hash = await session.aget(HASH_SESSION_KEY, "")
    key = (str(user_id), str(backend), str(session_hash))
    if sum(map(len, key)) > MAX_KEY_TEXT:
        return None
    if is_memoisable:
        _sessions.put(cookie, (monotonic(), key))
    return key


# Session cookie -> (when it was read, the user key it names).
_sessions: LruMemo[str, tuple[float, tuple[str, str, str]]] = LruMemo(
    name="auth.sessions", max_entries=4096, max_bytes=4 * 1024 * 1024
)


async def cached_user(request: HttpRequest) -> User:
    """The request's user, as ``request.auser()`` gives it, from the memo while it is fresh.

    A miss asks Django (``aget_user``: it checks the backend and the password
    hash, and flushes a session that fails), then loads the user's permissions
    so that later checks of this user need no query.
    """
    if hasattr(request, "_widgets_user"):
        return request._widgets_user  # type: ignore[no-any-return]
    key = await session_user_key(request)
    cached = _users.get(key) if key is not None else None
    if cached is not None and monotonic() - cached[0] < widget_settings.AUTH_CACHE_SECONDS:
        _, user, permissions = cached
    else:
        user = await aget_user(request)
        permissions = await load_permissions(user)
        if user.is_authenticated and key is not None:
            _users.put(key, (monotonic(), user, permissions))
    request._widgets_user = user  # type: ignore[attr-defined]
    request._widgets_permissions = permissions  # type: ignore[attr-defined]
    request.user = user  # type: ignore[assignment]  # so templates and sync code read it without a query
    return user


async def load_permissions(user: Any) -> frozenset[str]:
    """Every permission the authentication backends list for ``user`` (``"app_label.codename"``).

    Also fills the caches Django's backends keep on the user object, for ``ahas_perm``.
    """
    aget_all_permissions: Callable[[], Any] | None = getattr(user, "aget_all_permissions", None)
    if aget_all_permissions is None or not user.is_active or user.is_superuser:
        return frozenset()
    return frozenset(await aget_all_permissions())


def known_permissions(request: HttpRequest) -> frozenset[str] | None:
    """The permissions ``cached_user`` loaded for this request's user; None if it did not run."""
    return getattr(request, "_widgets_permissions", None)
