"""The pure-Python engine: the baseline every chart compares against.

It is the talk's recursive binary search, made correct: leftmost occurrence, a half-open
range so there is no off-by-one at ``high``. It reads the caller's sequence in place whatever
the data mode and, like ``bisect``, trusts its order: on unsorted input it returns some index
in ``[-1, len)``; a probed item that is not an int64 still raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from peaje.arguments import (
    as_int64,
    bytes_like,
    check_batch,
    check_errors_name,
    check_mode,
    check_repeat,
    entry_pairs,
    int64_list,
    role_text,
    short_repr,
)
from peaje.errors import InvalidArgument, TooLarge
from peaje.limits import INT64_MAX, INT64_MIN, MAX_DATASET_SIZE, MODES
from peaje.resident import Resident

_SPEC = re.compile(r"range:([0-9]+)(?::([0-9]+))?")


def parse_dataset_spec(spec: str) -> tuple[int, int]:
    """(N, STEP) of 'range:N' or 'range:N:STEP', with the core's caps and messages."""
    shown = short_repr(spec[:64] + ("..." if len(spec) > 64 else ""))
    match = _SPEC.fullmatch(spec)
    if not spec.startswith("range:"):
        raise InvalidArgument(f"unknown dataset spec {shown}: expected 'range:N' or 'range:N:STEP'")
    if match is None:
        raise InvalidArgument(f"dataset spec {shown}: N and STEP must be non-negative integers")
    size, step = int(match.group(1)), int(match.group(2) or 1)
    if step < 1:
        raise InvalidArgument(f"dataset spec {shown}: STEP must be at least 1")
    if size > MAX_DATASET_SIZE:
        raise TooLarge(f"dataset spec {shown}: N = {size} exceeds the cap of {MAX_DATASET_SIZE}")
    if size > 1 and (size - 1) * step > INT64_MAX:
        raise InvalidArgument(f"dataset spec {shown}: (N-1)*STEP overflows int64")
    return size, step


BUILD_SLICE = 1 << 16  # values per step of a build: each lets other threads take the GIL


def build_dataset(spec: str) -> list[int]:
    """The values a spec names. Built in slices: one list(range(...)) of 10M values holds the
    GIL for a second, freezing every other thread (the HTTP front's event loop among them)."""
    size, step = parse_dataset_spec(spec)
    values: list[int] = []
    for start in range(0, size, BUILD_SLICE):
        values.extend(range(start * step, min(start + BUILD_SLICE, size) * step, step))
    return values


# The values a spec names, built once and cached (the python engine's resident data).
dataset: Resident[list[int]] = Resident(build_dataset)


def _probe(values: Sequence[int], index: int) -> int:
    item = values[index]
    if type(item) is int and INT64_MIN <= item <= INT64_MAX:
        return item
    return as_int64(item, "values", index)


def search_leftmost(values: Sequence[int], target: int, low: int, high: int) -> int:
    """Leftmost position in values[low:high] where target could be inserted (recursive)."""
    if low >= high:
        return low
    middle = (low + high) // 2
    if _probe(values, middle) < target:
        return search_leftmost(values, target, middle + 1, high)
    return search_leftmost(values, target, low, middle)


def binary_search(values: Sequence[int], target: int) -> int:
    """Index of the leftmost ``target`` in ``values``, or -1."""
    n = len(values)
    index = search_leftmost(values, target, 0, n)
    return index if index < n and _probe(values, index) == target else -1


class PythonEngine:
    """Engine "python": pure Python, in the interpreter."""

    name = "python"
    modes = MODES
    validating_modes: tuple[str, ...] = ()  # trusts order in every mode, like bisect

    def search(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> list[int]:
        check_mode(mode)
        repeat = check_repeat(repeat)
        if isinstance(values, str):
            values = dataset(values)
        elif not isinstance(values, Sequence) and not hasattr(values, "__getitem__"):
            raise InvalidArgument(f"values must be a sequence of int, got {type(values).__name__}")
        targets = int64_list(targets, "targets")
        check_batch(len(targets), repeat)
        found: list[int] = []
        for _ in range(repeat):
            found = [binary_search(values, target) for target in targets]
        return found

    def resident(self, spec: str) -> list[int] | None:
        """The dataset `spec` names if it is already built here, else None (never builds)."""
        return dataset.get(spec)

    def to_bytes_dict(self, mapping: Mapping[Any, Any] | Any, errors: str = "strict") -> dict:
        errors = check_errors_name(errors)
        return {
            _encode(key, errors, key, False): _encode(value, errors, key, True)
            for key, value in entry_pairs(mapping)
        }

    def close(self) -> None:
        pass

    def __enter__(self) -> PythonEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encode(obj: Any, errors: str, key: Any, is_value: bool) -> bytes:
    if isinstance(obj, str):
        try:
            return obj.encode("utf-8", errors)
        except UnicodeEncodeError as e:
            raise UnicodeEncodeError(
                "utf-8", obj, e.start, e.end, f"{e.reason} (in {role_text(key, is_value)})"
            ) from None
    return bytes_like(obj, key, is_value)
