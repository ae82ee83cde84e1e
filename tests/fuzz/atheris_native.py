"""atheris (libFuzzer for Python) over peaje._native's Python entry points: search_copy,
search_lazy, search_buffer, SortedArray (from values and from a spec) and to_bytes_dict, fed
structured hostile arguments drawn with FuzzedDataProvider.

Each call must return the right answer or raise one of the contract's errors (InvalidArgument,
TypeError, UnicodeEncodeError); anything else, or a crash, is a finding. Answers are checked
against the pure-Python engine (sorted int64 input) or the trusted-order promise, an index in
[-1, len) (unsorted input, or unprobed non-int items, to lazy and buffer).

    python tests/fuzz/atheris_native.py -atheris_runs=20000 tests/fuzz/corpus/atheris_native
    python tests/fuzz/atheris_native.py -max_total_time=600 tests/fuzz/corpus/atheris_native
"""

from __future__ import annotations

import array
import bisect
import sys

import atheris

with atheris.instrument_imports():
    from peaje import _native
    from peaje.errors import InvalidArgument
    from peaje.reference import PythonEngine

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CONTRACT_ERRORS = (InvalidArgument, TypeError, UnicodeEncodeError)
REFERENCE = PythonEngine()
ERROR_HANDLERS = ["strict", "surrogatepass", "surrogateescape", "ignore", "", "STRICT"]


def an_int(fdp: atheris.FuzzedDataProvider) -> int:
    """Mostly small ints (hits are common), sometimes the int64 edges or beyond."""
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind <= 5:
        return fdp.ConsumeIntInRange(-8, 8)
    if kind <= 7:
        return fdp.ConsumeIntInRange(INT64_MIN, INT64_MAX)
    edges = [INT64_MIN, INT64_MAX, INT64_MAX + 1, INT64_MIN - 1, 2**64, -(2**100)]
    return fdp.PickValueInList(edges)


def an_item(fdp: atheris.FuzzedDataProvider) -> object:
    """An int most of the time; otherwise something an int64 slot must refuse."""
    if fdp.ConsumeIntInRange(0, 15):
        return an_int(fdp)
    return fdp.PickValueInList([True, 1.0, "1", b"1", None, 2**63, object()])


def int_list(fdp: atheris.FuzzedDataProvider, hostile: bool) -> list:
    n = fdp.ConsumeIntInRange(0, 40)
    return [an_item(fdp) if hostile else an_int(fdp) for _ in range(n)]


def a_repeat(fdp: atheris.FuzzedDataProvider) -> object:
    kind = fdp.ConsumeIntInRange(0, 7)
    if kind <= 5:
        return fdp.ConsumeIntInRange(1, 4)
    return fdp.PickValueInList([0, -1, 10**6 + 1, 2**63, 2**64, True, 1.5, "2", None])


def a_text_or_bytes(fdp: atheris.FuzzedDataProvider) -> object:
    kind = fdp.ConsumeIntInRange(0, 7)
    if kind <= 2:
        return fdp.ConsumeUnicodeNoSurrogates(8)
    if kind == 3:
        return fdp.ConsumeUnicode(8)  # may hold lone surrogates
    if kind <= 5:
        return fdp.ConsumeBytes(8)  # NULs included
    if kind == 6:
        return fdp.PickValueInList([bytearray(b"\x00a"), memoryview(b"mv"), "\udcff", "\ud800x"])
    return fdp.PickValueInList([1, None, 1.5, ["a"], ("a",), array.array("b", [1])])


def expected_indices(values: list[int], targets: list[int]) -> list[int]:
    found = []
    for t in targets:
        i = bisect.bisect_left(values, t)
        found.append(i if i < len(values) and values[i] == t else -1)
    return found


def is_int64_list(items: list) -> bool:
    return all(type(v) is int and INT64_MIN <= v <= INT64_MAX for v in items)


def fuzz_search(fdp: atheris.FuzzedDataProvider) -> None:
    entry = fdp.PickValueInList(["copy", "lazy", "buffer", "resident", "spec"])
    hostile = fdp.ConsumeBool()
    values = int_list(fdp, hostile)
    if fdp.ConsumeBool():
        values = sorted(v for v in values if type(v) is int)
    targets = int_list(fdp, fdp.ConsumeIntInRange(0, 3) == 0)
    repeat = a_repeat(fdp)
    trusted = values
    try:
        if entry == "copy":
            got = _native.search_copy(values, targets, repeat)
        elif entry == "lazy":
            got = _native.search_lazy(values, targets, repeat)
        elif entry == "buffer":
            if fdp.ConsumeBool() and is_int64_list(values):
                data: object = array.array("q", values)
            else:  # the wrong memory: other item sizes, text, non-contiguous views
                data = fdp.PickValueInList(
                    [array.array("i", [1, 2]), b"\x00" * 16, memoryview(b"\x00" * 32)[::2], values]
                )
            got = _native.search_buffer(data, targets, repeat)
            is_q = isinstance(data, array.array) and data.typecode == "q"
            trusted = list(data) if is_q else []
        elif entry == "resident":
            got = _native.SortedArray(values).search(targets, repeat)
        else:
            spec = fdp.PickValueInList(["range:", "range:-", "rng:", "", "range:1:"])
            spec += fdp.ConsumeUnicode(12) if fdp.ConsumeBool() else str(an_int(fdp) % 5000)
            array_ = _native.SortedArray.from_spec(spec)
            trusted = list(array_)
            got = array_.search(targets, repeat)
    except CONTRACT_ERRORS:
        return
    # An answer: every input it accepted must have been int64, and the answer right.
    if not is_int64_list(targets) or type(got) is not list or len(got) != len(targets):
        raise AssertionError(f"{entry}: accepted {values!r} / {targets!r} -> {got!r}")
    if is_int64_list(trusted) and trusted == sorted(trusted):
        if got != expected_indices(trusted, targets):
            raise AssertionError(f"{entry}: {trusted!r} {targets!r} -> {got!r}")
    elif entry in ("copy", "resident"):  # the validating modes
        raise AssertionError(f"{entry} accepted unsorted or non-int64 values {values!r}")
    elif any(not -1 <= i < len(trusted) for i in got):
        raise AssertionError(f"{entry}: index out of range on unsorted input: {got!r}")


def fuzz_bytes_dict(fdp: atheris.FuzzedDataProvider) -> None:
    n = fdp.ConsumeIntInRange(0, 8)
    pairs = [(a_text_or_bytes(fdp), a_text_or_bytes(fdp)) for _ in range(n)]
    as_dict = fdp.ConsumeBool()
    try:
        mapping: object = dict(pairs) if as_dict else pairs
    except TypeError:  # an unhashable key
        mapping = pairs
    errors = fdp.PickValueInList(ERROR_HANDLERS) if fdp.ConsumeIntInRange(0, 5) else 3
    try:
        want: object = REFERENCE.to_bytes_dict(mapping, errors)
    except CONTRACT_ERRORS as e:
        want = type(e)
    try:
        got: object = _native.to_bytes_dict(mapping, errors)
    except CONTRACT_ERRORS as e:
        got = type(e)
    if got != want:
        raise AssertionError(
            f"to_bytes_dict({mapping!r}, {errors!r}): native {got!r}, python {want!r}"
        )


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        fuzz_search(fdp)
    else:
        fuzz_bytes_dict(fdp)


def main() -> None:
    atheris.instrument_func(fuzz_search)  # the harness's own branches guide the search too
    atheris.instrument_func(fuzz_bytes_dict)
    atheris.Setup(sys.argv, test_one_input)
    print(f"atheris: peaje._native from {_native.__file__}", file=sys.stderr)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
