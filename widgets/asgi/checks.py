"""Django's security checks, run for the stock middleware that ``inline_middleware`` runs in the event loop.

Django's checks look for the stock middleware by their dotted paths. With
``widgets.asgi.inline_middleware.SecurityMiddleware`` in ``MIDDLEWARE`` in
place of ``django.middleware.security.SecurityMiddleware``, ``check --deploy``
would say the middleware is missing (``security.W001``, ``W002``) and skip the
checks that depend on it (HSTS, SSL redirect, X-Frame-Options ...). Here those
same checks of Django's run as if the stock paths were listed; a project
silences ``security.W001`` and ``security.W002`` with this reason.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks.security import base
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from widgets.asgi import inline_middleware

# Each inline middleware, by the stock one it runs.
STOCK_PATHS = {
    inline_middleware.SecurityMiddleware: "django.middleware.security.SecurityMiddleware",
    inline_middleware.CommonMiddleware: "django.middleware.common.CommonMiddleware",
    inline_middleware.XFrameOptionsMiddleware: "django.middleware.clickjacking.XFrameOptionsMiddleware",
    inline_middleware.ContentSecurityPolicyMiddleware: (
        "django.middleware.csp.ContentSecurityPolicyMiddleware"
    ),
}
DEPLOY_CHECKS: list[Callable[..., list[CheckMessage]]] = [
    base.check_sts,
    base.check_sts_include_subdomains,
    base.check_sts_preload,
    base.check_content_type_nosniff,
    base.check_ssl_redirect,
    base.check_xframe_deny,
    base.check_referrer_policy,
    base.check_cross_origin_opener_policy,
]


def as_stock_paths(middleware: Sequence[str]) -> list[str]:
    """``MIDDLEWARE`` with each inline middleware written as the stock one it runs."""
    paths = []
    for path in middleware:
        try:
            middleware_class = import_string(path)
        except ImportError:
            paths.append(path)  # Django's own checks report it
            continue
        paths.append(STOCK_PATHS.get(middleware_class, path))
    return paths


def run_as_stock(checks: list[Callable[..., list[CheckMessage]]], app_configs: Any) -> list[CheckMessage]:
    stock_paths = as_stock_paths(settings.MIDDLEWARE)
    if stock_paths == list(settings.MIDDLEWARE):
        return []  # the stock middleware are listed: Django's checks see them already
    messages: list[CheckMessage] = []
    with override_settings(MIDDLEWARE=stock_paths):
        for check in checks:
            messages.extend(check(app_configs))
    return messages


@register(Tags.security, deploy=True)
def check_inline_middleware_deploy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return run_as_stock(DEPLOY_CHECKS, app_configs)


@register(Tags.security)
def check_inline_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return run_as_stock([base.check_csp_nonce_context_processor], app_configs)
