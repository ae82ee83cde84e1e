"""Resident datasets of this process, bounded in bytes: one budget shared by every local engine.

A dataset spec names data that lives beside an engine (a native ``SortedArray``, the python
engine's list). Each is built once and kept in one LRU cache per process, keyed by the engine's
kind and the spec's canonical form (``range:5`` and ``range:5:1`` are one entry), and the bytes
of every entry cached or being built count against ``PEAJE_DATASET_BUDGET_BYTES`` (default
1 GiB). Building past the budget evicts the least recently used entries; a dataset that cannot
fit even then is refused with ``peaje.TooLarge``, before anything is allocated.

Every local engine has ``resident(spec)``, which returns the dataset when it is already built and
None otherwise (never builds), and ``prepare_dataset(spec)``, which builds it: the API searches
inline only on resident data and builds anything else off its event loop.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from peaje.errors import InvalidArgument, TooLarge

BUDGET_ENV = "PEAJE_DATASET_BUDGET_BYTES"
DEFAULT_BUDGET_BYTES = 1 << 30


def budget_from_env() -> int:
    text = os.environ.get(BUDGET_ENV, "")
    if not text:
        return DEFAULT_BUDGET_BYTES
    try:
        budget = int(text)
    except ValueError:
        raise InvalidArgument(
            f"{BUDGET_ENV} must be a number of bytes, got {text[:40]!r}"
        ) from None
    if budget < 0:
        raise InvalidArgument(f"{BUDGET_ENV} must be a number of bytes >= 0, got {budget}")
    return budget


class ResidentDatasets:
    """LRU of built datasets under a byte budget; thread-safe, builds outside the lock."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._cached_bytes = 0
        self._building_bytes = 0

    def get(self, kind: str, canonical: str, nbytes: int, build: Callable[[], Any]) -> Any:
        """The dataset under (kind, canonical), built by `build()` (about `nbytes`) if absent."""
        key = (kind, canonical)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[0]
            self._make_room(canonical, nbytes)
            self._building_bytes += nbytes
        try:
            data = build()
        finally:
            with self._lock:
                self._building_bytes -= nbytes
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:  # built meanwhile by another thread: keep one
                return hit[0]
            self._make_room(canonical, nbytes)
            self._entries[key] = (data, nbytes)
            self._cached_bytes += nbytes
        return data

    def peek(self, kind: str, canonical: str) -> Any | None:
        """The dataset if it is already built, else None: never builds."""
        with self._lock:
            hit = self._entries.get((kind, canonical))
            if hit is None:
                return None
            self._entries.move_to_end((kind, canonical))
            return hit[0]

    def _make_room(self, canonical: str, nbytes: int) -> None:
        while self._entries and self._used() + nbytes > self.budget_bytes:
            _, (_, freed) = self._entries.popitem(last=False)
            self._cached_bytes -= freed
        if self._used() + nbytes > self.budget_bytes:
            raise TooLarge(
                f"dataset {canonical} needs {nbytes} bytes; the resident-dataset budget "
                f"({BUDGET_ENV}={self.budget_bytes}) has {self.budget_bytes - self._used()} free"
            )

    def _used(self) -> int:
        return self._cached_bytes + self._building_bytes

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "cached_bytes": self._cached_bytes,
                "building_bytes": self._building_bytes,
                "budget_bytes": self.budget_bytes,
            }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cached_bytes = 0


RESIDENT = ResidentDatasets(budget_from_env())
