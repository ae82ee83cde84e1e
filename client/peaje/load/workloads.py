"""What each simulated call carries: the same workloads for every path, built once per process.

A workload is one kind of request (a search over the resident dataset or over inline values at
some batch size, or a bytes-dict) with its weight in the mix. Each is pre-encoded for both
faces, a JSON body for the HTTP front and a protobuf request for peaje-server, so the load
generator spends its CPU sending, not building. Several target sets rotate, so no call is a
replay of the previous one.

Tags pick a profile: ``mix`` (the weighted everyday mix), ``sweep`` or ``sweep-heavy`` (one
fixed call with real work in it, for the concurrency sweep).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cached_property

from peaje.limits import DEFAULT_DATASET

DATASET_SIZE = 100_000  # DEFAULT_DATASET is range:100000
VARIANTS = 8  # target sets per workload, rotated per call


@dataclass(frozen=True)
class Workload:
    name: str
    route: str  # "search" or "bytes-dict"
    weight: int
    tags: tuple[str, ...]
    payloads: tuple[dict, ...]  # the JSON bodies, before encoding

    @cached_property
    def bodies(self) -> tuple[bytes, ...]:
        return tuple(json.dumps(p, separators=(",", ":")).encode() for p in self.payloads)

    @cached_property
    def grpc_requests(self) -> tuple:
        return tuple(to_proto(self.route, p) for p in self.payloads)

    @cached_property
    def protobuf_bodies(self) -> tuple[bytes, ...]:
        """The same requests as HTTP bodies of type application/x-protobuf."""
        return tuple(request.SerializeToString() for request in self.grpc_requests)


def _targets(rng: random.Random, count: int, high: int) -> list[int]:
    # Mostly hits, some misses on either side, like a real lookup stream.
    return [rng.randrange(-(high // 50), high + high // 50) for _ in range(count)]


def resident_search(count: int, weight: int, *, repeat: int = 1, tags=("mix",)) -> Workload:
    rng = random.Random(f"resident-{count}-{repeat}")
    payloads = tuple(
        {"dataset": DEFAULT_DATASET, "targets": _targets(rng, count, high), "repeat": repeat}
        for high in [DATASET_SIZE] * VARIANTS
    )
    name = f"search resident t={count}" + (f" r={repeat}" if repeat != 1 else "")
    return Workload(name, "search", weight, tags, payloads)


def inline_search(size: int, count: int, weight: int, *, tags=("mix",)) -> Workload:
    # Inline values cross (and are validated) on every call: the copy the resident mode avoids.
    rng = random.Random(f"inline-{size}-{count}")
    values = list(range(0, 3 * size, 3))
    payloads = tuple(
        {"values": values, "targets": _targets(rng, count, 3 * size)} for _ in range(VARIANTS)
    )
    return Workload(f"search inline n={size} t={count}", "search", weight, tags, payloads)


def bytes_dict(entries: int, weight: int, *, tags=("mix",)) -> Workload:
    rng = random.Random(f"bytes-dict-{entries}")
    payloads = tuple(
        {
            "entries": [
                [f"key-{v}-{i}-ñ", {"base64": "AGJhcmJhAA=="} if i % 2 else f"value-{i}"]
                for i in range(entries)
            ]
        }
        for v in (rng.randrange(1000) for _ in range(VARIANTS))
    )
    return Workload(f"bytes-dict e={entries}", "bytes-dict", weight, tags, payloads)


# The everyday mix: mostly small resident searches, where the crossing dominates; some large
# batches, where the work does; inline values (1,000 and 10,000 of them), which pay their own
# transfer and validation on every call; and bytes-dict.
MIX = (
    resident_search(1, weight=6),
    resident_search(100, weight=3),
    resident_search(10_000, weight=1),
    inline_search(1_000, 10, weight=2),
    inline_search(10_000, 10, weight=1),
    bytes_dict(16, weight=2),
)
# The sweep: one fixed call with core work in it, so where that work runs (the API process or
# peaje-server) shows in the scaling. "sweep": 100 targets x 100 passes, ~0.2 ms of core work,
# less than the API's own cost per request; "sweep-heavy": x 1000 passes, ~2 ms, more than it.
SWEEP = (
    resident_search(100, weight=1, repeat=100, tags=("sweep",)),
    resident_search(100, weight=1, repeat=1000, tags=("sweep-heavy",)),
)
PROFILES = ("mix", "sweep", "sweep-heavy")
WORKLOADS = MIX + SWEEP


def to_proto(route: str, payload: dict):
    """The peaje.v1 request equivalent to an HTTP JSON body."""
    import base64

    from peaje.v1 import peaje_pb2

    if route == "search":
        request = peaje_pb2.SearchRequest(
            targets=payload["targets"], repeat=payload.get("repeat", 1)
        )
        if "values" in payload:
            request.values.values.extend(payload["values"])
        else:
            request.dataset = payload["dataset"]
        return request
    entries = []
    for key, value in payload["entries"]:
        entry = peaje_pb2.BytesDictEntry()
        if isinstance(key, str):
            entry.key_text = key
        else:
            entry.key_bytes = base64.b64decode(key["base64"])
        if isinstance(value, str):
            entry.value_text = value
        else:
            entry.value_bytes = base64.b64decode(value["base64"])
        entries.append(entry)
    return peaje_pb2.ToBytesDictRequest(entries=entries)
