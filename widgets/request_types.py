"""Types for type checkers: Django's request as django-htmx's middleware leaves it, and async middleware."""

from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponseBase
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]
