"""The run manifest: what machine, build and versions produced a report's numbers."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from peaje.processes import StartFailed, find_repo, server_binary, toxiproxy_binary

REPO = find_repo() or Path.cwd()

PACKAGES = ("peaje", "pybind11", "grpcio", "protobuf", "pyperf", "numpy", "matplotlib", "py-spy")
CACHE_KEYS = (
    "CMAKE_BUILD_TYPE",
    "CMAKE_CXX_COMPILER",
    "CMAKE_CXX_FLAGS",
    "CMAKE_CXX_FLAGS_RELEASE",
    "PEAJE_SANITIZE",
)


def _command(*args: str) -> str | None:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else ""


def _found(locate) -> str | None:
    try:
        return str(locate())
    except StartFailed:
        return None


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1) if match else platform.processor() or "unknown"


def _cmake_cache(build_dir: Path) -> dict[str, str]:
    cache = build_dir / "CMakeCache.txt"
    if not cache.is_file():
        return {}
    out = {}
    for line in cache.read_text(errors="replace").splitlines():
        key, _, value = line.partition("=")
        name = key.split(":", 1)[0]
        if name in CACHE_KEYS:
            out[name] = value
    return out


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def collect() -> dict:
    load = os.getloadavg()
    try:
        mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        mem_total = None
    dirty = _command("git", "status", "--porcelain", "--untracked-files=no")
    return {
        "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "load_average_at_start": [round(x, 2) for x in load],
        "memory_bytes": mem_total,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": {p: _version(p) for p in PACKAGES},
        "compiler": _command("c++", "--version"),
        "grpc_cpp": _command("pkg-config", "--modversion", "grpc++"),
        "cmake_build": _cmake_cache(REPO / "build" / "cmake"),  # core bench, peaje-server
        "extension_build": _cmake_cache(REPO / "build" / "py"),  # peaje._native
        "server_binary": _found(server_binary),
        "toxiproxy": _command(toxiproxy, "-version")
        if (toxiproxy := _found(toxiproxy_binary))
        else None,
        "git_commit": _command("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(dirty) if dirty is not None else None,
    }
