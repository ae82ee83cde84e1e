"""Bytes-dict contract (design.md): the talk's BytesDict, done safely, on every subject."""

from __future__ import annotations

import pytest

import peaje

from subjects import Subject

carrying = pytest.mark.subjects(lambda spec: spec.carries_surrogates)
not_carrying = pytest.mark.subjects(lambda spec: not spec.carries_surrogates)


def test_talks_example_gives_all_four_pairs(subject: Subject):
    mapping = {"barba": "coa", "aaa": b"value_aaa", "bbb": b"value_bbb", "ccc": "value_ccc"}
    result = subject.to_bytes_dict(mapping)
    assert result == {
        b"barba": b"coa",
        b"aaa": b"value_aaa",
        b"bbb": b"value_bbb",
        b"ccc": b"value_ccc",
    }
    assert list(result) == [b"barba", b"aaa", b"bbb", b"ccc"]


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({}, {}),
        ({"": ""}, {b"": b""}),
        (
            {b"a\x00b": b"\x00\x00", "k\x00": "v\x00\x00"},
            {b"a\x00b": b"\x00\x00", b"k\x00": b"v\x00\x00"},
        ),
        (
            {"ñandú": "日本語", "😀": "é"},
            {"ñandú".encode(): "日本語".encode(), "😀".encode(): "é".encode()},
        ),
        ({b"\xff\xfe": b"\x80"}, {b"\xff\xfe": b"\x80"}),
        ({"a": "1", b"a": "2"}, {b"a": b"2"}),
        ({b"x": "1", "y": "2", "x": b"3"}, {b"x": b"3", b"y": b"2"}),
        ({memoryview(b"ba"): bytearray(b"mv")}, {b"ba": b"mv"}),
    ],
    ids=[
        "empty",
        "empty-strings",
        "nul-bytes",
        "non-ascii",
        "non-utf8-bytes",
        "collision",
        "collision-keeps-first-position",
        "bytearray-memoryview",
    ],
)
def test_encodes_text_and_passes_bytes(subject: Subject, mapping, expected):
    result = subject.to_bytes_dict(mapping)
    assert result == expected
    assert list(result) == list(expected)
    assert all(type(k) is bytes and type(v) is bytes for k, v in result.items())


def test_pairs_later_wins_first_position_kept(subject: Subject):
    pairs = [("a", "1"), ("b", "2"), (b"a", "3"), ("c", b"4"), ("b", b"5")]
    result = subject.to_bytes_dict(pairs)
    assert list(result.items()) == [(b"a", b"3"), (b"b", b"5"), (b"c", b"4")]


def test_large_mapping_round_trips(subject: Subject):
    mapping = {f"key-{i}": f"value-{i}" * (i % 7) for i in range(5000)}
    result = subject.to_bytes_dict(mapping)
    assert result == {k.encode(): v.encode() for k, v in mapping.items()}


@pytest.mark.parametrize("errors", ["strict", "surrogatepass", "surrogateescape"])
def test_error_modes_agree_on_valid_text(subject: Subject, errors):
    assert subject.to_bytes_dict({"añ": "😀"}, errors) == {"añ".encode(): "😀".encode()}


@pytest.mark.parametrize(
    ("mapping", "key_repr"),
    [
        ({"ok": "x", "bad\ud800": "v"}, "'bad\\ud800'"),
        ({"k": "v\udcff"}, "'k'"),
        ({"k": "\udc80\ud800"}, "'k'"),
    ],
)
def test_strict_lone_surrogate_is_an_encode_error_naming_the_key(
    subject: Subject, mapping, key_repr
):
    with pytest.raises(UnicodeEncodeError) as info:
        subject.to_bytes_dict(mapping)
    assert key_repr in str(info.value)


@carrying
def test_surrogatepass_encodes_lone_surrogates(subject: Subject):
    result = subject.to_bytes_dict({"\ud800": "a\udfffb"}, "surrogatepass")
    assert result == {b"\xed\xa0\x80": b"a\xed\xbf\xbfb"}


@carrying
def test_surrogateescape_restores_original_bytes(subject: Subject):
    raw = b"caf\xe9\xff"
    text = raw.decode("utf-8", "surrogateescape")
    assert subject.to_bytes_dict({text: text}, "surrogateescape") == {raw: raw}


@carrying
def test_surrogateescape_refuses_unescapable_surrogate(subject: Subject):
    with pytest.raises(UnicodeEncodeError, match="'k'"):
        subject.to_bytes_dict({"k": "\ud800"}, "surrogateescape")


@not_carrying
@pytest.mark.parametrize("errors", ["surrogatepass", "surrogateescape"])
def test_lone_surrogates_refused_before_crossing(subject: Subject, errors):
    with pytest.raises(peaje.InvalidArgument, match="surrogate"):
        subject.to_bytes_dict({"k": "\udc80"}, errors)


@pytest.mark.parametrize(
    ("mapping", "key_repr"),
    [
        ({1: "x"}, "1"),
        ({"k": 1}, "'k'"),
        ({"k": None}, "'k'"),
        ({"k": 1.5}, "'k'"),
        ({"k": True}, "'k'"),
        ({"k": ["a"]}, "'k'"),
        ({None: b"v"}, "None"),
        ({"ok": "1", "k2": {"nested": "x"}}, "'k2'"),
    ],
    ids=repr,
)
def test_other_types_are_type_errors_naming_the_key(subject: Subject, mapping, key_repr):
    with pytest.raises(TypeError, match="key " + key_repr.replace("\\", "\\\\")):
        subject.to_bytes_dict(mapping)


@pytest.mark.parametrize("errors", ["ignore", "replace", "", "STRICT", None, 1])
def test_unknown_error_handler_is_invalid_argument(subject: Subject, errors):
    with pytest.raises(peaje.InvalidArgument):
        subject.to_bytes_dict({"a": "b"}, errors)


@pytest.mark.parametrize("mapping", [5, None, ["abc"], [("a",)], [("a", "b", "c")]], ids=repr)
def test_not_a_mapping_is_a_type_error(subject: Subject, mapping):
    with pytest.raises(TypeError):
        subject.to_bytes_dict(mapping)
