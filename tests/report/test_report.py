"""The toll report end to end on the tiny profile: every section is produced, the report opens
offline, the cost model reproduces its own measurements, and the talk's crossover shape holds.

Timing asserts are wide-margin ratios only: the tiny profile runs on busy CI machines.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from peaje.bench.render import MODEL_TOLERANCE, SECTIONS


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    subprocess.run(
        [sys.executable, "-m", "peaje", "report", "--profile", "tiny", "--out", str(root)],
        check=True,
        timeout=600,
    )
    (outdir,) = root.glob("*-tiny")
    return outdir


@pytest.fixture(scope="module")
def results(report_dir: Path) -> dict:
    return json.loads((report_dir / "results.json").read_text())


def test_every_artifact_is_written(report_dir: Path, results: dict) -> None:
    for name in ("report.md", "report.html", "results.json", "manifest.json", "raw/pyperf.json"):
        assert (report_dir / name).is_file(), name
    for plot in results["plots"]:
        assert (report_dir / "plots" / f"{plot}.svg").is_file()
        assert (report_dir / "plots" / f"{plot}.png").is_file()
    assert {"time_vs_repeat", "breakdown"} <= set(results["plots"])


def test_report_has_every_section(report_dir: Path) -> None:
    markdown = (report_dir / "report.md").read_text()
    html = (report_dir / "report.html").read_text()
    for title in SECTIONS:
        assert f"## {title}" in markdown, title
        assert re.search(rf"<h2[^>]*>{re.escape(title.replace(chr(39), '&#x27;'))}</h2>", html), (
            title
        )


def test_talk_section_sets_the_talks_figures_beside_ours(report_dir: Path, results: dict) -> None:
    markdown = (report_dir / "report.md").read_text()
    talk = markdown.split("## The talk's table, reproduced", 1)[1].split("\n## ", 1)[0]
    assert "42.5 ms: 1372.82x slower" in talk  # the talk's published cell, by value at 10 loops
    # each of the talk's rows this profile runs: its line, then ours at -O0 and at -O3
    talk_rows = talk.count("| talk -O0 |")
    assert talk_rows >= 4
    assert talk.count("|  |  | ours -O0 |") == talk.count("|  |  | ours -O3 |") == talk_rows
    assert "peaje resident" in talk and "talk_vs_ours" in talk
    assert "not available" not in markdown
    assert (report_dir / "plots" / "talk_vs_ours.svg").is_file()
    cells = {(c["column"], c["loops"]) for c in results["talk"]["cells"]}
    assert {("python", 10), ("value-O0", 10), ("pointer-O3", 100000)} <= cells


def test_report_opens_offline(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no CDN or remote asset"
    for src in re.findall(r'src="([^"]+)"', html):
        assert (report_dir / src).is_file(), src


def test_manifest_names_machine_and_build(results: dict) -> None:
    manifest = results["manifest"]
    assert manifest["cores"] >= 1 and manifest["cpu"]
    assert manifest["packages"]["pyperf"] and manifest["python"]
    assert manifest["extension_build"].get("CMAKE_BUILD_TYPE")


def test_model_reproduces_its_measurements(results: dict) -> None:
    from peaje.bench.analysis import Report

    analysis = Report.from_json(results).analysis
    assert set(results["fits"]) == {s.label for s in analysis.fits}  # what the JSON says
    for series, fit in analysis.fits.items():
        errors = analysis.errors_of(series)
        assert errors, series
        assert statistics.median(errors) <= MODEL_TOLERANCE, (series, errors)
        assert fit.fixed_ns >= 0 and fit.per_element_ns >= 0 and fit.per_probe_ns >= 0


def test_crossover_shape_holds(results: dict) -> None:
    rows = {row["repeat"]: row for row in results["headline"]}
    assert results["main_size"] == 100_000
    # The talk's finding: at repeat 1, copying 100k ints costs far more than one Python search...
    assert rows[1]["native-copy"] > 5 * rows[1]["python"]
    # ...and with the data resident, native wins by a wide margin once the work is large.
    largest = max(rows)
    assert largest >= 10_000
    assert rows[largest]["native-resident"] * 10 < rows[largest]["python"]
    assert rows[largest]["native-copy"] < rows[largest]["python"]
    copy = next(b for b in results["break_even"] if b["path"] == "native-copy")
    assert copy["model_repeat"] is not None and copy["model_repeat"] > 1


def test_headline_is_printed(report_dir: Path, results: dict) -> None:
    from peaje.bench.analysis import Report
    from peaje.bench.render import headline_text

    text = headline_text(Report.from_json(results))
    assert "native-copy" in text and "Break-even points" in text


def test_http_bodies_compare_json_and_protobuf_per_batch(results: dict) -> None:
    from peaje.bench.http_encodings import BATCHES

    rows = results["http_encodings"]
    assert [row["targets"] for row in rows] == list(BATCHES)
    for row in rows:
        for encoding in ("json", "protobuf"):
            m = row[encoding]
            assert 0 < m["engine_ms"] < m["app_ms"] < m["round_trip_ms"], (row["targets"], m)
        assert row["protobuf"]["body_bytes"] < row["json"]["body_bytes"]


def test_concurrency_section_shows_the_grpc_clients_parts_per_users():
    from types import SimpleNamespace

    from peaje.bench import render

    def point(path, users, engine, queue):
        parts = {"app_p50_us": engine + (queue or 0) + 50, "engine_p50_us": engine}
        if path == "http-grpc":
            parts |= {"server_p50_us": 4, "queue_p50_us": queue}
        return {"path": path, "users": users, "rps": 100.0, "p50_us": 900, "p95_us": 1000,
                "errors": 0, **parts}  # fmt: skip

    sweep = {
        "source": "results/load-sweep-x",
        "grpc_client": "cpp",
        "points": [point("http-native", 1, 20, None), point("http-grpc", 1, 300, 70),
                   point("http-grpc", 8, 760, 1500)],
    }  # fmt: skip
    section = render.Section("concurrency")
    render.concurrency_section(SimpleNamespace(load_sweep=sweep), section)
    tables = [b for b in section.blocks if isinstance(b, render.Table)]
    parts = tables[-1]
    assert parts.header == ["users", "app", "engine", "server", "engine − server", "queue"]
    assert parts.rows == [
        ["1", "420 µs", "300 µs", "4 µs", "296 µs", "70 µs"],
        ["8", "2.31 ms", "760 µs", "4 µs", "756 µs", "1.5 ms"],
    ]
    assert any("`cpp` client" in b for b in section.blocks if isinstance(b, str))
