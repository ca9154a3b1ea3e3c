"""An ``ASGIHandler`` that starts no thread for requests that run no sync code.

Django's handler runs each request in a ``ThreadSensitiveContext`` and, even
for a fully async view, sends ``request_started`` and closes the response
through ``sync_to_async``: a new thread per request, about three quarters of
a trivial async view's cost. Those calls only need a thread when the request
did thread-sensitive work: then database connections live on that thread and
must be closed there. So this handler skips the signals (and closes the
response in the event loop) when

- the signal's receivers are only Django's own hooks, which have nothing to
  do in the event loop's thread: the database ones (``reset_queries``,
  ``close_old_connections``) find no connection there, where the ORM refuses
  to run; ``reset_urlconf`` resets a context variable of a request task that
  is ending; ``close_caches`` counts only when every configured cache
  backend's ``close`` is a no-op; and
- no thread-sensitive call has run in this request's context yet.

Dispatching those no-op receivers cost about a tenth of a cached widget
request. Otherwise the handler does exactly what Django does.
``WIDGETS_ASGI_LEAN_HANDLER = False`` turns it off.
"""

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from contextlib import closing
from typing import Any

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, reset_queries
from django.dispatch import Signal
from django.http import HttpResponseBase
from django.urls import set_script_prefix
from django.utils.module_loading import import_string

from widgets.memo import LruMemo


def inline_safe_receivers() -> frozenset[Callable[..., Any]]:
    safe: set[Callable[..., Any]] = {reset_queries, close_old_connections, reset_urlconf}
    backends = [import_string(config["BACKEND"]) for config in settings.CACHES.values()]
    if all(backend.close is BaseCache.close for backend in backends):
        safe.add(close_caches)
    return frozenset(safe)


class RequestProcessed(Exception):
    """Ends the task group of ``handle`` once the response is sent (Django defines it per request)."""


def close_without_signal(response: HttpResponseBase) -> None:
    """``HttpResponseBase.close()`` without its ``request_finished`` signal."""
    closers: list[Callable[[], object]] = response._resource_closers  # type: ignore[attr-defined]
    for closer in closers:
        # As Django does: a failing closer must not keep the others from running.
        with contextlib.suppress(Exception):
            closer()
    closers.clear()
    response.closed = True


def request_used_a_thread() -> bool:
    """Whether a thread-sensitive sync call has run in the current request's context."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    return context is not None and context in SyncToAsync.context_to_thread_executor


# Whether a signal may be skipped, per handler's safe receivers and set of connected receivers.
_skippable_signals: LruMemo[Hashable, bool] = LruMemo(
    name="asgi.skippable_signals", max_entries=64, max_bytes=256 * 1024
)


class LeanASGIHandler(ASGIHandler):
    """Django's ``ASGIHandler``, minus the per-request thread when nothing needs it."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_safe_receivers = inline_safe_receivers()

    def can_skip(self, signal: Signal, sender: Any) -> bool:
        """Whether sending ``signal`` now would only run receivers with nothing to do here."""
        if request_used_a_thread():
            return False
        # Decided once per set of connected receivers (connect and disconnect change the key).
        key = (id(signal), sender, tuple(entry[0] for entry in signal.receivers), self.inline_safe_receivers)
        return _skippable_signals.get_or_make(key, lambda: self._only_inline_safe_receivers(signal, sender))

    def _only_inline_safe_receivers(self, signal: Signal, sender: Any) -> bool:
        sync_receivers, async_receivers = signal._live_receivers(sender)
        return not async_receivers and all(
            receiver in self.inline_safe_receivers for receiver in sync_receivers
        )

    async def send_request_started(self, scope: Any) -> None:
        if not self.can_skip(signals.request_started, type(self)):
            await signals.request_started.asend(sender=type(self), scope=scope)

    async def close_response(self, response: HttpResponseBase) -> None:
        handler_class = getattr(response, "_handler_class", type(self))
        if not self.can_skip(signals.request_finished, handler_class):
            await sync_to_async(response.close)()
        elif type(response).close is HttpResponseBase.close:
            close_without_signal(response)
        else:
            response.close()  # a close() of its own may do more than free resources

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with ThreadSensitiveContext():
            await self.handle(scope, receive, send)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        # Django 6.1's ASGIHandler.handle, with the two thread hops made conditional.
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            await self.send_request_started(scope)
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                assert error_response is not None
                body_file.close()
                await self.send_response(error_response, send)
                await self.close_response(error_response)
                return

            response = None
            try:
                try:
                    async with asyncio.TaskGroup() as tasks:
                        tasks.create_task(self.listen_for_disconnect(receive))
                        response = await self.run_get_response(request)
                        await self.send_response(response, send)
                        raise RequestProcessed
                except* (RequestProcessed, RequestAborted):
                    pass
            except BaseExceptionGroup as exception_group:
                if len(exception_group.exceptions) == 1:
                    raise exception_group.exceptions[0] from None
                raise
            if response is None:
                await signals.request_finished.asend(sender=self.__class__)
            else:
                await self.close_response(response)
