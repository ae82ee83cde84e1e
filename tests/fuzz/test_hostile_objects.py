"""A differential over every in-process engine and data mode with hostile Python objects
(hypothesis): sequence subclasses whose __len__, __getitem__, __iter__ or items' __index__ lie,
objects that mutate the sequence while it is converted, non-ASCII and surrogate text in every
string argument, odd specs and buffers. Every engine answers alike or raises the same error
class, and none crashes (make test-sanitize runs it under ASan+UBSan). Examples per test:
PEAJE_FUZZ_EXAMPLES (default 120), so the whole module stays well under a minute."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import peaje
from peaje.inprocess import BINDINGS
from peaje.limits import INT64_MAX, INT64_MIN

EXAMPLES = int(os.environ.get("PEAJE_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
ENGINES = {name: peaje.engine(name) for name in ("python", *BINDINGS)}
MODES = ("copy", "lazy", "buffer", "resident")
# What a hostile call may raise: the contract's errors, and what the caller's own code raised.
ALLOWED = (peaje.InvalidArgument, TypeError, ValueError, IndexError, UnicodeError, RuntimeError)


class Boom(Exception):
    """Raised by a hostile object's own method: passes through every engine unchanged."""


def outcome(call: Callable[[], Any]) -> Any:
    """The result, or the class of the error (the differential compares classes)."""
    try:
        return call()
    except (*ALLOWED, Boom) as e:
        return type(e)


# ---- hostile objects -------------------------------------------------------------------------


class LyingList(list):
    lie = 0

    def __len__(self) -> int:
        return self.lie

    def __getitem__(self, index):
        raise Boom("a list subclass's __getitem__ is never called")

    def __iter__(self):
        raise Boom("a list subclass's __iter__ is never called")


class LyingTuple(tuple):
    lie = 0

    def __len__(self) -> int:
        return self.lie

    def __getitem__(self, index):
        raise Boom("a tuple subclass's __getitem__ is never called")

    def __iter__(self):
        raise Boom("a tuple subclass's __iter__ is never called")


class Index:
    """An int-like item: __index__ gives the value, or misbehaves."""

    def __init__(self, value: int, how: str, owner: list | None = None) -> None:
        self.value, self.how, self.owner = value, how, owner

    def __index__(self):
        if self.how == "not-int":
            return "not an int"
        if self.how == "raises":
            raise Boom("__index__ raised")
        if self.how == "clears" and self.owner is not None:
            self.owner.clear()  # mutates the sequence while it is converted
        if self.how == "grows" and self.owner is not None and len(self.owner) < 64:
            self.owner.append(self.value)
        return self.value

    def __repr__(self) -> str:
        return f"Index({self.value}, {self.how})"


class Claimed:
    """A sequence without storage: its own __len__ (maybe a lie) and __getitem__."""

    def __init__(self, items: list, lie: int | None) -> None:
        self.items, self.lie = items, lie

    def __len__(self) -> int:
        return len(self.items) if self.lie is None else self.lie

    def __getitem__(self, index: int):
        return self.items[index]


int64s = st.integers(INT64_MIN, INT64_MAX)
small_ints = st.integers(-50, 50)
values_lists = st.lists(small_ints, max_size=40).map(sorted)
targets_lists = st.lists(st.one_of(small_ints, int64s), max_size=20)


def run_all(values: Any, targets: Any, repeat: Any = 1) -> dict[str, Any]:
    """Outcome on every engine and mode; `values`/`targets` factories give each a fresh copy."""
    out = {}
    for name, engine in ENGINES.items():
        modes = (None,) if name == "python" else MODES
        for mode in modes:
            if mode == "buffer":
                continue  # a list is not a buffer: buffer mode has its own test below
            out[f"{name}-{mode}"] = outcome(
                lambda e=engine, m=mode: e.search(values(), targets(), mode=m, repeat=repeat)
            )
    return out


def assert_alike(outcomes: dict[str, Any]) -> None:
    first = next(iter(outcomes.values()))
    assert all(o == first for o in outcomes.values()), outcomes


# ---- the differentials -----------------------------------------------------------------------


@FUZZ
@given(values=values_lists, targets=targets_lists, lie=st.integers(0, 2**62), kind=st.sampled_from(
    ["list", "tuple", "lying-list", "lying-tuple"]), targets_kind=st.sampled_from(
    ["list", "tuple", "lying-list", "lying-tuple", "generator"]))  # fmt: skip
def test_lengths_and_items_come_from_storage_on_every_engine(
    values, targets, lie, kind, targets_kind
):
    def wrap(items: list, how: str) -> Any:
        if how == "generator":
            return (x for x in items)
        cls = {"list": list, "tuple": tuple, "lying-list": LyingList, "lying-tuple": LyingTuple}[
            how
        ]
        made = cls(items)
        if how.startswith("lying"):
            made.lie = lie
        return made

    outcomes = run_all(lambda: wrap(values, kind), lambda: wrap(targets, targets_kind))
    assert_alike(outcomes)
    expected = [values.index(t) if t in values else -1 for t in targets]
    assert next(iter(outcomes.values())) == expected


