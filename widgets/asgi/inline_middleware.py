"""Django's stock middleware that only compute, run in the event loop.

Every middleware in settings.MIDDLEWARE must run in the event loop: Django's
``MiddlewareMixin`` hops to a thread for each ``process_request`` and
``process_response`` of an async request. The stock middleware listed here
only compute (no I/O), so ``RunInline`` calls their hooks directly in the
loop. Sessions, authentication and messages do I/O: ``widgets.auth.middleware``
does their work.
"""

import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import clickjacking, common, csp, security
from django.utils.csp import CSP, build_policy

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
