"""The embed page (``/embed/<token>/``) and oEmbed (``/oembed``).

An embed page shows the one widget its signed token fixes (``widgets.embed.signing``)
and nothing else, while the admin's link it was made for, if any, is active
(``widgets.embed.revocation``). It refreshes by polling its own URL: with ``HX-Request``
(htmx in the iframe) or ``?fragment=1`` (the script embed) it answers with
the widget's fragment alone. It sets no cookie, may be framed by the site
itself and by ``WIDGETS_EMBED_ALLOWED_ORIGINS`` (CSP ``frame-ancestors``, no
X-Frame-Options), and answers those origins' fetches with CORS.
"""

from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from widgets.conf import widget_settings
from widgets.embed.revocation import EmbedUnchecked, check_not_revoked
from widgets.embed.signing import EmbedError, changed_query, embed_path, read_embed, token_from_url
from widgets.memo import LruMemo
from widgets.registry import registry
from widgets.render import WidgetFrame, fragment_response, frame_for
from widgets.request_types import HtmxHttpRequest

EMBED_TEMPLATE = "widgets/embed.html"
MESSAGE_TEMPLATE = "widgets/embed.html#message"
IFRAME_TEMPLATE = "widgets/embed_iframe.html"
OEMBED_URL_NAME = "widgets:oembed"
DEFAULT_WIDTH = 480
DEFAULT_HEIGHT = 320

type EmbedView = Callable[..., Coroutine[Any, Any, HttpResponse]]

_policies: LruMemo[tuple[str, ...], dict[str, list[str]]] = LruMemo(
    name="embed.policies",
    max_entries=16,
    max_bytes=64 * 1024,
    value_size=lambda policy: sum(len(name) + sum(map(len, sources)) for name, sources in policy.items()),
)


def embed_policy() -> dict[str, list[str]]:
    """The embed page's Content-Security-Policy: scripts from the site only, framed by the allowed origins.

    One object per set of allowed origins, so the CSP middleware builds its header once.
    """
    origins = tuple(widget_settings.EMBED_ALLOWED_ORIGINS)
    return _policies.get_or_make(origins, lambda: _build_embed_policy(origins))


def _build_embed_policy(origins: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:"],
        "connect-src": [CSP.SELF],
        "frame-ancestors": ["*"] if "*" in origins else [CSP.SELF, *origins],
        "base-uri": [CSP.NONE],
        "form-action": [CSP.NONE],
    }


def is_allowed_origin(origin: str) -> bool:
    allowed = widget_settings.EMBED_ALLOWED_ORIGINS
    return "*" in allowed or origin in allowed


