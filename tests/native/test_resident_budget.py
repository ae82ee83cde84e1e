"""Resident datasets are one cache per process, bounded in bytes and keyed by the canonical
spec, on every local engine (peaje.datasets)."""

from __future__ import annotations

import pytest

import peaje
from peaje.datasets import RESIDENT, ResidentDatasets
from peaje.inprocess import BINDINGS

LOCAL = ["python", *BINDINGS]


@pytest.fixture
def fresh_cache():
    RESIDENT.clear()
    yield RESIDENT
    RESIDENT.clear()


@pytest.mark.parametrize("name", LOCAL)
def test_one_entry_per_canonical_spec(name, fresh_cache):
    with peaje.engine(name) as engine:
        for spec in ("range:5", "range:5:1", "range:0005", "range:05:001"):
            assert engine.search(spec, [4, 5]) == [4, -1]
        assert fresh_cache.stats()["entries"] == 1
        assert engine.resident("range:5:1") is engine.resident("range:5")
        assert engine.resident("range:6") is None  # a lookup never builds
        assert engine.resident("range:x") is None
        engine.prepare_dataset("range:6")
        assert engine.resident("range:6") is not None


def test_the_budget_evicts_least_recently_used_and_refuses_what_cannot_fit():
    cache = ResidentDatasets(budget_bytes=100)
    built: list[str] = []

    def build(name: str):
        built.append(name)
        return name

    assert cache.get("k", "a", 40, lambda: build("a")) == "a"
    assert cache.get("k", "b", 40, lambda: build("b")) == "b"
    assert cache.get("k", "a", 40, lambda: build("a")) == "a"  # a hit: "b" is now the oldest
    assert cache.get("k", "c", 40, lambda: build("c")) == "c"  # evicts "b"
    assert cache.peek("k", "b") is None and cache.peek("k", "a") == "a"
    assert built == ["a", "b", "c"]
    assert cache.stats()["cached_bytes"] == 80
    with pytest.raises(peaje.TooLarge):
        cache.get("k", "huge", 101, lambda: build("huge"))
    assert "huge" not in built  # refused before it was built


def test_the_default_budget_is_at_most_one_gib_and_the_env_knob_sets_it(monkeypatch):
    from peaje import datasets

    assert datasets.DEFAULT_BUDGET_BYTES <= 1 << 30
    monkeypatch.setenv(datasets.BUDGET_ENV, "12345")
    assert datasets.budget_from_env() == 12345
    monkeypatch.setenv(datasets.BUDGET_ENV, "lots")
    with pytest.raises(peaje.InvalidArgument):
        datasets.budget_from_env()


@pytest.mark.parametrize("name", LOCAL)
def test_many_distinct_big_specs_stay_within_the_budget(name, fresh_cache, monkeypatch):
    monkeypatch.setattr(fresh_cache, "budget_bytes", 64 << 20)
    with peaje.engine(name) as engine:
        for n in range(1_000_000, 1_000_016):
            assert engine.search(f"range:{n}", [n - 1]) == [n - 1]
            assert fresh_cache.stats()["cached_bytes"] <= 64 << 20
