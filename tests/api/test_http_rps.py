"""The front-cost benchmark (peaje.bench.http_rps) runs end to end, briefly, with each client."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from peaje.bench import front_instructions, http_rps

CLIENTS = ["httpx", pytest.param("wrk", marks=pytest.mark.skipif(
    shutil.which("wrk") is None, reason="no wrk (apt-get install wrk)"))]  # fmt: skip


@pytest.mark.parametrize("client", CLIENTS)
def test_http_rps_measures_every_endpoint_and_the_breakdown(api_url, tmp_path, client):
    out = tmp_path / "rps.json"
    argv = ["--url", api_url, "--duration", "1", "--rounds", "1", "--connections", "4",
            "--samples", "5", "--client", client, "--json", str(out)]  # fmt: skip
    assert http_rps.main(argv) == 0
    results = json.loads(out.read_text())
    assert set(results["load"]) == {load.name for load in http_rps.LOADS}
    for row in results["load"].values():
        assert row["rps"] > 0 and row["non_2xx"] == 0 and row["client"] == client
    assert [goal["what"] for goal in results["goals"]] == [what for what, *_ in http_rps.GOALS]
    assert all(goal["ratio"] > 0 for goal in results["goals"])
    assert 0 < results["layer_costs"]["server_timing_us"] < 1000
    assert 0 < results["layer_costs"]["metrics_us"] < 1000
    assert [row["targets"] for row in results["breakdown"]] == [1, 10_000]
    for row in results["breakdown"]:
        assert 0 < row["server_ms"] < row["engine_ms"] < row["app_ms"] < row["round_trip_ms"]


@pytest.mark.parametrize("name", list(front_instructions.APPS))
def test_front_instructions_drives_each_app_to_200s(name):
    """The process callgrind counts (here without callgrind) answers every request with 200,
    and exits non-zero on any other answer."""
    app, load = front_instructions.APPS[name]
    command = [sys.executable, "-c", front_instructions.CHILD, app, load, "20"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_front_instructions_child_fails_on_any_answer_but_200():
    command = [sys.executable, "-c", front_instructions.CHILD, "floor", http_rps.SEARCH, "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0 and "answers [404]" in done.stderr  # the floor has no search


def test_front_instructions_reads_cachegrinds_summary():
    summary = "\n".join([
        "==7== I   refs:      1,234,567", "==7== I1  misses:        2,345",
        "==7== LLi misses:          100", "==7== D   refs:        500,000  (300,000 rd + 2 wr)",
        "==7== D1  misses:        4,444  (  3,000 rd   +   1,444 wr)",
        "==7== LLd misses:            9", "==7== Mispredicts:       8,888  (8,000 cond + 888 ind)",
    ])  # fmt: skip
    assert front_instructions.cachegrind_counts(summary) == {
        "instructions": 1_234_567, "I1 misses": 2_345, "D1 misses": 4_444,
        "mispredicted branches": 8_888,
    }  # fmt: skip
    assert front_instructions.cachegrind_counts("==7== Collected : 5") == {}


def test_http_rps_restarts_pairs_fresh_apis_with_the_floor(tmp_path):
    out = tmp_path / "restarts.json"
    argv = ["--restarts", "2", "--duration", "1", "--connections", "2", "--client", "httpx",
            "--json", str(out)]  # fmt: skip
    assert http_rps.main(argv) == 0
    summary = json.loads(out.read_text())["restarts"]
    assert len(summary["pairs"]) == 2 and all(a > 0 and f > 0 for a, f in summary["pairs"])
    ratios = sorted(a / f for a, f in summary["pairs"])
    assert (summary["min"], summary["max"]) == (ratios[0], ratios[-1])
    assert summary["under_goal"] == sum(r < summary["goal"] for r in ratios)
    with pytest.raises(SystemExit):
        http_rps.main(["--restarts", "0"])
