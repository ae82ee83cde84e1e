"""Locust users for peaje: one per path, so each crossing is loaded (and reported) on its own.

    http-python   POST /v1/python/*  through the API, pure-Python engine
    http-native   POST /v1/native/*  through the API, in-process pybind11 engine
    http-nanobind POST /v1/nanobind/*  the same, through nanobind
    http-cython   POST /v1/cython/*  the same, through Cython
    http-grpc     POST /v1/grpc/*    through the API, which calls peaje-server
    grpc-direct   peaje-server itself, no HTTP front: http-grpc minus this is the front's cost
    http-*-protobuf  the same three HTTP paths with peaje.v1 protobuf bodies instead of JSON

Request names carry the path ("http-native search resident t=1"): the three HTTP paths share
the method POST, and Locust's own tables group by name and method only.

Pick paths by class name (``locust -f ... NativeHttpUser GrpcUser``) and the profile by tag
(``--tags mix`` or ``--tags sweep``, see workloads.py). ``peaje load`` drives this file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import grpc
import grpc.experimental.gevent
from locust import FastHttpUser, User, events, tag
from locust.user.wait_time import constant_pacing

from peaje.load.latency import LatencyRecorder, attach, latency_table
from peaje.load.workloads import WORKLOADS, Workload

# gRPC's own threads would block gevent's loop: hand its I/O to gevent before any channel.
grpc.experimental.gevent.init_gevent()

JSON = {"Content-Type": "application/json"}
PROTOBUF = {"Content-Type": "application/x-protobuf", "Accept": "application/x-protobuf"}
recorder = LatencyRecorder()


@events.init_command_line_parser.add_listener
def add_arguments(parser):
    parser.add_argument(
        "--peaje-grpc-target",
        default=os.environ.get("PEAJE_GRPC_TARGET", "127.0.0.1:50051"),
        help="peaje-server for GrpcUser; several comma-separated targets are round-robined",
    )
    parser.add_argument(
        "--peaje-user-rate",
        type=float,
        default=0.0,
        help="calls per second per user (0: as fast as the answers come)",
    )
    parser.add_argument(
        "--peaje-latency-out",
        default="",
        include_in_web_ui=False,
        help="write the µs latency histograms (JSON) here when Locust quits",
    )
    parser.add_argument("--peaje-timeout", type=float, default=10.0, help="per-call timeout (s)")


@events.init.add_listener
def on_init(environment, **_):
    options = environment.parsed_options
    output = getattr(options, "peaje_latency_out", "") if options else ""
    attach(environment, recorder, Path(output) if output else None)
    if environment.web_ui is not None:
        # Locust's own charts round to whole ms; this page shows the µs histograms.
        @environment.web_ui.app.route("/peaje/latency")
        def latency_page():
            return {"unit": "µs", "paths": latency_table(recorder)}


def option(user: User, name: str, default):
    options = user.environment.parsed_options
    return getattr(options, name, default) if options is not None else default


def paced(user: User) -> float:
    """No wait by default (closed loop); with --peaje-user-rate, a constant rate per user."""
    rate = option(user, "peaje_user_rate", 0.0)
    return constant_pacing(1.0 / rate)(user) if rate > 0 else 0.0


class PeajeUser(User):
    abstract = True
    path = ""
    wait_time = paced

    def context(self) -> dict:
        return {"path": self.path}

    def call(self, workload: Workload) -> None:
        raise NotImplementedError


def workload_tasks(workloads: tuple[Workload, ...]) -> dict:
    """One Locust task per workload, weighted and tagged as the workload says."""
    tasks = {}
    for workload in workloads:

        def run(user: PeajeUser, workload: Workload = workload) -> None:
            user.call(workload)

        run.__name__ = workload.name.replace(" ", "_")
        tasks[tag(*workload.tags)(run)] = workload.weight
    return tasks


def next_payload(user: User, items: tuple):
    user._turn = getattr(user, "_turn", -1) + 1
    return items[user._turn % len(items)]


class HttpPeajeUser(FastHttpUser, PeajeUser):
    """The HTTP front routing to ``engine``; one keep-alive connection per user."""

    abstract = True
    engine = ""
    protobuf = False  # bodies as peaje.v1 messages (request and response) instead of JSON
    tasks = workload_tasks(WORKLOADS)
    wait_time = paced

    def on_start(self) -> None:
        timeout = option(self, "peaje_timeout", 10.0)
        self.client.network_timeout = self.client.connection_timeout = timeout

    def call(self, workload: Workload) -> None:
        bodies = workload.protobuf_bodies if self.protobuf else workload.bodies
        self.client.post(
            f"/v1/{self.engine}/{workload.route}",
            data=next_payload(self, bodies),
            headers=PROTOBUF if self.protobuf else JSON,
            name=f"{self.path} {workload.name}",
            context={"workload": workload.name},
        )


class PythonHttpUser(HttpPeajeUser):
    path, engine = "http-python", "python"


class NativeHttpUser(HttpPeajeUser):
    path, engine = "http-native", "native"


class NanobindHttpUser(HttpPeajeUser):
    path, engine = "http-nanobind", "nanobind"


class CythonHttpUser(HttpPeajeUser):
    path, engine = "http-cython", "cython"


class GrpcHttpUser(HttpPeajeUser):
    path, engine = "http-grpc", "grpc"


class PythonProtobufHttpUser(HttpPeajeUser):
    path, engine, protobuf = "http-python-protobuf", "python", True


class NativeProtobufHttpUser(HttpPeajeUser):
    path, engine, protobuf = "http-native-protobuf", "native", True


class GrpcProtobufHttpUser(HttpPeajeUser):
    path, engine, protobuf = "http-grpc-protobuf", "grpc", True


class GrpcUser(PeajeUser):
    """peaje-server directly: one channel per user, created once and reused for every call."""

    path = "grpc-direct"
    tasks = workload_tasks(WORKLOADS)

    def on_start(self) -> None:
        from peaje.v1 import peaje_pb2_grpc

        target = option(self, "peaje_grpc_target", "127.0.0.1:50051")
        if "," in target and not target.startswith(("ipv4:", "ipv6:", "dns:")):
            target = "ipv4:" + target
        self.timeout = option(self, "peaje_timeout", 10.0)
        self.channel = grpc.insecure_channel(
            target,
            options=[
                # Each user owns its connection, as separate clients would.
                ("grpc.use_local_subchannel_pool", 1),
                ("grpc.lb_policy_name", "round_robin"),
            ],
        )
        stub = peaje_pb2_grpc.PeajeStub(self.channel)
        self.methods = {"search": stub.Search, "bytes-dict": stub.ToBytesDict}

    def on_stop(self) -> None:
        self.channel.close()

    def call(self, workload: Workload) -> None:
        request = next_payload(self, workload.grpc_requests)
        method = self.methods[workload.route]
        response, exception, length = None, None, 0
        start_time = time.time()
        start = time.perf_counter()
        try:
            response = method(request, timeout=self.timeout)
        except grpc.RpcError as error:
            exception = error
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        if response is not None:
            length = response.ByteSize()
        self.environment.events.request.fire(
            request_type="grpc",
            name=f"{self.path} {workload.name}",
            response_time=elapsed_ms,
            response_length=length,
            response=response,
            context={**self.context(), "workload": workload.name},
            exception=exception,
            start_time=start_time,
            url=None,
        )
