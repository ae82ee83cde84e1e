"""Differential tests: every in-process engine (native, nanobind, cython), in every mode, answers
exactly as the python one."""

from __future__ import annotations

import array

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peaje
from peaje import limits
from peaje.inprocess import BINDINGS, module_of
from peaje.limits import INT64_MAX, INT64_MIN

int64 = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
small = st.integers(min_value=-50, max_value=50)  # dense, so duplicates and hits are common

python = peaje.engine("python")
IN_PROCESS = [peaje.engine(name) for name in BINDINGS]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def native_all_modes(values, targets, repeat=1):
    buffer = array.array("q", values)
    out = {}
    for native in IN_PROCESS:
        name = native.name
        out[f"{name}-copy"] = native.search(values, targets, mode="copy", repeat=repeat)
        out[f"{name}-lazy"] = native.search(values, targets, mode="lazy", repeat=repeat)
        out[f"{name}-buffer"] = native.search(buffer, targets, mode="buffer", repeat=repeat)
        out[f"{name}-resident"] = native.search(values, targets, mode="resident", repeat=repeat)
        resident = native.SortedArray(values)
        out[f"{name}-SortedArray.search"] = resident.search(targets, repeat)
        out[f"{name}-SortedArray.find"] = [resident.find(t) for t in targets]
    return out


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
    answers = [python.search(values, targets)]
    for native in IN_PROCESS:
        answers.append(native.search(values, targets, mode="lazy"))
        answers.append(native.search(array.array("q", values), targets, mode="buffer"))
    for got in answers:
        assert all(-1 <= i < len(values) for i in got)


@given(values=st.lists(small, min_size=2, max_size=40))
@SETTINGS
def test_validating_modes_refuse_exactly_the_unsorted(values):
    if values == sorted(values):
        for native in IN_PROCESS:
            native.search(values, [0], mode="copy")
        return
    first_bad = next(i for i in range(1, len(values)) if values[i] < values[i - 1])
    for native in IN_PROCESS:
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
    for native in IN_PROCESS:
        got = native.to_bytes_dict(pairs)
        assert got == expected and list(got) == list(expected), native.name


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

    for native in IN_PROCESS:
        assert outcome(native) == outcome(python), native.name


@pytest.mark.parametrize("name", BINDINGS)
def test_python_limits_mirror_the_core(name):
    compiled = module_of(name).limits
    assert limits.MAX_DATASET_SIZE == compiled.MAX_DATASET_SIZE
    assert limits.MAX_TARGETS == compiled.MAX_TARGETS
    assert limits.MAX_REPEAT == compiled.MAX_REPEAT
    assert limits.MAX_SEARCHES_PER_CALL == compiled.MAX_SEARCHES_PER_CALL
