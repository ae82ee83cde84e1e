"""Short headless Locust runs against real processes: every path serves requests, none fails,
and the µs histograms count exactly what Locust counted, locally and with 2 worker processes.

``peaje load`` starts its own peaje-server and API on free 127.0.0.1 ports and stops them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from peaje.load import runner
from peaje.load.targets import LoadTargets, free_port


def run(tmp_path: Path, *args: str) -> dict:
    code = runner.main(["--results", str(tmp_path), *args])
    (outdir,) = tmp_path.glob("load-*")
    summary = json.loads((outdir / "summary.json").read_text())
    assert code == 0, summary["problems"]
    for name in ("locust.html", "locust_stats.csv", "latency.json", "summary.md"):
        assert (outdir / name).stat().st_size > 0, name
    # Locust's own CSV counts the same requests as the µs histograms.
    with open(outdir / "locust_stats.csv") as stats:
        (total,) = [row for row in csv.DictReader(stats) if row["Name"] == "Aggregated"]
    assert int(total["Request Count"]) == summary["histogram_count"]
    return summary


def check(summary: dict, paths: tuple[str, ...]) -> None:
    assert summary["ok"], summary["problems"]
    assert summary["schema"] == runner.SUMMARY_SCHEMA
    served = {row["path"]: row for row in summary["paths"]}
    assert set(served) == set(paths)
    for row in served.values():
        assert row["requests"] > 0 and row["errors"] == 0, row
        assert row["p50_us"] <= row["p95_us"] <= row["p99_us"] <= row["p99_9_us"], row
    assert summary["locust"]["failures"] == 0
    assert summary["histogram_count"] == summary["locust"]["requests"]
    assert summary["histogram_count"] == sum(row["requests"] for row in served.values())


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("server_binary")
def test_every_path_in_one_process(tmp_path):
    users = str(len(runner.PATH_CLASSES))
    summary = run(tmp_path, "--duration", "5s", "--users", users, "--paths", "all")
    check(summary, tuple(runner.PATH_CLASSES))
    # The breakdown each answer reports reached the summary: the API's Server-Timing, and
    # peaje-server's server_ns (directly, and through the API for http-grpc).
    rows = {row["path"]: row for row in summary["paths"]}
    assert rows["http-native"]["engine_p50_us"] and rows["http-native"]["app_p50_us"]
    assert rows["http-native"]["server_p50_us"] is None
    assert rows["http-grpc"]["server_p50_us"] and rows["grpc-direct"]["server_p50_us"]
    assert rows["grpc-direct"]["app_p50_us"] is None
    assert (
        rows["http-native-protobuf"]["engine_p50_us"] and rows["http-grpc-protobuf"]["app_p50_us"]
    )
    names = {row["name"] for row in summary["requests"]}
    assert {"search resident t=1", "search inline n=1000 t=10", "bytes-dict e=16"} <= names


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("server_binary")
@pytest.mark.parametrize("mode", ["--workers", "--processes"])
def test_master_and_two_workers(tmp_path, mode):
    # --workers: the runner starts master + 2 worker processes; --processes: Locust forks them.
    summary = run(
        tmp_path, "--duration", "5s", "--users", "4", mode, "2",
        "--paths", "http-native,grpc-direct",
    )  # fmt: skip
    check(summary, ("http-native", "grpc-direct"))
    assert summary["generator"]["processes"] >= 3  # the master and both workers were watched


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("server_binary")
def test_a_failing_path_fails_the_run(tmp_path):
    # The API is real and ready; the gRPC users aim at a port nobody listens on.
    with LoadTargets() as targets:
        code = runner.main(
            ["--results", str(tmp_path), "--host", targets.host, "--grpc-target",
             f"127.0.0.1:{free_port()}", "--paths", "grpc-direct,http-native",
             "--duration", "3s", "--users", "2", "--timeout", "1"]
        )  # fmt: skip
    (outdir,) = tmp_path.glob("load-*")
    summary = json.loads((outdir / "summary.json").read_text())
    assert code == 1
    assert not summary["ok"]
    rows = {row["path"]: row for row in summary["paths"]}
    assert rows["grpc-direct"]["errors"] == rows["grpc-direct"]["requests"] > 0
    assert rows["http-native"]["errors"] == 0 and rows["http-native"]["requests"] > 0
    assert any("failed" in problem for problem in summary["problems"])
    assert summary["histogram_count"] == summary["locust"]["requests"]
