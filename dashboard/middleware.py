"""Async middleware: HTMX metadata on the request, timing and cache headers on the response.

Every middleware in settings.MIDDLEWARE must run in the event loop: Django's
``MiddlewareMixin`` hops to a thread for each ``process_request`` and
``process_response`` of an async request. The stock middleware we use only
compute (no I/O), so ``RunInline`` calls their hooks directly in the loop.
Sessions, authentication and messages do I/O; ``AdminOnlyMiddleware`` runs
them for the admin's requests only.
"""

import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.middleware import clickjacking, common, csp, security
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP, build_policy
from django.utils.functional import cached_property

from dashboard.filters import FiltersForm
from widgets.params import page_query
from widgets.requests import HtmxHttpRequest
from widgets.timing import SourceTiming, collect_timings, server_timing_header

AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class DashboardRequest:
    """What a widget or page may want to know about the HTMX request that reached it."""

    request_id: str
    is_htmx: bool
    trigger: str | None
    target: str | None
    current_url: str | None
    page_query: QueryDict
    timings: list[SourceTiming] = field(default_factory=list)

    @cached_property
    def filters(self) -> dict[str, Any]:
        """The valid dashboard filters of the page (the HTMX page URL's, else this URL's).

        Parsed on first use: validating a form is a quarter of a cached widget
        request's cost, and most requests never ask.
        """
        form = FiltersForm(data=self.page_query)
        form.is_valid()
        return {name: value for name, value in form.cleaned_data.items() if value}


class DashboardMiddleware:
    """Attach ``request.dashboard``; set Vary, Server-Timing and the request id."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HtmxHttpRequest) -> HttpResponseBase:
        incoming_id = request.headers.get(REQUEST_ID_HEADER, "")
        with collect_timings() as timings:
            request.dashboard = DashboardRequest(  # type: ignore[attr-defined]
                request_id=incoming_id if _VALID_REQUEST_ID.fullmatch(incoming_id) else uuid.uuid4().hex,
                is_htmx=bool(request.htmx),
                trigger=request.htmx.trigger,
                target=request.htmx.target,
                current_url=request.htmx.current_url,
                page_query=page_query(request) if request.htmx else request.GET,
                timings=timings,
            )
            response = await self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        response[REQUEST_ID_HEADER] = request.dashboard.request_id  # type: ignore[attr-defined]
        if timings and not response.streaming:
            response["Server-Timing"] = server_timing_header(timings)
        return response


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
_policies: dict[int, tuple[Mapping[str, Any], str, str]] = {}


def csp_policy(config: Mapping[str, Any], nonce: str | None) -> str:
    """The CSP header of ``config``, as Django's ``build_policy`` makes it, built once per configuration."""
    # Keyed by identity, holding the configuration so that its id cannot be reused.
    cached = _policies.get(id(config))
    if cached is None or cached[0] is not config:
        cached = _policies[id(config)] = (config, build_policy(config), build_policy(config, NONCE_MARKER))
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
    middleware: the admin's views apply ``csrf_protect`` themselves.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        self.admin_chain = SessionMiddleware(AuthenticationMiddleware(MessageMiddleware(get_response)))
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
