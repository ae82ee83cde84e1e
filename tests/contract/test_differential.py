"""Differential tests: the native engine, in every mode, answers exactly as the python one."""

from __future__ import annotations

import array

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peaje
from peaje import _native, limits
from peaje.limits import INT64_MAX, INT64_MIN

int64 = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
small = st.integers(min_value=-50, max_value=50)  # dense, so duplicates and hits are common

python = peaje.engine("python")
native = peaje.engine("native")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def native_all_modes(values, targets, repeat=1):
    return {
        "copy": native.search(values, targets, mode="copy", repeat=repeat),
        "lazy": native.search(values, targets, mode="lazy", repeat=repeat),
        "buffer": native.search(array.array("q", values), targets, mode="buffer", repeat=repeat),
        "resident": native.search(values, targets, mode="resident", repeat=repeat),
    }


@SETTINGS
@given(
    values=st.one_of(st.lists(small, max_size=60), st.lists(int64, max_size=60)).map(sorted),
    targets=st.lists(st.one_of(small, int64), max_size=20),
    repeat=st.integers(min_value=1, max_value=3),
)
def test_native_equals_python_on_sorted_input(values, targets, repeat):
    expected = python.search(values, targets, repeat=repeat)
    for mode, got in native_all_modes(values, targets, repeat).items():
        assert got == expected, mode
    for target, index in zip(targets, expected, strict=True):
        if index >= 0:
            assert values[index] == target and (index == 0 or values[index - 1] < target)
        else:
            assert target not in values


@SETTINGS
@given(values=st.lists(small, max_size=40), targets=st.lists(small, max_size=20))
def test_trusting_modes_stay_in_bounds_on_unsorted_input(values, targets):
    for got in (
        python.search(values, targets),
        native.search(values, targets, mode="lazy"),
        native.search(array.array("q", values), targets, mode="buffer"),
    ):
        assert all(-1 <= i < len(values) for i in got)


@given(values=st.lists(small, min_size=2, max_size=40))
@SETTINGS
def test_validating_modes_refuse_exactly_the_unsorted(values):
    if values == sorted(values):
        native.search(values, [0], mode="copy")
        return
    first_bad = next(i for i in range(1, len(values)) if values[i] < values[i - 1])
    for mode in ("copy", "resident"):
        with pytest.raises(peaje.InvalidArgument, match=rf"values\[{first_bad}\]"):
            native.search(values, [0], mode=mode)


text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
surrogate_text = st.text(max_size=12)  # may include lone surrogates
key_or_value = st.one_of(text, st.binary(max_size=12))


@SETTINGS
@given(pairs=st.lists(st.tuples(key_or_value, key_or_value), max_size=30))
def test_bytes_dict_native_equals_python(pairs):
    expected = python.to_bytes_dict(pairs)
    got = native.to_bytes_dict(pairs)
    assert got == expected and list(got) == list(expected)


@SETTINGS
@given(
    pairs=st.lists(st.tuples(surrogate_text, surrogate_text), max_size=10),
    errors=st.sampled_from(["strict", "surrogatepass", "surrogateescape"]),
)
def test_bytes_dict_error_modes_match_python(pairs, errors):
    def outcome(engine):
        try:
            return ("ok", engine.to_bytes_dict(pairs, errors))
        except UnicodeEncodeError as e:
            return ("error", e.object, e.start, e.end, e.reason)

    assert outcome(native) == outcome(python)


def test_python_limits_mirror_the_core():
    assert limits.MAX_DATASET_SIZE == _native.limits.MAX_DATASET_SIZE
    assert limits.MAX_TARGETS == _native.limits.MAX_TARGETS
    assert limits.MAX_REPEAT == _native.limits.MAX_REPEAT
    assert limits.MAX_SEARCHES_PER_CALL == _native.limits.MAX_SEARCHES_PER_CALL
