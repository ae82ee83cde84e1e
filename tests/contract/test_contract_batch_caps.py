"""The batch cap is written twice on purpose (the core's check_batch, and the python engine's own
in peaje.arguments, which stays independent of the core); one table keeps them equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import peaje
from peaje.inprocess import BINDINGS

TABLE = json.loads(Path(__file__).with_name("batch_caps.json").read_text(encoding="utf-8"))
CASES = [pytest.param(n, repeat, want, id=f"{n}x{repeat}") for n, repeat, want in TABLE["cases"]]


@pytest.fixture(scope="module")
def many_targets() -> list[int]:
    return [0] * max(n for n, _, _ in TABLE["cases"])


@pytest.mark.parametrize("name", ["python", *BINDINGS])
@pytest.mark.parametrize(("n", "repeat", "want"), CASES)
def test_batch_cap_table(name, n, repeat, want, many_targets):
    targets = many_targets[:n]
    with peaje.engine(name) as engine:
        if want == "ok":
            # Within the caps the work starts: an expired deadline stops it at once.
            with pytest.raises(peaje.DeadlineExceeded):
                engine.search("range:10", targets, repeat=repeat, timeout=0)
            return
        with pytest.raises(getattr(peaje, want)) as raised:
            engine.search("range:10", targets, repeat=repeat, timeout=0)
        if want == "InvalidArgument":
            assert not isinstance(raised.value, peaje.TooLarge)


def test_the_python_limits_mirror_the_core():
    from peaje import _native, limits

    for name in ("MAX_DATASET_SIZE", "MAX_TARGETS", "MAX_REPEAT", "MAX_SEARCHES_PER_CALL"):
        assert getattr(limits, name) == getattr(_native.limits, name)
    assert limits.SEARCHES_PER_SLICE == _native.limits.SEARCHES_PER_SLICE
