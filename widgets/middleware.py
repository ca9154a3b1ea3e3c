"""Our middleware, async only.

``WidgetsMiddleware``: our request details beside django-htmx's ``request.htmx``, and response headers.
``LocaleMiddleware``: the viewer's language and time zone.
"""

import re
import uuid
from dataclasses import dataclass, field

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from widgets.i18n import request_variant, viewer_time_zone
from widgets.request_types import AsyncGetResponse
from widgets.sources import SourceTiming, collect_timings, server_timing_header

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class RequestDetails:
    """What the framework adds to a request as ``request.widgets``: its id and its sources' timings."""

    request_id: str
    timings: list[SourceTiming] = field(default_factory=list)


class WidgetsMiddleware:
    """Attach ``request.widgets``; set ``Vary: HX-Request``, ``Server-Timing`` and ``X-Request-ID``.

    Put it after django-htmx's ``HtmxMiddleware``. Async only: no thread hop.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming_id = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming_id if _VALID_REQUEST_ID.fullmatch(incoming_id) else uuid.uuid4().hex
        with collect_timings() as timings:
            request.widgets = RequestDetails(request_id, timings)  # type: ignore[attr-defined]
            response = await self.get_response(request)
        # A widget URL answers a fragment to htmx and a page to everyone else.
        patch_vary_headers(response, ["HX-Request"])
        response[REQUEST_ID_HEADER] = request_id
        if timings and not response.streaming:
            response["Server-Timing"] = server_timing_header(timings)
        return response


class LocaleMiddleware:
    """Activate the viewer's language and time zone (``widgets.i18n``), in the event loop.

    Django's ``LocaleMiddleware`` would run each hook in a thread; this one
    does the same for a site without language prefixes in its URLs, plus the
    time zone. They stay active for the whole request task, so the chunks of a
    streamed page render in them too. Sets ``Content-Language``.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        zone = viewer_time_zone(request.COOKIES)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        time_zone = settings.TIME_ZONE if zone is None else zone.key
        with request_variant(request.LANGUAGE_CODE, time_zone):
            response = await self.get_response(request)
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
