"""The µs recorder: what workers send is what the master adds up."""

from __future__ import annotations

import json

from peaje.load.latency import LatencyRecorder, read, reported_parts, write


def test_encode_merge_round_trip_adds_counts_and_errors():
    worker_a, worker_b, master = LatencyRecorder(), LatencyRecorder(), LatencyRecorder()
    for us in range(100, 1100):
        worker_a.record("http-native", "search", us / 1000, failed=False)
    worker_b.record("http-native", "search", 5.0, failed=True)
    worker_b.record("grpc-direct", "search", 0.2, failed=False)
    # Through JSON, as Locust's report_to_master messages carry it.
    master.merge(json.loads(json.dumps(worker_a.encode())))
    master.merge(json.loads(json.dumps(worker_b.encode())))
    paths = master.by_path()
    assert paths["http-native"].count == 1001
    assert paths["http-native"].errors == 1
    assert paths["grpc-direct"].histogram.get_max_value() == 200
    assert master.total_count == 1002


def test_samples_are_clamped_into_the_histogram_range(tmp_path):
    recorder = LatencyRecorder()
    recorder.record("p", "n", 0.0, failed=False)  # 0 µs -> the 1 µs floor
    recorder.record("p", "n", 10**9, failed=True)  # beyond 60 s -> the ceiling
    write(tmp_path / "latency.json", recorder, {"start": 1.0, "stop": 2.0}, {}, distributed=False)
    again, document = read(tmp_path / "latency.json")
    assert again.total_count == 2
    assert document["start"] == 1.0


class FakeHttpAnswer:
    headers = {"Server-Timing": ["engine;dur=0.250, server;dur=0.004", "app;dur=1.5"]}


class FakeGrpcAnswer:
    server_ns = 3_000


def test_reported_parts_read_server_timing_and_server_ns():
    assert reported_parts(FakeHttpAnswer()) == {"engine": 250.0, "server": 4.0, "app": 1500.0}
    assert reported_parts(FakeGrpcAnswer()) == {"server": 3.0}
    assert reported_parts(None) == {}


def test_parts_travel_with_the_series():
    worker, master = LatencyRecorder(), LatencyRecorder()
    worker.record("http-grpc", "search", 2.0, failed=False)
    worker.record_part("http-grpc", "server", 3.0)
    master.merge(json.loads(json.dumps(worker.encode())))
    assert master.total_count == 1
    assert master.parts[("http-grpc", "server")].histogram.get_max_value() == 3


def test_latest_results_pick_the_newest_complete_directory(tmp_path):
    from peaje.load.results import latest, load_latest

    for name, file in [
        ("load-20260101T000000Z", "summary.json"),
        ("load-20260102T000000Z", "summary.json"),
        ("load-20260103T000000Z", None),  # interrupted before writing
        ("load-sweep-20260101T000000Z", "sweep.json"),
    ]:
        (tmp_path / name).mkdir()
        if file:
            (tmp_path / name / file).write_text(json.dumps({"name": name}))
    assert latest("run", tmp_path).parent.name == "load-20260102T000000Z"
    assert load_latest("sweep", tmp_path)["name"] == "load-sweep-20260101T000000Z"
    assert latest("sweep", tmp_path / "nothing-here") is None
