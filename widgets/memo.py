"""Per-process memos: bounded, least-recently-used, each named and registered here.

Every render-once shortcut in the framework keeps its values in an ``LruMemo``,
so one place lists them all (``memos()``) and one call empties them all
(``clear_memos()``, which the test suite runs before each test). A memo is
bounded twice: in entries (``max_entries``) and in bytes (``max_bytes``, an
estimate: see ``estimate_size``), so neither many small entries nor a few
big ones can make it grow without bound. Its bounds can be changed at run
time; ``max_entries = 0`` turns it off (every lookup misses, nothing is
kept), which is how the bench measures what a memo is worth.
"""

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# What an object that is not text (or a tuple of texts) counts for: a small Python object, roughly.
OBJECT_BYTES = 64
DEFAULT_MAX_BYTES = 1024 * 1024
# Request text (a page URL, a query, parameters) longer than this is used but never made part of a
# memo's key: one caller could otherwise fill a memo's bytes with a few huge keys of its own choosing.
MAX_KEY_TEXT = 2048


class MemoNameTaken(ValueError):
    """Raised when a memo is created under the name of one that still exists."""


# Weak: a memo made for one test, say, leaves the registry (and frees its name) with its last reference.
_registry: "weakref.WeakValueDictionary[str, LruMemo[Any, Any]]" = weakref.WeakValueDictionary()


def estimate_size(value: object) -> int:
    """The bytes a memo key or value holds, roughly.

    Text counts its length, a tuple (or frozenset) its items', anything else
    ``OBJECT_BYTES``. Cheap by design: it walks only tuples, which memo keys
    are made of; a memo whose values hold more says so with a ``value_size``.
    """
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple | frozenset):
        return sum(map(estimate_size, value))
    return OBJECT_BYTES


class LruMemo[K: Hashable, V]:
    """Keeps at most ``max_entries`` values and ``max_bytes`` bytes, forgetting the least recently used first.

    ``name`` says where the memo lives and what it keeps (``"cache.keys"``); names are unique.
    An entry's size is ``estimate_size(key)`` plus its value's: ``value_size(value)`` when given
    a function, the number when given one, else ``estimate_size(value)``. It is counted once, when
    the entry is put; an entry larger than ``max_bytes`` by itself is not kept.
    """

    def __init__(
        self,
        *,
        name: str,
        max_entries: int,
        max_bytes: int = DEFAULT_MAX_BYTES,
        value_size: Callable[[V], int] | int | None = None,
    ) -> None:
        if name in _registry:
            raise MemoNameTaken(f"A memo named {name!r} exists already.")
        self.name = name
        self._values: OrderedDict[K, V] = OrderedDict()
        # Kept beside the values, so a lookup costs what it did before sizes were counted.
        self._sizes: dict[K, int] = {}
        self._used_bytes = 0
        self._value_size = value_size
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        _registry[name] = self

    @property
    def max_entries(self) -> int:
        return self._max_entries

    @max_entries.setter
    def max_entries(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be 0 or more, not {max_entries}.")
        self._max_entries = max_entries
        self._evict()

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be 0 or more, not {max_bytes}.")
        self._max_bytes = max_bytes
        self._evict()

    @property
    def used_bytes(self) -> int:
        """The estimated bytes of the entries kept now."""
        return self._used_bytes

    def get(self, key: K) -> V | None:
        try:
            # Another thread may drop the key between these two lookups: then it is a miss.
            self._values.move_to_end(key)
        except KeyError:
            return None
        return self._values.get(key)

    def put(self, key: K, value: V) -> V:
        if self._max_entries == 0:
            return value
        size = estimate_size(key) + self._size_of(value)
        self._forget(key)  # its older value, if any: the new one is counted instead, or not kept at all
        if size > self._max_bytes:
            return value
        self._values[key] = value
        self._sizes[key] = size
        self._used_bytes += size
        self._evict()
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        try:
            self._values.move_to_end(key)
            return self._values[key]
        except KeyError:
            pass  # made outside the handler, so an error in make() does not read as a KeyError's
        return self.put(key, make())

    def _size_of(self, value: V) -> int:
        if self._value_size is None or isinstance(value, str | bytes):
            return estimate_size(value)
        if isinstance(self._value_size, int):
            return self._value_size
        return self._value_size(value)

    def _forget(self, key: K) -> None:
        self._values.pop(key, None)
        self._used_bytes -= self._sizes.pop(key, 0)

    def _evict(self) -> None:
        while self._values and (len(self._values) > self._max_entries or self._used_bytes > self._max_bytes):
            key, _ = self._values.popitem(last=False)
            self._used_bytes -= self._sizes.pop(key, 0)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r}: {len(self)} of {self._max_entries} entries, "
            f"{self._used_bytes} of {self._max_bytes} bytes>"
        )

    def clear(self) -> None:
        self._values.clear()
        self._sizes.clear()
        self._used_bytes = 0


def memos() -> list[LruMemo[Any, Any]]:
    """Every memo of this process, by name.

    Each has ``name``, ``len(memo)`` entries of ``max_entries``, and ``used_bytes`` of ``max_bytes``.
    A memo is listed once the module that holds it has been imported.
    """
    return sorted(_registry.values(), key=lambda memo: memo.name)


def clear_memos() -> None:
    """Empty every memo of this process (their bounds stay as they are)."""
    for memo in list(_registry.values()):
        memo.clear()
