"""Binary search contract (design.md): one case list, every subject."""

from __future__ import annotations

import pytest

import peaje
from peaje.limits import INT64_MAX, INT64_MIN, MAX_REPEAT, MAX_SEARCHES_PER_CALL, MAX_TARGETS

from subjects import Subject

validating = pytest.mark.subjects(lambda spec: spec.validates)
trusting = pytest.mark.subjects(lambda spec: not spec.validates)
list_values = pytest.mark.subjects(lambda spec: spec.values_as == "list")

FOUND_CASES = [
    # (values, targets, expected)
    ([1, 3, 5, 7], [1, 3, 5, 7], [0, 1, 2, 3]),
    ([1, 3, 5, 7], [0, 2, 4, 6, 8], [-1, -1, -1, -1, -1]),
    ([1, 2, 2, 2, 3], [2], [1]),
    ([5, 5, 5, 5], [5, 4, 6], [0, -1, -1]),
    ([0, 0, 1, 1, 1, 2], [0, 1, 2], [0, 2, 5]),
    ([], [1, 0, -1], [-1, -1, -1]),
    ([1, 2, 3], [], []),
    ([42], [42, 41, 43], [0, -1, -1]),
    ([-10, -5, 0, 5], [-10, -5, -7, 5, 6], [0, 1, -1, 3, -1]),
    ([INT64_MIN, -1, 0, INT64_MAX], [INT64_MIN, INT64_MAX, 0, 1], [0, 3, 2, -1]),
    ([INT64_MAX, INT64_MAX], [INT64_MAX, INT64_MIN], [0, -1]),
    ([INT64_MIN, INT64_MIN], [INT64_MIN, INT64_MAX], [0, -1]),
    (list(range(0, 2000, 2)), [0, 1998, 1000, 999, 2000, -2], [0, 999, 500, -1, -1, -1]),
]


@pytest.mark.parametrize(("values", "targets", "expected"), FOUND_CASES)
def test_leftmost_index_or_minus_one(subject: Subject, values, targets, expected):
    assert subject.search(values, targets) == expected


def test_beyond_either_end_is_minus_one_not_a_read(subject: Subject):
    values = [10, 20, 30]
    assert subject.search(values, [INT64_MIN, 9, 31, INT64_MAX]) == [-1, -1, -1, -1]


def test_repeat_runs_inside_one_call_and_returns_once(subject: Subject):
    values = list(range(100))
    assert subject.search(values, [7, 200, 99], repeat=1000) == [7, -1, 99]


@pytest.mark.parametrize("repeat", [0, -1, MAX_REPEAT + 1, True, 1.0, "3", None])
def test_bad_repeat_is_invalid_argument(subject: Subject, repeat):
    with pytest.raises(peaje.InvalidArgument):
        subject.search([1, 2, 3], [2], repeat=repeat)


@pytest.mark.parametrize(
    "target",
    [2**63, -(2**63) - 1, 2**64 + 5, 10**30, True, False, 1.0, 2.5, "1", None, b"1"],
    ids=repr,
)
def test_target_outside_int64_or_not_an_int_is_invalid(subject: Subject, target):
    with pytest.raises(peaje.InvalidArgument, match=r"targets\[1\]"):
        subject.search([1, 2, 3], [1, target])


def test_too_many_targets_is_too_large(subject: Subject):
    with pytest.raises(peaje.TooLarge):
        subject.search([1, 2, 3], [1] * (MAX_TARGETS + 1))


def test_too_much_work_per_call_is_too_large(subject: Subject):
    targets = [1] * (MAX_SEARCHES_PER_CALL // MAX_REPEAT + 1)
    with pytest.raises(peaje.TooLarge):
        subject.search([1, 2, 3], targets, repeat=MAX_REPEAT)


# ---- values validation: validating subjects name the first bad index ------------------------


@validating
@pytest.mark.parametrize(
    ("values", "index"),
    [
        ([3, 1, 2], 1),
        ([1, 2, 3, 4, 0], 4),
        ([1, 1, 1, 0], 3),
        ([INT64_MAX, INT64_MIN], 1),
    ],
)
def test_unsorted_values_are_refused_where_validated(subject: Subject, values, index):
    with pytest.raises(peaje.InvalidArgument, match=rf"values\[{index}\]"):
        subject.search(values, [1])


@validating
@pytest.mark.parametrize(
    ("values", "index"),
    [
        ([1, 2, 2**63], 2),
        ([-(2**63) - 1, 0], 0),
        ([1, 2.0, 3], 1),
        ([True, 2], 0),
        ([1, "2"], 1),
        ([0, None], 1),
    ],
    ids=repr,
)
def test_bad_values_are_refused_where_validated(subject: Subject, values, index):
    with pytest.raises(peaje.InvalidArgument, match=rf"values\[{index}\]"):
        subject.search(values, [1])


@trusting
@pytest.mark.parametrize("values", [[3, 1, 2], [5, 4, 3, 2, 1], [1, 9, 2, 8, 3, 7], [0, -1]])
def test_unsorted_values_give_some_index_where_trusted(subject: Subject, values):
    targets = sorted(set(values)) + [min(values) - 1, max(values) + 1]
    for index in subject.search(values, targets):
        assert -1 <= index < len(values)


@trusting
@list_values
@pytest.mark.parametrize("values", [["a", "b", "c"], [1.0, 2.0, 3.0], [None, None, None]])
def test_probed_item_that_is_not_int64_still_raises(subject: Subject, values):
    with pytest.raises(peaje.InvalidArgument, match=r"values\[1\]"):
        subject.search(values, [0])


# ---- dataset specs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "targets", "expected"),
    [
        ("range:100000", [66666, 0, 99999, 100000, -1], [66666, 0, 99999, -1, -1]),
        ("range:10:3", [0, 9, 10, 27, 30], [0, 3, -1, 9, -1]),
        ("range:0", [0], [-1]),
        ("range:1", [0, 1], [0, -1]),
        ("range:3:4611686018427387903", [9223372036854775806], [2]),
    ],
)
def test_dataset_spec_is_resident_data(subject: Subject, spec, targets, expected):
    assert subject.search_spec(spec, targets) == expected
    assert subject.search_spec(spec, targets, repeat=10) == expected  # cached, same answer


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "range",
        "range:",
        "range:-1",
        "range:+5",
        "range:abc",
        "range: 10",
        "range:10 ",
        "range:1e3",
        "rng:10",
        "RANGE:10",
        "range:10:0",
        "range:10:-2",
        "range:10:",
        "range:1:2:3",
        "range:3:4611686018427387904",
    ],
)
def test_malformed_spec_is_invalid_argument(subject: Subject, spec):
    with pytest.raises(peaje.InvalidArgument):
        subject.search_spec(spec, [1])


@pytest.mark.parametrize(
    "spec", ["range:10000001", "range:99999999999999999999999", "range:10000000000:1"]
)
def test_too_large_spec_is_too_large_never_oom(subject: Subject, spec):
    with pytest.raises(peaje.TooLarge):
        subject.search_spec(spec, [1])
