"""Django's stock middleware, run in the event loop; sessions and auth for the admin's path only.

Every middleware in settings.MIDDLEWARE must run in the event loop: Django's
``MiddlewareMixin`` hops to a thread for each ``process_request`` and
``process_response`` of an async request. The stock middleware listed here
only compute (no I/O), so ``RunInline`` calls their hooks directly in the
loop. Sessions, authentication and messages do I/O; ``AdminOnlyMiddleware``
runs them for the admin's requests only.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import clickjacking, common, csp, security
from django.urls import NoReverseMatch, reverse
from django.utils.csp import CSP, build_policy
from django.utils.functional import cached_property

from widgets.auth import LoginThrottleMiddleware
from widgets.memo import LruMemo
from widgets.request_types import AsyncGetResponse, HtmxHttpRequest


class RunInline:
    """Run a ``MiddlewareMixin``'s hooks in the event loop instead of a thread.

    Only for middleware whose hooks do no I/O; each subclass below is one.
    """

    get_response: AsyncGetResponse

    async def __acall__(self, request: HtmxHttpRequest) -> HttpResponseBase:
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SecurityMiddleware(RunInline, security.SecurityMiddleware):  # type: ignore[misc]
    pass


class CommonMiddleware(RunInline, common.CommonMiddleware):  # type: ignore[misc]
    pass


class ContentSecurityPolicyMiddleware(RunInline, csp.ContentSecurityPolicyMiddleware):  # type: ignore[misc]
    """Django's, but each configuration's policy is built once, not per response.

    A response whose nonce was used gets the policy with that nonce put in
    (the dashboard page); the others (widget fragments, embeds) the policy
    without one.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        nonce = csp.get_nonce(request)
        for header, config in (
            (CSP.HEADER_ENFORCE, getattr(response, "_csp_config", settings.SECURE_CSP)),
            (CSP.HEADER_REPORT_ONLY, getattr(response, "_csp_ro_config", settings.SECURE_CSP_REPORT_ONLY)),
        ):
            if config and header not in response:
                response.headers[str(header)] = csp_policy(config, str(nonce) if nonce else None)
        return response


# Per-process random, so no configuration can contain it.
NONCE_MARKER = f"csp-nonce-{secrets.token_hex(16)}"
_policies: LruMemo[int, tuple[Mapping[str, Any], str, str]] = LruMemo(
    name="asgi.csp_policies", max_entries=64, max_bytes=256 * 1024
)


def csp_policy(config: Mapping[str, Any], nonce: str | None) -> str:
    """The CSP header of ``config``, as Django's ``build_policy`` makes it, built once per configuration."""
    # Keyed by identity, holding the configuration so that its id cannot be reused.
    cached = _policies.get(id(config))
    if cached is None or cached[0] is not config:
        cached = _policies.put(id(config), (config, build_policy(config), build_policy(config, NONCE_MARKER)))
    _, without_nonce, with_marker = cached
    return without_nonce if nonce is None else with_marker.replace(NONCE_MARKER, nonce)


class XFrameOptionsMiddleware(RunInline, clickjacking.XFrameOptionsMiddleware):  # type: ignore[misc]
    pass


class AdminOnlyMiddleware:
    """Sessions, authentication and messages, for the admin's requests only.

    Those stock middleware are ``MiddlewareMixin`` classes: each of their hooks
    would run in a thread for every async request, and the session's hooks do
    I/O, so they cannot run inline. In MIDDLEWARE they would cost every widget
    and embed request its thread hops (and offer it a session cookie). Here
    they form an inner chain that only requests under the admin's URL prefix
    go through; every other request passes straight on. CSRF needs no
    middleware: the admin's views apply ``csrf_protect`` themselves. Login
    attempts there are throttled (``widgets.auth.throttle``).
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        self.admin_chain = SessionMiddleware(
            AuthenticationMiddleware(MessageMiddleware(LoginThrottleMiddleware(get_response)))
        )
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
        return await self.get_response(request)
