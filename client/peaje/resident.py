"""Resident datasets of one process: built once per spec, kept in a small LRU, and a lookup that
never builds, so a caller (the HTTP front) can tell "already here" from "costs a build"."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Resident(Generic[T]):
    """``resident(spec)`` builds (outside the lock) or returns the kept value; ``get(spec)``
    returns it or None without building. At most ``size`` values, least recently used first out."""

    def __init__(self, build: Callable[[str], T], size: int = 8) -> None:
        self.build = build
        self.size = size
        self.kept: OrderedDict[str, T] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, spec: str) -> T | None:
        with self.lock:
            found = self.kept.get(spec)
            if found is not None:
                self.kept.move_to_end(spec)
            return found

    def __call__(self, spec: str) -> T:
        found = self.get(spec)
        if found is not None:
            return found
        built = self.build(spec)  # may raise: nothing is kept then
        with self.lock:
            self.kept[spec] = built
            self.kept.move_to_end(spec)
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return built

    def cache_clear(self) -> None:
        with self.lock:
            self.kept.clear()
