"""Run profiles: which cases the matrix times and how hard pyperf works at each.

- ``tiny``: the whole pipeline in seconds, for the tests (one worker process per case).
- ``quick``: ``make demo``, a few minutes on 2 cores.
- ``full``: every size, repeat and batch of design.md, with more worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peaje.bench.paths import BYTES_DICT_PATHS, SEARCH_PATHS, Case
from peaje.inprocess import BINDINGS

REPEATS = (1, 10, 100, 1000, 10000, 100000)


@dataclass(frozen=True)
class Profile:
    name: str
    main_size: int  # the talk's size: every path x every repeat
    repeats: tuple[int, ...]
    model_sizes: tuple[int, ...]  # more sizes, so per-element costs can be fitted
    model_repeats: tuple[int, ...]
    batches: tuple[int, ...]  # targets per call (repeat 1): the batching break-even
    bytes_dict_sizes: tuple[int, ...]
    latencies_ms: tuple[int, ...]  # Toxiproxy rungs (added round trip)
    pyperf_args: tuple[str, ...]
    paths: tuple[str, ...] = tuple(SEARCH_PATHS)
    coldstart_runs: int = 3
    cpp_min_time: str = "0.1"
    memory_size: int = 1_000_000
    # A short Locust sweep (peaje.load.sweep) folded into the report; () runs none.
    load_sweep_args: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def paths_of(*engines: str) -> tuple[str, ...]:
    """Every registry path of these engines, in registry order."""
    return tuple(p for p, spec in SEARCH_PATHS.items() if spec.engine in engines)


PROFILES = {
    "tiny": Profile(
        name="tiny",
        main_size=100_000,
        repeats=(1, 100, 10000),
        model_sizes=(10_000,),
        model_repeats=(1,),
        batches=(100,),
        bytes_dict_sizes=(100,),
        latencies_ms=(),
        pyperf_args=("--processes", "1", "--values", "2", "--warmups", "1", "--min-time", "0.01"),
        paths=("python", "native-copy", "native-resident", "grpc-resident"),
        coldstart_runs=1,
        cpp_min_time="0.01",
        memory_size=100_000,
    ),
    "quick": Profile(
        name="quick",
        main_size=100_000,
        repeats=REPEATS,
        model_sizes=(1_000, 1_000_000),
        model_repeats=(1, 1000),
        batches=(10, 1000),
        bytes_dict_sizes=(100, 10_000),
        latencies_ms=(1, 2),
        pyperf_args=("--processes", "2", "--values", "3", "--warmups", "1", "--min-time", "0.05"),
        # make demo's few minutes: the other bindings' rows are the "Which binding?" section's
        # own measurement (peaje.bench.bindings); the full profile times every registry path.
        paths=paths_of("python", "native", "grpc"),
        load_sweep_args=("--users", "1", "4", "16", "--duration", "5s"),
    ),
    "full": Profile(
        name="full",
        main_size=100_000,
        repeats=REPEATS,
        model_sizes=(1_000, 1_000_000),
        model_repeats=REPEATS,
        batches=(10, 100, 1000, 10000),
        bytes_dict_sizes=(10, 1000, 100_000),
        latencies_ms=(1, 2, 10),
        pyperf_args=("--processes", "6", "--values", "3", "--warmups", "1", "--min-time", "0.1"),
        coldstart_runs=5,
        cpp_min_time="0.5",
        load_sweep_args=("--users", "1", "4", "16", "64", "--duration", "10s"),
    ),
}


def cases(profile: Profile, transports: tuple[str, ...]) -> list[Case]:
    """Every case of a profile, given the gRPC transports that are up ("tcp", "unix", ...)."""
    remote = "tcp" in transports
    paths = [p for p in profile.paths if remote or not p.startswith("grpc")]

    def via(path: str) -> str:
        return "tcp" if path.startswith("grpc") else ""

    out = [
        Case("search", p, profile.main_size, k, 1, via(p)) for k in profile.repeats for p in paths
    ]
    out += [
        Case("search", p, n, k, 1, via(p))
        for n in profile.model_sizes
        for k in profile.model_repeats
        for p in paths
    ]
    batch_paths = [p for p in ("python", "native-resident", "grpc-resident") if p in paths]
    out += [
        Case("batch", p, profile.main_size, 1, b, via(p))
        for b in profile.batches
        for p in batch_paths
    ]
    # The transport ladder: the bare crossing, and one search, on every rung.
    out += [Case("noop", name) for name in BINDINGS]  # each in-process binding's own no-op
    ladder = [t for t in transports]
    out += [Case("noop", "grpc", transport=t) for t in ladder]
    if "grpc-resident" in paths:
        out += [
            Case("search", "grpc-resident", profile.main_size, 1, 1, t)
            for t in ladder
            if t != "tcp"
        ]
    if remote and "grpc-resident" in paths:
        out += client_cases(profile)
    out += [
        Case("bytes-dict", p, n, transport="tcp" if p == "grpc" else "")
        for n in profile.bytes_dict_sizes
        for p in BYTES_DICT_PATHS
        if remote or p != "grpc"
    ]
    return out


def grpc_clients() -> tuple[str, ...]:
    """The gRPC clients besides the default one, as peaje.remote registers and this
    installation can load them (a client added to peaje.remote.CLIENTS appears by itself)."""
    from peaje.remote import DEFAULT_CLIENT, available_clients

    return tuple(c for c in available_clients() if c != DEFAULT_CLIENT)


def client_cases(profile: Profile) -> list[Case]:
    """Per extra client, over TCP: the bare RPC and the resident search at every repeat, so the
    headline, the ladder and the model show the client's own share of the toll."""
    out = []
    for client in grpc_clients():
        out.append(Case("noop", "grpc", transport="tcp", client=client))
        out += [
            Case("search", "grpc-resident", profile.main_size, k, 1, "tcp", client)
            for k in profile.repeats
        ]
    return out
