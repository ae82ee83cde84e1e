"""The toll report's results as typed values: a ``Timing`` per ``Case`` (the measurements), an
``Analysis`` of them (headline, fits, break-even points, ladder, breakdown), and the whole run
(``Report``), which every section (render.py) and figure (plots.py) reads. Series, cases and
transports stay values until ``to_json``, the one JSON boundary (results.json); ``from_json``
reads a run back for ``peaje report --reanalyse``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from peaje.bench import model
from peaje.bench.paths import PYTHON, SEARCH_PATHS, TRANSPORTS, Case, Series
from peaje.bench.profiles import PROFILES, Profile
from peaje.talk.results import TalkRun


@dataclass(frozen=True)
class Timing:
    """One case's pyperf values, in seconds per call."""

    median_s: float
    mean_s: float
    stdev_s: float
    values: int


def load_matrix(path: Path) -> dict[Case, Timing]:
    """The pyperf suite the matrix wrote, as a Timing per Case."""
    import pyperf

    out = {}
    for bench in pyperf.BenchmarkSuite.load(str(path)).get_benchmarks():
        values = bench.get_values()
        stdev = bench.stdev() if len(values) > 1 else 0.0
        out[Case.parse(bench.get_name())] = Timing(bench.median(), bench.mean(), stdev, len(values))
    return out


def timings_to_json(measured: dict[Case, Timing]) -> list[dict]:
    return [
        {"name": c.name, "kind": c.kind, "path": c.path, "label": c.label,
         "transport": c.transport, "client": c.client, "size": c.size, "repeat": c.repeat,
         "targets": c.targets, **asdict(t)}
        for c, t in measured.items()
    ]  # fmt: skip


def timings_from_json(rows: list[dict]) -> dict[Case, Timing]:
    fields = ("median_s", "mean_s", "stdev_s", "values")
    return {Case.parse(r["name"]): Timing(*(r[f] for f in fields)) for r in rows}


# ---- the analysis ----------------------------------------------------------------------------


@dataclass
class BreakEvenRow:
    series: Series
    model: model.BreakEven
    measured_from_repeat: int | None
    interpolated_repeat: float | None
    batch: model.BreakEven | None = None
    measured_batch_from: int | None = None

    def to_json(self) -> dict:
        out = {
            "path": self.series.label,
            "model_repeat": self.model.value,
            "model_text": self.model.text(),
            "measured_from_repeat": self.measured_from_repeat,
            "interpolated_repeat": self.interpolated_repeat,
        }
        if self.batch is not None:
            out |= {"model_batch": self.batch.value, "model_batch_text": self.batch.text()}
            out["measured_batch_from"] = self.measured_batch_from
        return out


@dataclass
class Rung:
    """One rung of the transport ladder: a no-op and one resident search."""

    name: str
    series: Series  # the resident-search series of the rung
    noop_s: float | None
    search_s: float | None
    equivalents: dict[str, float] = field(default_factory=dict)


@dataclass
class BreakdownRow:
    series: Series
    repeat: int
    total_ns: float
    parts: dict[str, float]  # part name -> ns, in stacking order


@dataclass
class Residual:
    case: Case
    measured_ns: float
    model_ns: float

    @property
    def rel_error(self) -> float:
        return self.model_ns / self.measured_ns - 1


@dataclass
class Analysis:
    main_size: int
    series: list[Series]  # the headline's columns, python first
    headline: dict[int, dict[Series, float]]  # repeat -> series -> seconds per call
    fits: dict[Series, model.Fit]
    residuals: list[Residual]
    break_even: list[BreakEvenRow]
    ladder: list[Rung]
    bytes_dict: dict[int, dict[Series, float]]  # entries -> series -> seconds
    breakdown: list[BreakdownRow]

    def errors_of(self, series: Series) -> list[float]:
        """|relative error| of the model at each of the series' points."""
        return sorted(abs(r.rel_error) for r in self.residuals if r.case.series == series)

    def to_json(self) -> dict:
        size = self.main_size
        return {
            "main_size": size,
            "labels": [s.label for s in self.series],
            "headline": [
                {"repeat": k, **{s.label: t for s, t in row.items()}}
                for k, row in self.headline.items()
            ],
            "fits": {s.label: fit.as_dict(size) for s, fit in self.fits.items()},
            "residuals": [
                {
                    "name": r.case.name,
                    "measured_ns": r.measured_ns,
                    "model_ns": r.model_ns,
                    "rel_error": r.rel_error,
                }
                for r in self.residuals
            ],  # fmt: skip
            "break_even": [b.to_json() for b in self.break_even],
            "ladder": [
                {
                    "rung": r.name,
                    "transport": r.series.transport,
                    "noop_s": r.noop_s,
                    "search_s": r.search_s,
                    "equivalents": r.equivalents,
                }
                for r in self.ladder
            ],  # fmt: skip
            "bytes_dict": {
                n: {s.label: t for s, t in row.items()} for n, row in self.bytes_dict.items()
            },
            "breakdown": [
                {
                    "label": r.series.label,
                    "repeat": r.repeat,
                    "total_ns": r.total_ns,
                    "parts": r.parts,
                }
                for r in self.breakdown
            ],  # fmt: skip
        }


