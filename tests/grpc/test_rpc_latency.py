"""The remote toll's decomposition (peaje.bench.rpc_latency): a tiny run that must have every row
and a decomposition that adds up; the figures themselves belong to the benchmark run."""

from __future__ import annotations

import json

import pytest

from peaje.bench import rpc_latency
from peaje.bench.rpc_clients import FLOOR, GHZ_BIN, REFERENCE, RPC_BENCH_BIN
from peaje.remote import ASYNC_CLIENTS, CLIENTS


def test_a_tiny_run_has_every_row_and_the_parts_add_up(tmp_path, capsys):
    if not (RPC_BENCH_BIN.is_file() and GHZ_BIN.is_file()):
        pytest.fail("peaje_rpc_bench or ghz is missing: run `make build`", pytrace=False)
    out = tmp_path / "rows.json"
    argv = ["--calls", "20", "--rounds", "2", "--warmup", "2", "--json", str(out)]
    assert rpc_latency.main(argv) == 0
    rows = json.loads(out.read_text())["rows"]
    clients = {(r["transport"], r["client"]) for r in rows if r["operation"] == "noop"}
    expected = {REFERENCE, "ghz (go)"} | {f"python {c} in its loop" for c in ASYNC_CLIENTS}
    expected |= {f"python {c}" for c in CLIENTS}
    assert {name for transport, name in clients if transport == "tcp"} == expected
    assert ("unix", "python cpp") in clients and ("unix", "ghz (go)") not in clients
    floors = [r for r in rows if r["client"] == FLOOR]
    assert {r["transport"] for r in floors} == {"tcp", "unix"}
    for row in rows:
        assert row["calls"] >= 20 and 0 < row["p50_us"] <= row["p90_us"] <= row["p99_us"]
        if row["client"] != FLOOR:
            parts = row["floor_us"] + row["grpc_server_us"] + row["client_us"]
            assert parts == pytest.approx(row["p50_us"])
    assert "goal: best Python client's no-op p50 / TCP floor p50" in capsys.readouterr().out

    # The report's section and its stacked bars, from the same rows.
    from types import SimpleNamespace

    from peaje.bench import plots, render

    report = SimpleNamespace(rpc_decomposition=rows)
    section = render.Section("remote")
    render.remote_toll_section(report, section)
    (table,) = [b for b in section.blocks if isinstance(b, render.Table)]
    assert len(table.rows) == len(rows)
    assert any("x the wire floor" in b for b in section.blocks if isinstance(b, str))
    assert plots.remote_toll(report, tmp_path) == "remote_toll"
    assert (tmp_path / "remote_toll.png").stat().st_size > 0


def test_server_api_tiny_run_measures_every_server(capsys):
    from peaje.bench import server_api

    argv = ["--calls", "20", "--rounds", "2", "--warmup", "2", "--load-calls", "40"]
    assert server_api.main(argv) == 0
    out = capsys.readouterr().out
    for name in server_api.SERVERS:
        assert out.count(name) == 3, out  # noop, search, throughput
    assert out.count(" req/s\n") == len(server_api.SERVERS)
