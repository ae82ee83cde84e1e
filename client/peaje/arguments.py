"""Argument checks the Python-side engines share, worded as the native module words them."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

from peaje.errors import InvalidArgument, TooLarge
from peaje.limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_REPEAT,
    MAX_SEARCHES_PER_CALL,
    MAX_TARGETS,
    MODES,
    UTF8_ERRORS,
)


def short_repr(obj: Any, limit: int = 80) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def as_int64(item: Any, what: str, index: int) -> int:
    """An int64 from a Python integer; bool, float, str and out-of-range values are refused."""
    if type(item) is not int:
        if isinstance(item, bool):
            raise InvalidArgument(f"{what}[{index}]: expected an int, got bool")
        try:
            item = operator.index(item)
        except TypeError:
            raise InvalidArgument(
                f"{what}[{index}]: expected an int, got {type(item).__name__}"
            ) from None
    if not INT64_MIN <= item <= INT64_MAX:
        raise InvalidArgument(f"{what}[{index}] is outside int64")
    return item


def int64_list(items: Any, what: str) -> list[int]:
    if isinstance(items, (str, bytes)) or not isinstance(items, (Sequence, Iterable)):
        raise InvalidArgument(f"{what} must be a sequence of int, got {type(items).__name__}")
    return [as_int64(item, what, i) for i, item in enumerate(items)]


def check_repeat(repeat: Any) -> int:
    repeat = as_int64(repeat, "repeat", 0)
    if not 1 <= repeat <= MAX_REPEAT:
        raise InvalidArgument(f"repeat must be between 1 and {MAX_REPEAT}, got {repeat}")
    return repeat


def check_batch(n_targets: int, repeat: int) -> None:
    if n_targets > MAX_TARGETS:
        raise TooLarge(f"too many targets: {n_targets} > {MAX_TARGETS}")
    if n_targets * repeat > MAX_SEARCHES_PER_CALL:
        raise TooLarge(
            f"repeat x targets = {n_targets * repeat} exceeds "
            f"{MAX_SEARCHES_PER_CALL} searches per call"
        )


def check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise InvalidArgument(f"mode must be one of {', '.join(MODES)}, got {short_repr(mode)}")
    return mode


def check_errors_name(errors: Any) -> str:
    if not isinstance(errors, str):
        raise InvalidArgument(f"errors must be a str, got {type(errors).__name__}")
    if errors not in UTF8_ERRORS:
        raise InvalidArgument(
            "errors must be 'strict', 'surrogatepass' or 'surrogateescape', "
            f"got {short_repr(errors[:32])}"
        )
    return errors


def entry_pairs(mapping: Any) -> Iterable[tuple[Any, Any]]:
    """(key, value) pairs of a mapping or of an iterable of pairs, in input order."""
    items = mapping.items() if hasattr(mapping, "items") else mapping
    try:
        iterator = iter(items)
    except TypeError:
        raise TypeError(
            f"expected a mapping or an iterable of (key, value) pairs, got {type(mapping).__name__}"
        ) from None
    for position, entry in enumerate(iterator):
        try:
            key, value = entry
        except (TypeError, ValueError):
            raise TypeError(f"entry {position}: expected a (key, value) pair") from None
        yield key, value


def role_text(key: Any, is_value: bool) -> str:
    return f"the value of key {short_repr(key)}" if is_value else f"key {short_repr(key)}"


def bytes_like(obj: Any, key: Any, is_value: bool) -> bytes:
    """bytes of a bytes-like object, byte for byte; a TypeError naming the key otherwise."""
    if isinstance(obj, bytes):
        return obj
    try:
        view = memoryview(obj)
    except TypeError:
        raise TypeError(
            f"{role_text(key, is_value)}: expected str or bytes-like, got {type(obj).__name__}"
        ) from None
    with view:
        return view.tobytes()