def series_order(series: Series) -> tuple:
    """Paths in registry order, in-process first; transports unix, tcp, then latency rungs."""
    paths = list(SEARCH_PATHS)
    rank = paths.index(series.path) if series.path in paths else len(paths)
    return (rank, transport_order(series.transport), series.client)


def transport_order(transport: str) -> tuple[int, float]:
    """ "" (in-process), unix, tcp, then the latency rungs by added milliseconds."""
    if transport in ("", *TRANSPORTS):
        return (("", "unix", "tcp").index(transport), 0.0)
    digits = "".join(ch for ch in transport if ch.isdigit() or ch == ".")
    return (3, float(digits or 0))


def analyse(
    profile: Profile, measured: dict[Case, Timing], cpp: dict | None, server_ns: list[dict]
) -> Analysis:
    """What the measurements say: every part of the report that is computed, not measured."""
    seconds = {c: t.median_s for c, t in measured.items()}
    fits = model.fit_all(seconds)
    size = profile.main_size
    columns = sorted(
        {c.series for c in seconds if c.kind == "search" and c.size == size}
        - {c.series for c in seconds if c.transport not in ("", "tcp")},
        key=series_order,
    )
    headline = {
        k: {s: t for s in columns if (t := seconds.get(s.case("search", size, k))) is not None}
        for k in profile.repeats
    }
    return Analysis(
        main_size=size,
        series=columns,
        headline=headline,
        fits=fits,
        residuals=[
            Residual(c, t * 1e9, fits[c.series].predict_ns(c))
            for c, t in seconds.items()
            if c.kind in ("search", "batch") and c.series in fits
        ],
        break_even=break_even(seconds, fits, columns, headline, size),
        ladder=ladder(seconds, fits, size),
        bytes_dict=bytes_dict(seconds),
        breakdown=breakdown(seconds, columns, cpp, server_ns, size),
    )


def break_even(seconds, fits, columns, headline, size) -> list[BreakEvenRow]:
    out = []
    for series in columns:
        if series == PYTHON or series not in fits or PYTHON not in fits:
            continue
        pairs = {
            k: (row[PYTHON], row[series])
            for k, row in headline.items()
            if PYTHON in row and series in row
        }
        row = BreakEvenRow(
            series,
            model.repeat_break_even(fits, series, size),
            model.measured_crossover(pairs),
            model.interpolated_crossover(pairs),
        )
        if any(c.kind == "batch" and c.series == series for c in seconds):
            python_of = lambda c: PYTHON.case(c.kind, size, 1, c.targets)  # noqa: E731
            batch_pairs = {
                c.targets: (seconds[python_of(c)], t)
                for c, t in seconds.items()
                if c.series == series and c.searches == c.targets and c.size == size
                and python_of(c) in seconds
            }  # fmt: skip
            row.batch = model.batch_break_even(fits, series, size)
            row.measured_batch_from = model.measured_crossover(batch_pairs)
        out.append(row)
    return out


def ladder(seconds, fits, size) -> list[Rung]:
    """In-process, then every gRPC transport (and client) a no-op was measured on."""
    rungs = [
        Rung(
            "in-process (pybind11)",
            Series("native-resident"),
            seconds.get(Case("noop", "native")),
            seconds.get(Series("native-resident").case("search", size)),
        )
    ]
    remote = {c.series for c in seconds if c.kind == "noop" and c.transport}
    for noop in sorted(remote, key=lambda s: (transport_order(s.transport), s.client)):
        resident = Series("grpc-resident", noop.transport, noop.client)
        name = f"gRPC {noop.transport}" + (f", {noop.client} client" if noop.client else "")
        rungs.append(
            Rung(
                name,
                resident,
                seconds.get(noop.case("noop")),
                seconds.get(resident.case("search", size)),
            )
        )
    for rung in rungs:
        if rung.noop_s is not None:
            rung.equivalents = model.hop_equivalents(rung.noop_s * 1e9, fits, size)
    return rungs


