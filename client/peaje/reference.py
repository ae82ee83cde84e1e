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
    ENGINE_TIMEOUT,
    as_int64,
    bytes_like,
    check_deadline,
    check_errors_name,
    check_mode,
    check_repeat,
    check_timeout,
    claimed_len,
    dataset_spec_of,
    deadline_after,
    entry_pairs,
    role_text,
    sequence_values,
    short_repr,
    target_list,
)
from peaje.datasets import RESIDENT
from peaje.errors import InvalidArgument, TooLarge
from peaje.limits import INT64_MAX, INT64_MIN, MAX_DATASET_SIZE, MODES, SEARCHES_PER_SLICE

_SPEC = re.compile(r"range:([0-9]+)(?::([0-9]+))?")
_INT64_DIGITS = len(str(INT64_MAX))


def _decimal_or_minus_one(digits: str) -> int:
    """The value of ASCII digits (leading zeros allowed, any length), or -1 past int64; never
    int() on thousands of digits (CPython's 4,300-digit limit)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > _INT64_DIGITS:
        return -1
    value = int(digits)
    return value if value <= INT64_MAX else -1


def parse_dataset_spec(spec: str) -> tuple[int, int]:
    """(N, STEP) of 'range:N' or 'range:N:STEP': the README's grammar, checked in the core's
    order (syntax, then N's cap, then STEP's range), kept equal by tests/contract/dataset_specs."""
    shown = short_repr(spec, 64)
    if not spec.startswith("range:"):
        raise InvalidArgument(f"unknown dataset spec {shown}: expected 'range:N' or 'range:N:STEP'")
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise InvalidArgument(
            f"dataset spec {shown}: N and STEP must be non-negative decimal integers"
        )
    size = _decimal_or_minus_one(match.group(1))
    if not 0 <= size <= MAX_DATASET_SIZE:
        raise TooLarge(
            f"dataset spec {shown}: N = {short_repr(match.group(1), 24)} exceeds the cap of "
            f"{MAX_DATASET_SIZE}"
        )
    step = _decimal_or_minus_one(match.group(2) or "1")
    if step < 1:
        raise InvalidArgument(f"dataset spec {shown}: STEP must be between 1 and {INT64_MAX}")
    if size > 1 and (size - 1) * step > INT64_MAX:
        raise InvalidArgument(f"dataset spec {shown}: (N-1)*STEP overflows int64")
    return size, step


def canonical_spec(spec: str) -> str:
    """'range:N:STEP', the key every resident cache uses ('range:5' == 'range:5:1')."""
    size, step = parse_dataset_spec(spec)
    return f"range:{size}:{step}"


BUILD_SLICE = 1 << 16  # values per step of a build: each lets other threads take the GIL


def build_dataset(size: int, step: int) -> list[int]:
    """The values of 'range:size:step'. Built in slices: one list(range(...)) of 10M values holds
    the GIL for a second, freezing every other thread (the HTTP front's event loop among them)."""
    values: list[int] = []
    for start in range(0, size, BUILD_SLICE):
        values.extend(range(start * step, min(start + BUILD_SLICE, size) * step, step))
    return values


def dataset(spec: str) -> list[int]:
    """The values a spec names, built once per process under the resident-data budget
    (peaje.datasets): the python engine's resident data."""
    size, step = parse_dataset_spec(spec)
    return RESIDENT.get(
        "python", f"range:{size}:{step}", _list_nbytes(size), lambda: build_dataset(size, step)
    )


def _list_nbytes(size: int) -> int:
    """About what a list of `size` distinct ints holds: a pointer and an int object each."""
    return 56 + size * (8 + 32)


def _probe(values: Sequence[int], index: int) -> int:
    try:
        item = values[index]
    except IndexError:
        raise InvalidArgument(
            f"values[{index}] could not be read: the sequence is shorter than its len()"
        ) from None
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
    n = claimed_len(values)
    index = search_leftmost(values, target, 0, n)
    return index if index < n and _probe(values, index) == target else -1


def _search_all(
    values: Sequence[int], targets: list[int], repeat: int, deadline: float | None
) -> list[int]:
    """Every target searched `repeat` times; with a deadline, checked every SEARCHES_PER_SLICE
    searches so the call stops soon after it passes."""
    found: list[int] = []
    if deadline is None:
        for _ in range(repeat):
            found = [binary_search(values, target) for target in targets]
        return found
    check_deadline(deadline)
    found = [-1] * len(targets)
    since_check = 0
    for _ in range(repeat):
        for first in range(0, len(targets), SEARCHES_PER_SLICE):
            chunk = targets[first : first + SEARCHES_PER_SLICE]
            found[first : first + len(chunk)] = [binary_search(values, t) for t in chunk]
            since_check += len(chunk)
            if since_check >= SEARCHES_PER_SLICE:
                since_check = 0
                check_deadline(deadline)
    return found


class PythonEngine:
    """Engine "python": pure Python, in the interpreter."""

    name = "python"
    modes = MODES
    validating_modes: tuple[str, ...] = ()  # trusts order in every mode, like bisect

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = check_timeout(timeout)

    def search(
        self,
        values: Any,
        targets: Any,
        *,
        mode: str | None = None,
        repeat: int = 1,
        timeout: Any = ENGINE_TIMEOUT,
    ) -> list[int]:
        deadline = deadline_after(
            self.timeout if timeout is ENGINE_TIMEOUT else check_timeout(timeout)
        )
        mode = check_mode(mode)
        spec = dataset_spec_of(values, mode)
        values = dataset(spec) if spec is not None else sequence_values(values)
        repeat = check_repeat(repeat)
        targets = target_list(targets, repeat)
        return _search_all(values, targets, repeat, deadline)

    def resident(self, spec: str) -> list[int] | None:
        """The dataset `spec` names if it is already built here, else None (never builds)."""
        try:
            return RESIDENT.peek("python", canonical_spec(spec))
        except InvalidArgument:
            return None  # a malformed spec: the search itself says why

    def prepare_dataset(self, spec: str) -> None:
        """Builds (or finds cached) the resident data a spec names: for callers that must not
        build it on their event loop."""
        dataset(spec)

    def to_bytes_dict(
        self,
        mapping: Mapping[Any, Any] | Any,
        errors: str = "strict",
        timeout: Any = ENGINE_TIMEOUT,
    ) -> dict:
        deadline = deadline_after(
            self.timeout if timeout is ENGINE_TIMEOUT else check_timeout(timeout)
        )
        errors = check_errors_name(errors)
        out = {}
        for position, (key, value) in enumerate(entry_pairs(mapping)):
            key_bytes = _encode(key, errors, key, False)  # the key first, as the core does
            out[key_bytes] = _encode(value, errors, key, True)
            if position % SEARCHES_PER_SLICE == SEARCHES_PER_SLICE - 1:
                check_deadline(deadline)
        return out

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
