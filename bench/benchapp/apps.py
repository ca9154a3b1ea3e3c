from collections.abc import Collection
from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from widgets.memo import LruMemo, memos

# The modules that make memos, imported before memos are looked up by name: in ready() the
# ASGI handler, the middleware and the URLconf's views are not imported yet.
MEMO_MODULES = ("widgets.asgi.handler", "widgets.asgi.inline_middleware", "widgets.cache", "widgets.render")


def known_memos() -> dict[str, LruMemo[Any, Any]]:
    """Every memo of the app server by name, once the modules that make them are imported."""
    for module in (*MEMO_MODULES, settings.ROOT_URLCONF):
        import_module(module)
    return {memo.name: memo for memo in memos()}


def switch_off_memos(names: Collection[str]) -> None:
    """Set the named memos' ``max_entries`` to 0 (``"all"``: every memo), so the bench measures them off."""
    known = known_memos()
    wanted = set(known) if "all" in names else set(names)
    if unknown := sorted(wanted - known.keys()):
        raise ImproperlyConfigured(
            f"BENCH_MEMOS_OFF names unknown memos: {', '.join(unknown)}. Known: {', '.join(known)}."
        )
    for name in wanted:
        known[name].max_entries = 0


class BenchAppConfig(AppConfig):
    name = "bench.benchapp"
    label = "benchapp"
    verbose_name = "Benchmark widgets and pages"

    def ready(self) -> None:
        if memos_off := getattr(settings, "BENCH_MEMOS_OFF", []):
            switch_off_memos(memos_off)
