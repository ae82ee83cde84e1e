"""The dataset-spec grammar: one table (dataset_specs.json), every subject. A spec names
'range:N[:STEP]'; a result is checked by searching its first, last and absent values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import peaje
from peaje.limits import INT64_MAX

from subjects import Subject

TABLE = json.loads((Path(__file__).with_name("dataset_specs.json")).read_text(encoding="utf-8"))
REPEATED = re.compile(r"\{(.)\*(\d+)\}", re.DOTALL)


def expand(spec: str) -> str:
    return REPEATED.sub(lambda m: m.group(1) * int(m.group(2)), spec)


def probes(size: int, step: int) -> tuple[list[int], list[int]]:
    """Targets and the indices every engine must give for 'range:size:step'."""
    if size == 0:
        return [0, 1, -1], [-1, -1, -1]
    last = (size - 1) * step
    targets, expected = [0, last, -1], [0, size - 1, -1]
    if last + step <= INT64_MAX:
        targets.append(last + step)
        expected.append(-1)
    if step > 1:
        targets.append(1)
        expected.append(-1)
    return targets, expected


CASES = [pytest.param(expand(spec), want, id=ascii(spec)[:48]) for spec, want in TABLE["cases"]]


@pytest.mark.parametrize(("spec", "want"), CASES)
def test_dataset_spec_grammar(subject: Subject, spec: str, want):
    if isinstance(want, list):
        targets, expected = probes(*want)
        assert subject.search_spec(spec, targets) == expected
        return
    error = getattr(peaje, want)
    with pytest.raises(error) as caught:
        subject.search_spec(spec, [0])
    if error is peaje.InvalidArgument:
        assert not isinstance(caught.value, peaje.TooLarge), caught.value


def test_python_and_core_canonical_forms_agree():
    from peaje.inprocess import canonical_spec as core_canonical
    from peaje.reference import canonical_spec as python_canonical

    for spec, want in TABLE["cases"]:
        if isinstance(want, list):
            spec = expand(spec)
            assert core_canonical(spec) == python_canonical(spec) == "range:{}:{}".format(*want)
