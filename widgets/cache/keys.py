"""Cache keys: the only place they are built."""

import hashlib
import json
from collections.abc import Hashable, Mapping
from typing import Any

from widgets.base import Widget
from widgets.conf import widget_settings
from widgets.i18n import rendering_variant
from widgets.memo import MAX_KEY_TEXT, LruMemo

# Part of every key: bump it when what is stored changes shape.
KEY_FORMAT_VERSION = 2  # 2: JSON (widgets.cache.codec), no longer pickles


def cache_key(widget: Widget, params: Mapping[str, Any]) -> str:
    """The key of ``widget``'s value for ``params``: the only place keys are built.

    ``<prefix>:v<format>:<widget name>:<hash>``, the hash over the cleaned
    parameters sorted by name, so their order never matters, and over the
    active language and time zone: a load may put translated text and local
    times in its value (``widgets.i18n``).
    """
    prefix = widget_settings.CACHE_KEY_PREFIX
    variant = rendering_variant()
    # Parameters come from requests: longer ones (their text values together) are hashed every time.
    if sum(len(value) for value in params.values() if isinstance(value, str)) > MAX_KEY_TEXT:
        return _build_cache_key(prefix, widget.name, params, variant)
    try:
        # Types too: 1, 1.0 and True are equal and hash alike, but are three keys.
        memo_key = (
            prefix,
            widget.name,
            tuple((name, type(value), value) for name, value in sorted(params.items())),
            variant,
        )
        hash(memo_key)
    except TypeError:  # a list from a multiple-choice field, say: build it every time
        return _build_cache_key(prefix, widget.name, params, variant)
    return _cache_keys.get_or_make(memo_key, lambda: _build_cache_key(prefix, widget.name, params, variant))


# Every request for a widget builds its key; most ask for a few parameter combinations.
_cache_keys: LruMemo[Hashable, str] = LruMemo(name="cache.keys", max_entries=1000, max_bytes=1024 * 1024)


def _build_cache_key(
    prefix: str, widget_name: str, params: Mapping[str, Any], variant: tuple[str, str]
) -> str:
    canonical = json.dumps([params, variant], sort_keys=True, separators=(",", ":"), default=_canonical)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"{prefix}:v{KEY_FORMAT_VERSION}:{widget_name}:{digest}"


def _canonical(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(str(item) for item in value)
    if hasattr(value, "_meta") and hasattr(value, "pk"):  # a model instance from a ModelChoiceField
        return f"{value._meta.label_lower}:{value.pk}"
    return str(value)
