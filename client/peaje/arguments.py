"""Argument checks the Python-side engines share, worded as the native module words them."""

from __future__ import annotations

import operator
import time
from collections.abc import Iterable, Iterator
from typing import Any

from peaje.errors import DeadlineExceeded, InvalidArgument, TooLarge
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
    """repr(obj) cut to `limit` characters (code points, so never inside a character): the one
    helper every Python-side message uses (the C++ side's is peaje::truncate_utf8). The text is
    always valid UTF-8, whatever a hostile __repr__ returns."""
    try:
        text = repr(obj)
    except Exception:
        text = f"<{type(obj).__name__}>"
    if not isinstance(text, str):
        text = f"<{type(obj).__name__}>"
    if len(text) > limit:
        text = text[:limit] + "..."
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _Stored:
    """A list or tuple subclass read through its base type, as the native crossing reads it
    (from the object's storage): the subclass's __len__, __getitem__ and __iter__ are never
    called, so a lying one changes nothing."""

    __slots__ = ("_seq", "_base")

    def __init__(self, seq: Any, base: type) -> None:
        self._seq = seq
        self._base = base

    def __len__(self) -> int:
        return self._base.__len__(self._seq)

    def __getitem__(self, index: int) -> Any:
        return self._base.__getitem__(self._seq, index)

    def __iter__(self) -> Iterator[Any]:
        return self._base.__iter__(self._seq)


def stored(seq: Any) -> Any:
    """`seq` itself for a list or tuple, its storage view for a subclass of either."""
    kind = type(seq)
    if kind is list or kind is tuple:
        return seq
    if isinstance(seq, list):
        return _Stored(seq, list)
    if isinstance(seq, tuple):
        return _Stored(seq, tuple)
    return seq


def as_int64(item: Any, what: str, index: int) -> int:
    """An int64 from a Python integer; bool, float, str and out-of-range values are refused, and
    so is an __index__ that is not an int (one that raises passes its own error on)."""
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


def int64_list(items: Any, what: str, max_items: int | None = None) -> list[int]:
    """int64 items of a list or tuple (from its storage) or of any other iterable; text and bytes
    are refused. Stops after max_items + 1 items, so the caller's cap sees an overflow without
    converting an endless iterator."""
    if isinstance(items, (str, bytes, bytearray)):
        raise InvalidArgument(f"{what} must be a sequence of int, got {type(items).__name__}")
    try:
        iterator = iter(stored(items))
    except TypeError:
        raise InvalidArgument(
            f"{what} must be a sequence of int, got {type(items).__name__}"
        ) from None
    out = []
    for i, item in enumerate(iterator):
        out.append(as_int64(item, what, i))
        if max_items is not None and i >= max_items:
            break
    return out


def target_list(targets: Any, repeat: int) -> list[int]:
    """Targets as int64 under the batch cap, in the native crossing's order: the cap is checked
    before any target is converted when the size is stored (list, tuple), else as items arrive."""
    if isinstance(targets, (list, tuple)):
        check_batch(len(stored(targets)), repeat)
    out = int64_list(targets, "targets", MAX_TARGETS)
    check_batch(len(out), repeat)
    return out


def sequence_values(values: Any) -> Any:
    """Values as every engine reads them: a list or tuple through its storage, another sequence
    through its own len() and [i]; a mapping, text or an iterator without a length is refused."""
    if isinstance(values, (list, tuple)):
        return stored(values)
    kind = type(values)
    if (
        isinstance(values, (str, dict))
        or not hasattr(kind, "__getitem__")
        or not hasattr(kind, "__len__")
    ):
        raise InvalidArgument(f"values must be a sequence of int, got {kind.__name__}")
    return values


def claimed_len(values: Any) -> int:
    """len(values) of a sequence without storage; a __len__ that is not an int is refused."""
    try:
        return len(values)
    except TypeError:
        raise InvalidArgument(
            f"values must be a sequence of int, got {type(values).__name__}"
        ) from None


def dataset_spec_of(values: Any, mode: str | None) -> str | None:
    """The dataset spec when `values` is one, else None. A spec is resident data on every engine:
    in another mode it is refused, here, for all of them."""
    if not isinstance(values, str):
        return None
    if mode is not None and mode != "resident":
        raise InvalidArgument(
            f"dataset spec {short_repr(values, 64)} is resident data: use mode='resident'"
        )
    return values


class _EngineTimeout:
    """The default of a per-call ``timeout=``: the engine's own timeout applies."""

    def __repr__(self) -> str:
        return "ENGINE_TIMEOUT"


ENGINE_TIMEOUT: Any = _EngineTimeout()


def check_timeout(timeout: Any) -> float | None:
    """None (no deadline) or a non-negative number of seconds; anything else is refused."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidArgument(
            f"timeout must be a number of seconds or None, got {type(timeout).__name__}"
        )
    if not timeout >= 0:  # NaN too
        raise InvalidArgument(
            f"timeout must be a non-negative number of seconds, got {short_repr(timeout)}"
        )
    return float(timeout) if timeout < 1e9 else None


def deadline_after(timeout: float | None) -> float | None:
    """The time.monotonic() value past which the call stops, or None."""
    return None if timeout is None else time.monotonic() + timeout


def check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded("deadline exceeded before the work was done")


def valid_text(text: str, what: str) -> str:
    """`text` when it can cross as UTF-8 (proto3 string, JSON); a lone surrogate is refused
    naming the argument, worded as the native crossing words it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidArgument(
                f"{what} is not valid text: a lone surrogate at position {e.start}"
            ) from None
    return text


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
            f"got {short_repr(errors, 34)}"
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
