"""The dashboard page (``/dashboards/<slug>/``) and the index of dashboards (``/dashboards/``)."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_safe

from widgets.auth import Verdict, check_access, known_verdict, login_redirect, may_see, request_user
from widgets.cache import CachedResult, peek_many
from widgets.i18n import rendering_variant
from widgets.memo import LruMemo
from widgets.pages.declarations import Dashboard
from widgets.pages.filters import filters_in_words, read_filters
from widgets.pages.kiosk import Kiosk, is_kiosk, read_kiosk, wants_rotation
from widgets.pages.layout import Placement, place
from widgets.pages.registry import dashboards
from widgets.pages.stream import fresh_tiles, fresh_tiles_bytes, page_shell, start_loads, stream_page
from widgets.request_types import HtmxHttpRequest
from widgets.theme import chosen_theme

INDEX_TEMPLATE = "widgets/dashboards.html"
# The printed header's "Data as of" time; widgets/frame.html writes each widget's time so (data-time-text).
FULL_TIME_FORMAT = "Y-m-d H:i:s T"


@require_safe
async def dashboard_view(request: HtmxHttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    """The dashboard as one streamed response; after a filter change (htmx), its body alone."""
    dashboard = dashboards.get(slug)
    if dashboard is None:
        return await unknown_dashboard(request, slug)
    verdict = await check_access(dashboard, request)
    if verdict is Verdict.LOGIN_REQUIRED:
        return login_redirect(request)
    if verdict is Verdict.FORBIDDEN:
        return await index_page(request, status=403, forbidden=True)
    filters = read_filters(dashboard, request.GET)
    kiosk = await kiosk_mode(request, dashboard) if is_kiosk(request.GET) else None
    theme = chosen_theme(request.COOKIES)
    # A tile whose widget this viewer may not see is neither loaded nor placed.
    placed = await visible_placements(place(dashboard, filters), request)
    user = await request_user(request)
    viewer = user.get_username() if user.is_authenticated else ""
    status = 200 if filters.is_valid else 400

    def context(**extra: Any) -> dict[str, Any]:
        # Made only when the page is rendered: a form deep-copies its fields.
        filters_form = dashboard.filters_form(initial=dict(filters.values))
        return {
            "dashboard": dashboard,
            "filters": filters,
            "filters_form": filters_form,
            "placed": placed,
            "viewer": viewer,
            "filter_words": filters_in_words(dashboard.filters_form, filters.values),
            "kiosk": kiosk,
            "theme": theme,
            **extra,
        }

    if request.htmx and not request.htmx.history_restore_request:
        # A filter change: the page body, whose placeholders load themselves lazily.
        body = f"{dashboard.template_name}#dashboard"
        return render(request, body, context(is_streamed=False, **served_at(timezone.now())), status=status)
    fresh, waiting = split_fresh(placed)
    # The shell is made now, not in the generator: the CSP nonce it uses must be
    # known before the middleware writes the Content-Security-Policy header.
    # It has a placeholder for each widget still loading.
    loading = frozenset(item.slot for item in waiting)
    # The shell names the viewer, shows their tiles, and has their theme and kiosk mode: all part of its key.
    shown = tuple(item.slot for item in placed)
    layout = tuple(dashboard.layout)
    seen_by = (viewer, theme, kiosk, rendering_variant())
    shell_key = (dashboard.slug, dashboard.template_name, filters.query, layout, shown, loading, seen_by)
    is_memoisable = filters.is_valid and filters.is_memoisable and (kiosk is None or kiosk.is_memoisable)
    head, tail = page_shell(
        request,
        dashboard.template_name,
        lambda: context(loading_slots=loading),
        key=shell_key if is_memoisable else None,
        per_request=served_at(timezone.now()),
    )
    response: HttpResponse | StreamingHttpResponse
    if not waiting:
        # Every widget is fresh in this process: the page the stream would send, in one piece
        # (bytes: the tiles are kept encoded, most of the page).
        response = HttpResponse(head.encode() + fresh_tiles_bytes(fresh) + tail.encode(), status=status)
    else:
        loads = await start_loads(waiting)
        response = StreamingHttpResponse(
            stream_page(head + fresh_tiles(fresh), loads, tail),
            status=status,
            content_type="text/html; charset=utf-8",
        )
        response["X-Accel-Buffering"] = "no"  # let proxies pass each chunk on at once
    response["Cache-Control"] = "no-cache"
    return response


async def kiosk_mode(request: HtmxHttpRequest, dashboard: Dashboard) -> Kiosk:
    """The page's kiosk mode; a rotation goes only through dashboards this viewer may open."""
    may_open = (
        [other.slug for other in dashboards if await may_see(other, request)]
        if wants_rotation(request.GET)
        else []
    )
    return read_kiosk(request.GET, dashboard.slug, may_open)


def served_at(now: datetime) -> dict[str, str]:
    """When the page was served: the printed header's time until ``widgets/dashboard.js`` knows the data's.

    Shown in the active time zone, with its abbreviation (``widgets.i18n``); to the
    second, so formatted once per second and variant, not per page view.
    """
    second = now.replace(microsecond=0)
    return _served_at.get_or_make((second, rendering_variant()), lambda: format_served_at(second))


def format_served_at(now: datetime) -> dict[str, str]:
    return {
        "served_at_iso": now.astimezone(UTC).isoformat(timespec="seconds"),
        "served_at_text": dateformat.format(timezone.localtime(now), FULL_TIME_FORMAT),
    }


_served_at: LruMemo[tuple[datetime, tuple[str, str]], dict[str, str]] = LruMemo(
    name="pages.served_at", max_entries=16, max_bytes=16 * 1024
)


async def visible_placements(placements: list[Placement], request: HtmxHttpRequest) -> list[Placement]:
    """The placements whose widget this viewer may see (checked without an await when it can be)."""
    shown = []
    for item in placements:
        verdict = known_verdict(item.widget, request)
        if verdict is None:
            verdict = await check_access(item.widget, request)
        if verdict is Verdict.ALLOWED:
            shown.append(item)
    return shown


def split_fresh(placed: list[Placement]) -> tuple[list[tuple[Placement, CachedResult]], list[Placement]]:
    """The placements whose widget this process holds fresh (with its value), and the ones to load."""
    valid = [item for item in placed if item.is_valid]
    looked_up = peek_many([(item.widget, item.params, item.cache_key) for item in valid])
    results = dict(zip(valid, looked_up, strict=True))
    fresh, waiting = [], []
    for item in placed:
        result = results.get(item)
        if result is None:
            waiting.append(item)
        else:
            fresh.append((item, result))
    return fresh, waiting


async def unknown_dashboard(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return await index_page(request, status=404, unknown_slug=slug)


@require_safe
async def index_view(request: HtmxHttpRequest) -> HttpResponse:
    """Every dashboard this viewer may open, with its description and a link."""
    return await index_page(request)


async def index_page(request: HtmxHttpRequest, *, status: int = 200, **notice: Any) -> HttpResponse:
    """The index, listing the dashboards the viewer may open; anonymous with none to see: the login page."""
    listed: list[Dashboard] = [dashboard for dashboard in dashboards if await may_see(dashboard, request)]
    user = await request_user(request)
    if not listed and not user.is_authenticated and list(dashboards) and not notice:
        return login_redirect(request)
    return render(request, INDEX_TEMPLATE, {"dashboards": listed, **notice}, status=status)
