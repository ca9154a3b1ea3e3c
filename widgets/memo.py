"""Per-process memos: bounded, least-recently-used, each named and registered here.

Every render-once shortcut in the framework keeps its values in an ``LruMemo``,
so one place lists them all (``memos()``) and one call empties them all
(``clear_memos()``, which the test suite runs before each test). A memo's
bound can be changed at run time; ``max_entries = 0`` turns it off (every
lookup misses, nothing is kept), which is how the bench measures what a memo
is worth.
"""

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class MemoNameTaken(ValueError):
    """Raised when a memo is created under the name of one that still exists."""


# Weak: a memo made for one test, say, leaves the registry (and frees its name) with its last reference.
_registry: "weakref.WeakValueDictionary[str, LruMemo[Any, Any]]" = weakref.WeakValueDictionary()


class LruMemo[K: Hashable, V]:
    """Keeps at most ``max_entries`` values, forgetting the least recently used first.

    ``name`` says where the memo lives and what it keeps (``"cache.keys"``); names are unique.
    """

    def __init__(self, *, name: str, max_entries: int) -> None:
        if name in _registry:
            raise MemoNameTaken(f"A memo named {name!r} exists already.")
        self.name = name
        self._values: OrderedDict[K, V] = OrderedDict()
        self.max_entries = max_entries
        _registry[name] = self

    @property
    def max_entries(self) -> int:
        return self._max_entries

    @max_entries.setter
    def max_entries(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be 0 or more, not {max_entries}.")
        self._max_entries = max_entries
        while len(self._values) > max_entries:
            self._values.popitem(last=False)

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
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self._max_entries:
            self._values.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        try:
            self._values.move_to_end(key)
            return self._values[key]
        except KeyError:
            pass  # made outside the handler, so an error in make() does not read as a KeyError's
        return self.put(key, make())

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self)} of {self._max_entries}>"

    def clear(self) -> None:
        self._values.clear()


def memos() -> list[LruMemo[Any, Any]]:
    """Every memo of this process, by name: each has ``name``, ``len(memo)`` entries and ``max_entries``.

    A memo is listed once the module that holds it has been imported.
    """
    return sorted(_registry.values(), key=lambda memo: memo.name)


def clear_memos() -> None:
    """Empty every memo of this process (their bounds stay as they are)."""
    for memo in list(_registry.values()):
        memo.clear()
