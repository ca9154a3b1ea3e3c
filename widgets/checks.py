"""System checks: every registered widget is complete and its template exists; embed settings are sane."""

import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template

from widgets.conf import widget_settings
from widgets.registry import registry

ORIGIN = re.compile(r"https?://[^/?#\s]+")
# Revoking an embed link takes effect within a minute, on every process (widgets.embed.revocation).
MAX_REVOCATION_SECONDS = 60


@register()
def check_widgets(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for widget in registry:
        label = type(widget).__qualname__
        for attribute in ("title", "template_name"):
            if not getattr(widget, attribute, ""):
                messages.append(
                    Error(f"Widget {widget.name!r} ({label}) has no {attribute}.", id="widgets.E001")
                )
        template_name = getattr(widget, "template_name", "")
        if template_name:
            try:
                get_template(widget.ready_template)
            except TemplateSyntaxError as error:
                messages.append(
                    Error(
                        f"Widget {widget.name!r} ({label}): template {template_name!r} has an error: {error}",
                        id="widgets.E002",
                    )
                )
            except TemplateDoesNotExist:
                messages.append(
                    Error(
                        f"Widget {widget.name!r} ({label}): template {template_name!r} "
                        "does not exist or has no {% partialdef ready %}.",
                        id="widgets.E002",
                    )
                )
        if widget.refresh_seconds < 1:
            messages.append(
                Error(f"Widget {widget.name!r}: refresh_seconds must be at least 1.", id="widgets.E003")
            )
    return messages


@register()
def check_htmx_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The widget views read ``request.htmx``, which django-htmx's middleware sets."""
    if "django_htmx.middleware.HtmxMiddleware" in settings.MIDDLEWARE:
        return []
    return [
        Error(
            "The widgets app needs django-htmx's middleware.",
            hint="Add 'django_htmx.middleware.HtmxMiddleware' to MIDDLEWARE.",
            id="widgets.E004",
        )
    ]


USER_MIDDLEWARE = (
    "widgets.auth.middleware.AuthMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)


@register()
def check_auth_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Access rules read ``request.auser()``: without a middleware that sets it, everyone is anonymous."""
    if not widget_settings.LOGIN_REQUIRED or any(path in settings.MIDDLEWARE for path in USER_MIDDLEWARE):
        return []
    return [
        Error(
            "Widgets and dashboards need a logged-in user (WIDGETS_LOGIN_REQUIRED), but no middleware "
            "gives requests their user, so every visitor would be sent to the login page.",
            hint="Add 'widgets.auth.middleware.AuthMiddleware' to MIDDLEWARE (or Django's session and "
            "authentication middleware), or set WIDGETS_LOGIN_REQUIRED = False.",
            id="widgets.E010",
        )
    ]


@register()
def check_embed_origins(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Each allowed embed origin is ``*`` or ``scheme://host[:port]``: the browser compares them exactly."""
    return [
        Error(
            f"WIDGETS_EMBED_ALLOWED_ORIGINS has {origin!r}, which is not an origin.",
            hint="Give scheme://host[:port] with no path, e.g. https://blog.example, or *.",
            id="widgets.E005",
        )
        for origin in widget_settings.EMBED_ALLOWED_ORIGINS
        if origin != "*" and not ORIGIN.fullmatch(origin)
    ]


@register()
def check_embed_revocation_seconds(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Revoked embed links must stop within a minute: each process trusts a link's state for less."""
    try:
        seconds = widget_settings.EMBED_REVOCATION_SECONDS
    except (TypeError, ValueError):
        seconds = None
    if seconds is not None and 0 <= seconds < MAX_REVOCATION_SECONDS:
        return []
    configured = getattr(settings, "WIDGETS_EMBED_REVOCATION_SECONDS", None)
    return [
        Error(
            f"WIDGETS_EMBED_REVOCATION_SECONDS is {configured!r}: give a number of seconds "
            f"from 0 up to, not including, {MAX_REVOCATION_SECONDS}.",
            hint="A disabled or deleted embed link stops working within this many seconds; 0 checks "
            "it on every request. The default is 30.",
            id="widgets.E009",
        )
    ]
