"""Sessions and users for every request, in the event loop; the admin keeps Django's own chain.

Django's ``SessionMiddleware`` and ``AuthenticationMiddleware`` are
``MiddlewareMixin`` classes: under ASGI each of their hooks runs in a thread,
for every request. ``AuthMiddleware`` does their work in the event loop:

- ``request.session``: the configured engine's store, made from the cookie. It
  reads nothing until asked. With the signed-cookie engine
  (``django.contrib.sessions.backends.signed_cookies``) reading and saving it
  is only signing, so a request that uses its session still starts no thread;
  another engine reads and writes through its own async methods (threads).
- ``request.auser()``: the user, kept per process for a short time
  (``widgets.auth.users``); ``request.user`` is the same lazily, for sync views.

Requests under the admin's URL prefix go through Django's own session,
authentication and message middleware instead (the admin's views are sync and
use messages). Login attempts anywhere are throttled (``widgets.auth.throttle``).
"""

from functools import partial
from importlib import import_module

from asgiref.sync import markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.backends.signed_cookies import SessionStore as SignedCookieStore
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject, cached_property

from widgets.auth.throttle import LoginThrottleMiddleware
from widgets.auth.users import cached_user
from widgets.request_types import AsyncGetResponse


class AuthMiddleware:
    """``request.session``, ``request.user`` and ``request.auser()`` without a thread hop.

    Put it in ``MIDDLEWARE`` in place of Django's session, authentication and
    message middleware.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        self.throttled = LoginThrottleMiddleware(get_response)
        self.sessions = SessionMiddleware(self.throttled)
        self.admin_chain = SessionMiddleware(
            AuthenticationMiddleware(MessageMiddleware(LoginThrottleMiddleware(get_response)))
        )
        store = import_module(settings.SESSION_ENGINE).SessionStore
        self.sessions_need_io = not issubclass(store, SignedCookieStore)
        markcoroutinefunction(self)

    @cached_property
    def admin_prefix(self) -> str | None:
        """Where the admin is mounted (``/admin/``); None when the URLs have no admin."""
        try:
            return reverse("admin:index")
        except NoReverseMatch:
            return None

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = self.admin_prefix
        if prefix is not None and request.path.startswith(prefix):
            return await self.admin_chain.__acall__(request)
        self.sessions.process_request(request)  # makes the store; reads nothing yet
        request.auser = partial(cached_user, request)  # type: ignore[assignment]
        request.user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[assignment]
        response = await self.throttled(request)
        return await self.save_session(request, response)

    async def save_session(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """Django's ``SessionMiddleware.process_response``, in a thread only when saving needs I/O."""
        session = request.session
        needs_save = session.modified or settings.SESSION_SAVE_EVERY_REQUEST
        if needs_save and self.sessions_need_io:
            return await sync_to_async(self.sessions.process_response)(request, response)  # type: ignore[arg-type]
        return self.sessions.process_response(request, response)  # type: ignore[arg-type]
