"""Hypothesis strategies of hostile text for the HTTP tests: non-ASCII (long, multi-byte at
every cut), lone surrogates (sent as JSON "\\ud800" escapes), NULs, and huge digit strings;
and a way to put them in every string of a JSON body, member names included."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

LONE_SURROGATES = st.characters(categories=["Cs"])  # U+D800..U+DFFF, each alone
NON_ASCII = st.characters(min_codepoint=0x80, exclude_categories=["Cs"])
HOSTILE_TEXT = st.one_of(
    st.text(NON_ASCII, min_size=1, max_size=80),
    st.text(LONE_SURROGATES, min_size=1, max_size=4),
    st.text(st.one_of(NON_ASCII, LONE_SURROGATES, st.characters()), min_size=1, max_size=40),
    st.sampled_from(["é" * 50, "\ud800", "a\udcff", "\x00", "€" * 700, "range:" + "9" * 4400]),
    st.integers(1, 6000).map(lambda n: "range:" + "9" * n),
    st.integers(1, 6000).map(lambda n: "range:10:" + "7" * n),
)


def hostile(text: str, odds: int = 2) -> st.SearchStrategy[str]:
    """`text` as it is (odds-1 times in odds), else replaced or with hostile text around it."""
    changed = st.one_of(
        HOSTILE_TEXT,
        st.tuples(HOSTILE_TEXT, HOSTILE_TEXT).map(lambda ends: ends[0] + text + ends[1]),
    )
    return st.integers(1, odds).flatmap(lambda roll: changed if roll == 1 else st.just(text))


def hostile_strings(value: Any) -> st.SearchStrategy[Any]:
    """Strategy: `value` (JSON) with any of its strings made hostile, and now and then a member
    name too (more often, and the body would only ever meet the schema's refusal)."""
    if isinstance(value, str):
        return hostile(value)
    if isinstance(value, list):
        return st.tuples(*(hostile_strings(item) for item in value)).map(list)
    if isinstance(value, dict):
        pairs = [st.tuples(hostile(k, odds=6), hostile_strings(v)) for k, v in value.items()]
        return st.tuples(*pairs).map(dict)
    return st.just(value)
