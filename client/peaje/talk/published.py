"""What the talk published (../shared/seed/README.md, from its slides): its pyperf compare_to
rows, built -g -O0, Cython 0.29.32, pyperf 2.4.1, on the speaker's machine in 2022."""

from __future__ import annotations

from dataclasses import dataclass

# The talk's input and answer for the segfault demo (its slides).
BYTES_DICT_INPUT = {"barba": "coa", "aaa": b"value_aaa", "bbb": b"value_bbb", "ccc": "value_ccc"}
SLIDE_WRONG_OUTPUT = {
    b"barba": b"value_aaa",
    b"value_aaa": b"value_bbb",
    b"value_bbb": b"velho",
    b"velho": b"barba",
}


@dataclass(frozen=True)
class TalkRow:
    """One row of the talk's table: a C++ signature (stage) at a loop count."""

    stage: str  # value | reference | pointer
    loops: int
    python_s: float
    cython_s: float
    cpp_s: float
    cython_ratio: str  # as printed on the slide
    cpp_ratio: str


TALK_ROWS = (
    TalkRow("value", 10, 30.9e-6, 21.2e-6, 42.5e-3, "1.46x faster", "1372.82x slower"),
    TalkRow("reference", 10, 30.6e-6, 20.8e-6, 24.2e-3, "1.47x faster", "792.40x slower"),
    TalkRow("pointer", 10, 31.6e-6, 21.0e-6, 2.55e-3, "1.51x faster", "80.80x slower"),
    TalkRow("pointer", 1000, 3.06e-3, 1.97e-3, 2.66e-3, "1.55x faster", "1.15x faster"),
    TalkRow("pointer", 10000, 30.2e-3, 19.5e-3, 3.91e-3, "1.55x faster", "7.73x faster"),
    TalkRow("pointer", 100000, 304e-3, 193e-3, 14.9e-3, "1.58x faster", "20.40x faster"),
)

STAGE_TITLES = {
    "value": "C++ by value",
    "reference": "C++ by reference",
    "pointer": "C++ by pointer",
}


def talk_time(column: str, loops: int) -> float | None:
    """The talk's figure for a column ("python", "cython", or a stage) at `loops`, if it ran it.

    Python and Cython were re-timed beside every stage; their pointer-stage figures are the
    ones the talk ran at every loop count, so those are the series used for its curves."""
    for row in TALK_ROWS:
        if row.loops != loops:
            continue
        if column == row.stage:
            return row.cpp_s
        if column in ("python", "cython") and row.stage == "pointer":
            return row.python_s if column == "python" else row.cython_s
    return None


def talk_row(stage: str, loops: int) -> TalkRow:
    return next(r for r in TALK_ROWS if r.stage == stage and r.loops == loops)