def bytes_dict(seconds) -> dict[int, dict[Series, float]]:
    out: dict[int, dict[Series, float]] = {}
    for c, t in sorted(seconds.items(), key=lambda item: series_order(item[0].series)):
        if c.kind == "bytes-dict":
            out.setdefault(c.size, {})[c.series] = t
    return dict(sorted(out.items()))


def breakdown(seconds, columns, cpp, server_ns, size) -> list[BreakdownRow]:
    """Where one call's time goes, per series, at repeat 1 and up to 1000 (measured pieces only).

    crossing: a no-op call on the same path (the binding, or an RPC); core: the C++ floor for
    the searches (Google Benchmark) or, remote, the server's own server_ns; conversion: the rest
    (arguments, copies, serialization, results)."""
    floor = (cpp or {}).get(f"BM_SearchRepeat/{size}/1000", {}).get("real_ns")  # wall time
    server = {(r["path"], r["repeat"]): r["server_ns"] for r in server_ns}
    repeats = {c.repeat for c in seconds if c.kind == "search" and c.size == size}
    second = max((k for k in repeats if 1 < k <= 1000), default=None)
    out = []
    for repeat in (1, second) if second else (1,):
        for series in columns:
            total = seconds.get(series.case("search", size, repeat))
            if total is not None:
                parts = _parts(series, total * 1e9, repeat, seconds, floor, server)
                out.append(BreakdownRow(series, repeat, total * 1e9, parts))
    return out


def _parts(series, total_ns, repeat, seconds, floor, server) -> dict[str, float]:
    engine = SEARCH_PATHS[series.path].engine
    if engine == "python":
        return {"interpreter (the search in Python)": total_ns}
    if engine == "grpc":
        noop = Case("noop", "grpc", transport=series.transport or "tcp", client=series.client)
        crossing = seconds.get(noop, 0.0) * 1e9
        core = server.get((series.path, repeat), 0.0) if not series.client else 0.0
        names = ("crossing (no-op RPC)", "core (server_ns)")
        rest = "conversion (engine wrapper, serialize, validate, results)"
    else:
        crossing = seconds.get(Case("noop", engine), 0.0) * 1e9
        core = (floor or 0.0) * repeat
        names = ("crossing (no-op call)", "core (C++ floor)")
        rest = "conversion (engine wrapper, args, copy, results)"
    return {names[0]: crossing, names[1]: core, rest: max(0.0, total_ns - crossing - core)}


# ---- the whole run -------------------------------------------------------------------------


@dataclass
class Report:
    """Everything one report run measured and what the analysis makes of it."""

    profile: Profile
    manifest: dict
    measured: dict[Case, Timing]
    analysis: Analysis
    cpp_floor: dict | None = None
    cpp_floor_O0: dict | None = None  # noqa: N815 (the JSON key)
    coldstart: dict = field(default_factory=dict)  # path -> phase -> ns
    memory: dict = field(default_factory=dict)
    server_ns: list[dict] = field(default_factory=list)
    flamegraphs: list[str] = field(default_factory=list)
    load_sweep: dict | None = None
    http_encodings: list[dict] = field(default_factory=list)  # peaje.bench.http_encodings
    bindings: dict | None = None  # peaje.bench.bindings: the "Which binding?" rows and goals
    rpc_decomposition: list[dict] = field(default_factory=list)  # peaje.bench.rpc_latency rows
    notes: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    talk: TalkRun | None = None  # the seed talk's own run (peaje.talk.suite), same as make talk

    MEASURED_KEYS = ("cpp_floor", "cpp_floor_O0", "coldstart", "memory", "server_ns",
                     "flamegraphs", "load_sweep", "http_encodings", "bindings",
                     "rpc_decomposition",
                     "notes")  # fmt: skip

    @property
    def size(self) -> int:
        return self.analysis.main_size

    def to_json(self) -> dict:
        return {
            "schema": "peaje.report/1",
            "profile": self.profile.name,
            "manifest": self.manifest,
            "cases": timings_to_json(self.measured),
            **{key: getattr(self, key) for key in self.MEASURED_KEYS},
            **self.analysis.to_json(),
            "plots": self.plots,
            "talk": self.talk.as_dict() if self.talk else None,
        }

    @classmethod
    def from_json(cls, doc: dict) -> Report:
        """A run read back from its results.json, analysed again (nothing is measured)."""
        profile = PROFILES[doc["profile"]]
        measured = timings_from_json(doc["cases"])
        analysis = analyse(profile, measured, doc.get("cpp_floor"), doc.get("server_ns", []))
        measurements = {key: doc[key] for key in cls.MEASURED_KEYS if doc.get(key) is not None}
        talk = TalkRun.from_dict(doc["talk"]) if doc.get("talk") else None
        return cls(profile, doc["manifest"], measured, analysis, **measurements, talk=talk)