@FUZZ
@given(
    values=values_lists,
    hows=st.lists(st.sampled_from(["ok", "not-int", "raises", "clears", "grows"]), max_size=40),
    targets=targets_lists,
    where=st.sampled_from(["values", "targets"]),
)
def test_index_that_lies_or_mutates_never_crashes(values, hows, targets, where):
    """__index__ returning a non-int, raising, or mutating the list being converted."""

    def hostile(items: list) -> list:
        out: list = []
        for i, v in enumerate(items):
            how = hows[i] if i < len(hows) else "ok"
            out.append(v if how == "ok" else Index(v, how, out))
        return out

    if where == "values":
        outcomes = run_all(lambda: hostile(values), lambda: list(targets))
    else:
        outcomes = run_all(lambda: list(values), lambda: hostile(targets))
    for key, result in outcomes.items():
        if isinstance(result, list):
            assert all(-1 <= r < max(len(values), 1) + 64 for r in result), (key, result)
        else:
            assert issubclass(result, (*ALLOWED, Boom)), (key, result)
    if where == "targets" and not any(h in ("clears", "grows") for h in hows):
        assert_alike(outcomes)  # without mutation the contract fixes one answer


@FUZZ
@given(values=values_lists, targets=targets_lists, lie=st.one_of(st.none(), st.integers(0, 80)))
def test_a_sequence_without_storage_is_read_through_its_own_len_alike(values, targets, lie):
    outcomes = {
        key: result
        for key, result in run_all(lambda: Claimed(values, lie), lambda: list(targets)).items()
        if not key.endswith("-copy") and not key.endswith("-resident")  # these read it all
    }
    assert_alike(outcomes)


text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.sampled_from("é€😀\x00"),
    ),
    max_size=120,
)
entry_values = st.one_of(text, st.binary(max_size=40), st.integers(), st.none(), st.just(["a"]))


@FUZZ
@given(
    entries=st.lists(st.tuples(st.one_of(text, st.binary(max_size=20)), entry_values), max_size=8),
    errors=st.one_of(st.sampled_from(["strict", "surrogatepass", "surrogateescape"]), text),
)
@example(entries=[("\ud800x", ["a"])], errors="surrogateescape")  # atheris found: key first
def test_text_in_every_string_argument_answers_alike(entries, errors):
    outcomes = {
        name: outcome(lambda e=engine: e.to_bytes_dict(list(entries), errors))
        for name, engine in ENGINES.items()
    }
    assert_alike(outcomes)
    for result in outcomes.values():
        if isinstance(result, dict):
            assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in result.items())


spec_text = st.one_of(
    text,
    st.builds(
        lambda n, step, junk: f"range:{n}" + (f":{step}" if step is not None else "") + junk,
        st.one_of(st.integers(0, 3000).map(str), st.text("0123456789", min_size=1, max_size=60)),
        st.one_of(st.none(), st.text("0123456789", min_size=0, max_size=30)),
        st.one_of(st.just(""), text),
    ),
)


def affordable(spec: str) -> bool:
    """Specs whose data every engine can build quickly (the grammar's answers for big N are
    in tests/contract/dataset_specs.json)."""
    from peaje.reference import parse_dataset_spec

    try:
        size, _ = parse_dataset_spec(spec)
    except peaje.InvalidArgument:
        return True
    return size <= 5000


@FUZZ
@given(spec=spec_text, mode=st.sampled_from([None, "resident", "copy", "lazy", "buffer"]))
def test_every_spec_gets_one_answer_from_every_engine(spec, mode):
    if not affordable(spec):
        return
    outcomes = {
        name: outcome(lambda e=engine: e.search(spec, [0, 1, 2999], mode=mode))
        for name, engine in ENGINES.items()
    }
    assert_alike(outcomes)


@FUZZ
@given(
    values=values_lists,
    targets=targets_lists,
    offset=st.integers(0, 7),
    stride=st.integers(-3, 3).filter(bool),
    dtype=st.sampled_from(["<i8", "=i8", "<u8", "<i4", "<f8", ">i8"]),
)
def test_buffers_at_any_offset_stride_and_format_answer_like_python(
    values, targets, offset, stride, dtype
):
    n, k = len(values), abs(stride)
    raw = bytearray(8 * n * k + offset)
    wide = np.frombuffer(raw, dtype=np.int64, count=n * k, offset=offset)  # unaligned if offset
    view = wide[::k] if stride > 0 else wide[::-k]
    view[:] = values
    buffer = view if np.dtype(dtype) == np.int64 else view.astype(np.dtype(dtype))
    expected = outcome(lambda: ENGINES["python"].search(list(buffer), targets))
    for name in BINDINGS:
        got = outcome(lambda n=name: ENGINES[n].search(buffer, targets, mode="buffer"))
        if buffer.dtype == np.int64:
            assert got == expected, (name, got, expected)
        else:
            assert got is peaje.InvalidArgument, (name, got)  # only int64 is read in place


@pytest.mark.parametrize("name", list(BINDINGS))
def test_the_issue_example_is_a_result_not_a_segfault(name):
    class T(tuple):
        __len__ = lambda s: 7  # noqa: E731

    assert ENGINES[name].search(T((1, 2, 3)), [3, 10**18], mode="lazy") == [2, -1]