def embed_headers(view: EmbedView) -> EmbedView:
    """The embed page's CSP and CORS headers, and no X-Frame-Options."""

    @wraps(view)
    async def with_embed_headers(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # csp_override fixes its policy when it is applied; the allowed origins are read per request.
        response = await csp_override(embed_policy())(view)(request, *args, **kwargs)
        patch_vary_headers(response, ["Origin"])
        origin = request.headers.get("Origin")
        if origin and is_allowed_origin(origin):
            response["Access-Control-Allow-Origin"] = origin
        return response

    return xframe_options_exempt(with_embed_headers)


@require_safe
@embed_headers
async def embed_view(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The widget a signed token fixes: a minimal page, or its fragment for htmx and the script embed."""
    try:
        embed = read_embed(token)
        await check_not_revoked(embed)
    except EmbedError as error:
        return render_message(request, error.reason, str(error), status=error.status)
    if changed := changed_query(request.GET):
        message = gettext("Embed links cannot be changed: remove ?%(query)s.") % {"query": changed}
        return render_message(request, "changed", message, status=400)
    # A widget since unregistered gives 404; parameters its form no longer accepts, 400.
    frame, status = await frame_for(request, embed.widget_name, embed.params, url=request.path)
    return render_embed(request, frame, status=status)


def wants_fragment(request: HtmxHttpRequest) -> bool:
    return bool(request.htmx) or request.GET.get("fragment") == "1"


def render_embed(request: HtmxHttpRequest, frame: WidgetFrame, *, status: int = 200) -> HttpResponse:
    if wants_fragment(request):
        return fragment_response(frame, status=status)
    context = {**frame.body, "frame": frame, "not_found": status == 404, "oembed_url": oembed_link(request)}
    # A plain response: Django would run a TemplateResponse's render() in a thread.
    return render(request, EMBED_TEMPLATE, context, status=status)


def render_message(request: HtmxHttpRequest, reason: str, message: str, *, status: int) -> HttpResponse:
    """Why the embed cannot be shown, as the page or (for htmx and the script embed) the fragment."""
    template = MESSAGE_TEMPLATE if wants_fragment(request) else EMBED_TEMPLATE
    return render(request, template, {"message": message, "reason": reason}, status=status)


def oembed_link(request: HttpRequest) -> str | None:
    """The oEmbed URL of this embed page, for its discovery ``<link>`` (None without an oEmbed route)."""
    try:
        endpoint = reverse(OEMBED_URL_NAME)
    except NoReverseMatch:
        return None
    query = urlencode({"url": request.build_absolute_uri(request.path), "format": "json"})
    return request.build_absolute_uri(f"{endpoint}?{query}")


@require_safe
async def oembed_view(request: HttpRequest) -> HttpResponseBase:
    """oEmbed (https://oembed.com/) for this site's embed URLs: the iframe to paste, sized to fit."""
    response_format = request.GET.get("format", "json")
    if response_format != "json":
        message = gettext("Only format=json is supported, not format=%(format)s.")
        return oembed_error(message % {"format": response_format}, status=501)
    url = request.GET.get("url", "")
    if not url:
        return oembed_error(gettext("Give the embed URL: /oembed?url=<embed URL>&format=json."), status=400)
    try:
        width, height = oembed_size(request.GET)
    except ValueError as error:
        return oembed_error(str(error), status=400)
    hosts = {request.get_host(), urlsplit(widget_settings.SITE_URL).netloc}
    try:
        token = token_from_url(url, hosts)
        embed = read_embed(token)
        await check_not_revoked(embed)
    except EmbedUnchecked as error:
        return oembed_error(str(error), status=503)
    except EmbedError as error:
        return oembed_error(str(error), status=404)
    widget = registry.get(embed.widget_name)
    if widget is None:
        message = gettext("The widget %(name)s of this embed link is gone.")
        return oembed_error(message % {"name": repr(embed.widget_name)}, status=404)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    iframe = {"src": f"{origin}{embed_path(token)}", "title": widget.title, "width": width, "height": height}
    answer: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "provider_name": widget_settings.EMBED_PROVIDER_NAME,
        "provider_url": f"{origin}/",
        "title": widget.title,
        "html": render_to_string(IFRAME_TEMPLATE, iframe).strip(),
        "width": width,
        "height": height,
    }
    if embed.expires_at is not None:
        answer["cache_age"] = max(0, int((embed.expires_at - datetime.now(UTC)).total_seconds()))
    return JsonResponse(answer)


def oembed_size(query: Mapping[str, str]) -> tuple[int, int]:
    """The iframe's width and height: the defaults, within ``maxwidth`` and ``maxheight``."""
    size = {"maxwidth": DEFAULT_WIDTH, "maxheight": DEFAULT_HEIGHT}
    for name, default in size.items():
        value = query.get(name, "")
        if not value:
            continue
        if not value.isdigit() or int(value) < 1:
            message = gettext("%(name)s must be a whole number of pixels, got %(value)s.")
            raise ValueError(message % {"name": name, "value": repr(value)})
        size[name] = min(default, int(value))
    return size["maxwidth"], size["maxheight"]


def oembed_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
