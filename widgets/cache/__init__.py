"""The widget cache: keys, fresh TTL, stale-while-revalidate, stale-if-error, single-flight.

- ``keys``: ``cache_key``, the only place keys are built;
- ``codec``: values as the JSON kept in Redis; ``register_cached_type`` for a project's dataclasses;
- ``policy``: how long a widget's value is fresh, then stale;
- ``results``: what a load leaves (an entry or a failure) and what a lookup gives;
- ``redis_link``: the optional Redis client, and its cool-down after failures;
- ``store``: ``WidgetCache``, the in-process store, single-flight within and across processes;
- ``admission``: the bound on distinct loads in flight per process, and ``Overloaded`` past it.
"""

from widgets.cache.admission import Overloaded
from widgets.cache.codec import register as register_cached_type
from widgets.cache.keys import cache_key
from widgets.cache.policy import CachePolicy, cache_policy
from widgets.cache.results import CachedResult, CacheEntry, LoadFailure
from widgets.cache.store import WidgetCache, aclose_cache, get_or_load, peek_many, widget_cache

__all__ = [
    "CacheEntry",
    "CachePolicy",
    "CachedResult",
    "LoadFailure",
    "Overloaded",
    "WidgetCache",
    "aclose_cache",
    "cache_key",
    "cache_policy",
    "get_or_load",
    "peek_many",
    "register_cached_type",
    "widget_cache",
]
