"""The report's text: each section a function of the typed ``Report`` (bench/analysis.py), listed
once in ``SECTIONS``; rendered as Markdown, as self-contained HTML (no CDN, relative images) and,
for the terminal, the headline table."""

from __future__ import annotations

import html as html_lib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from peaje.bench.analysis import Report, Timing, series_order
from peaje.bench.paths import PYTHON, Series
from peaje.runs import markdown_table, text_table

# Both tolerances are checked by tests/report on the tiny profile.
MODEL_TOLERANCE = 0.5  # median |model - measured| / measured over a path's points


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)  # str | Table | Image

    def text(self, s: str) -> Section:
        self.blocks.append(s)
        return self

    def table(self, header: list[str], rows: list[list[str]]) -> Section:
        self.blocks.append(Table(header, rows))
        return self

    def image(self, name: str, alt: str) -> Section:
        self.blocks.append(Image(name, alt))
        return self


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Image:
    name: str
    alt: str


def ns(seconds_or_none, *, scale: float = 1e9) -> str:
    if seconds_or_none is None or (
        isinstance(seconds_or_none, float) and math.isnan(seconds_or_none)
    ):
        return "—"
    value = seconds_or_none * scale
    for unit, step in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if value >= step:
            return f"{value / step:.3g} {unit}"
    return f"{value:.3g} ns"


def ratio(python_s, path_s) -> str:
    if not python_s or not path_s:
        return "—"
    r = python_s / path_s
    return f"{r:.3g}x faster" if r >= 1 else f"{1 / r:.3g}x slower"


def count(value) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.2g}" if value < 10 else f"{value:,.0f}"


def mib(value) -> str:
    return f"{value / 2**20:.1f} MiB" if value else "—"


def repeat_text(value) -> str:
    if value is None:
        return "never"
    if value <= 1:
        return "1 (from the first call)"
    return f"{value:,.0f}"


# ---- sections: each a function of the Report, listed once in SECTIONS (below) ----------------


def headline_table(r: Report) -> tuple[list[str], list[list[str]]]:
    columns = r.analysis.series
    header = ["repeat", *(s.label for s in columns)]
    rows = []
    for repeat, row in r.analysis.headline.items():
        python = row.get(PYTHON)
        cells = [f"{repeat:,}", ns(python)]
        for series in columns[1:]:
            t = row.get(series)
            cells.append(f"{ns(t)} ({ratio(python, t)})" if t else "—")
        rows.append(cells)
    return header, rows


def break_even_lines(r: Report) -> list[str]:
    lines = []
    for entry in r.analysis.break_even:
        measured, interp = entry.measured_from_repeat, entry.interpolated_repeat
        text = (
            f"{entry.series.label}: beats python from repeat ≈ {repeat_text(entry.model.value)}"
            " (model); measured: "
            + (f"from repeat {measured:,}" if measured else "not in the measured range")
        )
        if interp:
            text += f", lines cross at ≈ {interp:,.0f}"
        if entry.batch is not None:
            batch = entry.batch.value
            text += (
                "; even a one-target call beats python (model)"
                if batch and batch <= 1
                else "; no batch size makes one call beat python (model)"
                if batch is None
                else f"; one call with ≥ {batch:,.0f} targets beats python searching them "
                "in-process (model)"
            )
            if entry.measured_batch_from:
                text += f", measured from {entry.measured_batch_from:,} targets"
        lines.append(text)
    return lines


def headline_section(r: Report, s: Section) -> None:
    m, size = r.manifest, r.size
    s.text(
        f"Search one target in `range:{size}` (the talk's SEARCH_LIST and target "
        f"{size * 2 // 3}), the batch run `repeat` times inside one call. Median time per "
        "call from pyperf worker processes; the ratio is against python in the same row. "
        f"Profile `{r.profile.name}`; machine: {m['cpu']}, {m['cores']} cores, load "
        f"{m['load_average_at_start'][0]} at start (see the noise note below)."
    )
    s.table(*headline_table(r))
    s.image("time_vs_repeat", "log-log time per call vs repeat, crossovers marked")


def break_even_section(r: Report, s: Section) -> None:
    s.text(
        "Model: from the cost model's fitted constants. Measured: the smallest measured repeat "
        "from which the path wins at every larger measured repeat; the lines cross where the "
        "log-log interpolation of the measured rows meets python's."
    )
    for line in break_even_lines(r):
        s.text(f"- {line}")


def ladder_section(r: Report, s: Section) -> None:
    s.text(
        "One call on each rung: a no-op (the pure crossing) and one resident search. The "
        "calculator: how many in-process searches one no-op hop is worth, so a batch sent "
        "over that rung should carry at least that much work to pay for the hop. Latency "
        "rungs go through Toxiproxy (whole milliseconds added to the round trip; the 0.5 ms "
        "profile is not expressible in Toxiproxy's latency toxic, so the rungs are 1 and 2 "
        "ms). Each rung is a pyperf benchmark of its own (mean per call over calibrated "
        "loops, tail included), measured one after another; for TCP against the Unix socket "
        "prefer `python -m peaje.bench.rpc_latency`, which interleaves them and reports p50/p90."
    )
    keys = ("python searches", "native-resident calls", "native searches in one call")
    rows = [
        [rung.name, ns(rung.noop_s), ns(rung.search_s)]
        + [count(rung.equivalents.get(k)) for k in keys]
        for rung in r.analysis.ladder
    ]
    header = ["rung", "no-op call", "search (resident, repeat 1)", "= python searches"]
    header += ["= native-resident calls", "= native searches inside one call"]
    s.table(header, rows)
    s.image("ladder", "transport ladder")


def cost_model_section(r: Report, s: Section) -> None:
    s.text(
        "Per path, `t = fixed + per_element × n_copied + per_search × searches`, where "
        "n_copied counts the elements converted per call (the list for copy paths, plus the "
        "targets) and per_search scales with the tree depth ceil(log2(n+1)) so several sizes "
        f"share one fit (shown at n = {r.size:,}). Weighted least squares (numpy, weights 1/t). "
        f"Tolerance: the median relative error of each path's fit within "
        f"{MODEL_TOLERANCE:.0%}; the worst point is shown too."
    )
    rows = []
    for series, fit in r.analysis.fits.items():
        errors = r.analysis.errors_of(series)
        median = errors[len(errors) // 2] if errors else float("nan")
        rows.append(
            [series.label, ns(fit.fixed_ns, scale=1), f"{fit.per_element_ns:.3g} ns",
             f"{fit.per_search_ns(r.size):.3g} ns", str(fit.points), f"{median:.0%}",
             f"{fit.max_rel_error:.0%}"]
        )  # fmt: skip
    header = ["path", "fixed", "per element", "per search", "points", "median error"]
    s.table([*header, "worst error"], rows)
    s.image("model_fit", "cost model against the measurements it was fitted to")


def talk_section(r: Report, s: Section) -> None:
    """The seed talk row by row: the same run and table as `make talk` (peaje.talk)."""
    if r.talk is None:
        s.text("The talk's run did not complete in this report: see the notes and raw/talk/.")
    else:
        from peaje.talk import section

        section.fill(s, r.talk)
    s.text(o0_sentence(r))


def compare_to_section(r: Report, s: Section) -> None:
    s.text(
        "pyperf `compare_to`-style: every measured case against python with the same size, "
        "repeat and targets (mean ± standard deviation over pyperf's values)."
    )
    by_key: dict[tuple, dict[Series, Timing]] = {}
    for c, t in r.measured.items():
        if c.kind in ("search", "batch"):
            by_key.setdefault((c.size, c.repeat, c.targets), {})[c.series] = t
    rows = []
    for (n, repeat, targets), cells in sorted(by_key.items()):
        python = cells.get(PYTHON)
        for series, t in sorted(cells.items(), key=lambda item: series_order(item[0])):
            if series == PYTHON:
                continue
            rows.append(
                [f"n={n:,} repeat={repeat:,} targets={targets:,}", series.label,
                 f"{ns(t.mean_s)} ± {ns(t.stdev_s)}",
                 f"{ns(python.mean_s)} ± {ns(python.stdev_s)}" if python else "—",
                 ratio(python.mean_s, t.mean_s) if python else "—"]
            )  # fmt: skip
    s.table(["case", "path", "path (mean ± sd)", "python (mean ± sd)", "vs python"], rows)


def bytes_dict_section(r: Report, s: Section) -> None:
    s.text(
        "The talk's BytesDict: a mapping of mixed str and bytes keys and values to "
        "dict[bytes, bytes], per engine (gRPC over TCP)."
    )
    table = r.analysis.bytes_dict
    columns = sorted({series for row in table.values() for series in row}, key=series_order)
    rows = []
    for n, row in table.items():
        python = row.get(PYTHON)
        cells = [
            ns(row.get(c)) if c == PYTHON else f"{ns(row.get(c))} ({ratio(python, row.get(c))})"
            for c in columns
        ]
        rows.append([f"{n:,}", *cells])
    s.table(["entries", *(c.label for c in columns)], rows)


def floor_section(r: Report, s: Section) -> None:
    cpp = r.cpp_floor
    if not cpp:
        s.text("Not measured: the Google Benchmark binary was not built.")
        return
    s.text(
        "CPU time per item (one search, one element copied, one entry encoded) with no "
        "Python and no network: the floor every row above is compared with. Wall time "
        "is shown too; on a loaded machine it runs well above CPU time."
    )
    s.table(
        ["benchmark", "CPU per item", "wall per item"],
        [[name, ns(v["cpu_ns"], scale=1), ns(v["real_ns"], scale=1)] for name, v in cpp.items()],
    )
    floor = cpp.get(f"BM_SearchRepeat/{r.size}/1000", {}).get("cpu_ns")
    python = r.analysis.fits.get(PYTHON)
    py = python.per_search_ns(r.size) if python else None
    if floor and py:
        s.text(
            f"One search in the core costs {floor:.3g} ns at n = {r.size:,}; python's fitted "
            f"per-search cost is {py:.3g} ns: the interpreter's toll is {py / floor:,.0f}x."
        )


def breakdown_section(r: Report, s: Section) -> None:
    s.text(
        "Each call split into measured pieces: the crossing (a no-op call on the same path: "
        "pybind11, or an RPC over TCP), the core (the Google Benchmark floor for the "
        "searches, in wall time as the rows are measured, or the server's own `server_ns`), "
        "and the rest: the engine wrapper, argument conversion, copies, serialization, result "
        "lists."
    )
    s.image("breakdown", "stacked time breakdown per path")
    rows = [
        [row.series.label, f"{row.repeat:,}", ns(row.total_ns, scale=1)]
        + [f"{part}: {ns(v, scale=1)}" for part, v in row.parts.items()]
        for row in r.analysis.breakdown
    ]
    width = max((len(row) for row in rows), default=3)
    s.table(
        ["path", "repeat", "total"] + [f"part {i}" for i in range(1, width - 2)],
        [row + [""] * (width - len(row)) for row in rows],
    )


def coldstart_section(r: Report, s: Section) -> None:
    s.text(
        "A fresh interpreter per run (median of runs): importing the engine's modules and "
        "creating it (for grpc: its channel), setting up (building the list or buffer, or the "
        "SortedArray), the "
        "first call (for grpc: connecting, and for resident data the server building a "
        "dataset it has never seen) and a warm call."
    )
    rows = [
        [path, ns(p["import"], scale=1), ns(p["setup"], scale=1), ns(p["first_call"], scale=1),
         ns(p["warm_call"], scale=1),
         f"{p['first_call'] / p['warm_call']:.3g}x" if p["warm_call"] else "—"]
        for path, p in r.coldstart.items()
    ]  # fmt: skip
    s.table(["path", "import", "setup", "first call", "warm call", "first / warm"], rows)


def memory_section(r: Report, s: Section) -> None:
    mem = r.memory
    s.text(
        f"Bytes per element for {mem['size']:,} int64 values in each home, and the peak "
        "RSS (VmHWM) of a fresh process running each path's workload at the main size."
    )
    s.table(
        ["home", "bytes per element"],
        [[k, f"{v:.3g}"] for k, v in mem["bytes_per_element"].items()],
    )
    rows = [
        ["baseline (imports only)" if path == "none" else path, mib(v)]
        for path, v in mem["peak_rss_bytes"].items()
    ]
    if mem.get("server_peak_rss_bytes"):
        rows.append(["peaje-server (whole run)", mib(mem["server_peak_rss_bytes"])])
    s.table(["process", "peak RSS"], rows)


def concurrency_section(r: Report, s: Section) -> None:
    sweep = r.load_sweep
    if not sweep:
        s.text(
            "No load results under results/ yet: run the load sweep (`make load-sweep`) and "
            "the next report folds it in."
        )
        return
    s.text(
        f"From the load issue's sweep ({sweep['source']}): requests/s and latency as "
        "concurrent users grow, per path."
    )
    s.image("concurrency", "concurrency sweep")
    if sweep.get("workload"):
        s.text(
            f"Workload: {sweep['workload']}, {sweep.get('duration_s', '?')} s per point "
            f"on {sweep.get('cores', '?')} cores."
        )
    saturation = sweep.get("saturation") or {}
    if saturation:
        s.table(
            ["path", "peak req/s", "at users", "saturates at users", "limited by"],
            [
                [path, f"{v.get('peak_rps', 0):.0f}", str(v.get("peak_users", "—")),
                 str(v.get("saturates_at_users", "—")), str(v.get("limited_by", "—"))]
                for path, v in saturation.items()
            ],
        )  # fmt: skip
    s.table(
        ["path", "users", "req/s", "p50", "p95", "errors"],
        [
            [p["path"], str(p["users"]), f"{p['rps']:.0f}", ns(p.get("p50_us"), scale=1e3),
             ns(p.get("p95_us"), scale=1e3), str(p["errors"])]
            for p in sweep["points"]
        ],
    )  # fmt: skip
    grpc = [p for p in sweep["points"] if p["path"] == "http-grpc" and p.get("engine_p50_us")]
    if grpc:
        s.text(
            f"http-grpc on the API's `{sweep.get('grpc_client', '?')}` client: medians of what "
            "each answer reports. engine − server is the crossing as the API sees it; queue, "
            "the answer's wait for the event loop once in the API (known on the cpp client "
            "only; on grpc.aio it stays inside engine)."
        )
        s.table(
            ["users", "app", "engine", "server", "engine − server", "queue"],
            [
                [str(p["users"]), *(ns(p.get(f"{k}_p50_us"), scale=1e3)
                                    for k in ("app", "engine", "server")),
                 ns(p["engine_p50_us"] - (p.get("server_p50_us") or 0), scale=1e3),
                 ns(p.get("queue_p50_us"), scale=1e3)]
                for p in grpc
            ],
        )  # fmt: skip


def http_bodies_section(r: Report, s: Section) -> None:
    rows = r.http_encodings
    if not rows:
        s.text("Not measured in this run (see the notes).")
        return
    s.text(
        "The same resident search on the native engine through the HTTP front, one request at "
        "a time, with a JSON body and with the gRPC service's own peaje.v1 protobuf message "
        "(`application/x-protobuf`, request and response). `app` is the time in the API "
        "process (read, parse, validate, engine, serialise: Server-Timing), `engine` the engine "
        "call within it; medians (peaje.bench.http_encodings)."
    )
    table = []
    for row in rows:
        j, p = row["json"], row["protobuf"]
        table.append([
            f"{row['targets']:,}", f"{j['body_bytes']:,} / {p['body_bytes']:,}",
            f"{j['app_ms']:.3f}", f"{p['app_ms']:.3f}", f"{j['engine_ms']:.3f}",
            f"{j['app_ms'] / p['app_ms']:.2f}x",
            f"{(j['app_ms'] - j['engine_ms']) / max(p['app_ms'] - p['engine_ms'], 1e-9):.2f}x",
        ])  # fmt: skip
    s.table(
        ["targets", "body bytes (JSON / protobuf)", "app ms, JSON", "app ms, protobuf",
         "engine ms", "JSON / protobuf (app)", "JSON / protobuf (app - engine)"],
        table,
    )  # fmt: skip


def which_binding_section(r: Report, s: Section) -> None:
    from peaje.bench import bindings

    result = r.bindings
    if not result:
        s.text("Not measured this run: `python -m peaje.bench.bindings` measures it alone.")
        return
    s.text(
        "The same core through the same binding-neutral crossing (bindings/crossing) and engine "
        "face (bindings/face), behind three binding libraries: what differs is what the library "
        f"itself costs. Best of {result['rounds']} interleaved rounds of `timeit` on the call "
        "expression (peaje.bench.bindings); the fastest per row in bold; the ratios put "
        "nanobind / Cython against pybind11, ours beside the issue's published anchors."
    )
    s.table(*bindings.table_rows(result))
    s.text("Goals, from this run: " + "; ".join(bindings.goal_lines(result)) + ".")
    s.text(bindings.difference_text(result))


def flamegraphs_section(r: Report, s: Section) -> None:
    if not r.flamegraphs:
        s.text(
            "None this run: `make flamegraph FLAME=native-copy` (or `peaje report "
            "--flamegraph PATH`) records one with `py-spy record --native`."
        )
        return
    s.text(
        "`py-spy record --native` over a steady loop of each path, as the talk made "
        "them. Native frames of the release extension show as addresses in "
        "`_native…so` (pybind11_add_module strips release builds)."
    )
    for name in r.flamegraphs:
        s.text(f"- [{name}]({name})")


def manifest_section(r: Report, s: Section) -> None:
    m = r.manifest
    start, end = m["load_average_at_start"], m.get("load_average_at_end") or ["?"]
    s.text(
        f"Noise: load average {start[0]} at the start and {end[0]} at the end on "
        f"{m['cores']} cores. Ratios come from one run on one machine; on a shared or loaded VM "
        "take them as ±20-30% (pyperf's standard deviations are in the compare_to table) and "
        "the order of magnitude as the finding."
    )
    for note in r.notes:
        s.text(f"- {note}")
    s.table(["key", "value"], [[k, str(v)] for k, v in m.items()])


def raw_data_section(r: Report, s: Section) -> None:
    s.text(
        "- [results.json](results.json): every number in this report\n"
        "- [raw/pyperf.json](raw/pyperf.json): the pyperf suite, its log in raw/pyperf.log "
        "(`python -m pyperf show` / `compare_to` read it)\n"
        "- [raw/core_bench.json](raw/core_bench.json): Google Benchmark output\n"
        "- [manifest.json](manifest.json): the run manifest\n"
        "- plots/: every figure as SVG and PNG"
    )


def o0_sentence(r: Report) -> str:
    """What -O0 costs the core, measured (Google Benchmark built both ways), when available."""
    o3, o0 = r.cpp_floor or {}, r.cpp_floor_O0 or {}
    pairs = [
        (f"BM_SearchRepeat/{r.size}/1000", "one search"),
        (f"BM_CopyAndValidate/{r.size}", "one element copied and checked"),
    ]
    measured = [
        (what, o0[k]["cpu_ns"], o3[k]["cpu_ns"]) for k, what in pairs if k in o0 and k in o3
    ]
    head = (
        "- peaje's own core at -O0: the talk built its extension with -O0, peaje's engines "
        "are -O3 (Release, see the manifest)."
    )
    if not measured:
        return head + " (The -O0 core benchmark was not built, so this is not measured here.)"
    parts = "; ".join(
        f"{what}: {slow:.3g} ns at -O0 vs {fast:.3g} ns at -O3 ({slow / fast:.3g}x)"
        for what, slow, fast in measured
    )
    return head + f" Measured on the core alone (CPU time, n = {r.size:,}): {parts}."


def remote_toll_section(r: Report, s: Section) -> None:
    rows = r.rpc_decomposition
    if not rows:
        s.text("Not measured (see the notes): `python -m peaje.bench.rpc_latency` measures it.")
        return
    s.text(
        "Where a remote call's time goes, per client of peaje-server, from one interleaved run "
        "(`python -m peaje.bench.rpc_latency`): the wire floor is a raw 16-byte ping-pong "
        "between two Python processes; gRPC + server is our C++ client on the generated stubs "
        "minus that floor; the client's own share is each client minus the C++ client. "
        "`python cpp` is the grpc engine's `client='cpp'` (libgrpc++ in an extension, the GIL "
        "released); a negative share means that client beat the C++ binary in this run's noise."
    )
    s.image("remote_toll", "stacked bar per client: wire floor, gRPC + server, client share")
    from peaje.bench.rpc_latency import goal_ratio  # the same ratio the benchmark prints

    goal = goal_ratio(rows)
    if goal:
        best, floor = goal
        s.text(
            f"Fastest Python client on a TCP no-op: {best['client']}, {best['p50_us']:.1f} µs "
            f"p50 = {best['p50_us'] / floor['p50_us']:.2f}x the wire floor ({floor['p50_us']:.1f} "
            "µs)."
        )
    s.table(
        ["transport", "operation", "client", "p50", "p90", "p99", "x floor", "floor",
         "gRPC + server", "client share"],
        [
            [x["transport"], x["operation"], x["client"]]
            + [f"{x[k]:.1f} µs" for k in ("p50_us", "p90_us", "p99_us")]
            + [f"{x['x_floor']:.2f}"]
            + [f"{x[k]:.1f} µs" if k in x else "" for k in
               ("floor_us", "grpc_server_us", "client_us")]
            for x in rows
        ],
    )  # fmt: skip


# The report, in reading order: title -> the function that fills that section. A new section is
# one function above and one line here.
SECTIONS: dict[str, Callable[[Report, Section], None]] = {
    "Headline: the toll per call": headline_section,
    "Break-even points": break_even_section,
    "Transport ladder and batching calculator": ladder_section,
    "Cost model": cost_model_section,
    "The talk's table, reproduced": talk_section,
    "compare_to: every case against python": compare_to_section,
    "Bytes dict": bytes_dict_section,
    "The floor: the core alone (Google Benchmark)": floor_section,
    "Where the time goes": breakdown_section,
    "The remote toll, decomposed to its floor": remote_toll_section,
    "Cold and warm": coldstart_section,
    "Memory": memory_section,
    "Concurrency sweep": concurrency_section,
    "HTTP bodies: JSON against protobuf": http_bodies_section,
    "Which binding?": which_binding_section,
    "Flamegraphs": flamegraphs_section,
    "Run manifest and noise": manifest_section,
    "Raw data": raw_data_section,
}


def build(r: Report) -> list[Section]:
    sections = []
    for title, fill in SECTIONS.items():
        section = Section(title)
        fill(r, section)
        sections.append(section)
    return sections


# ---- renderers --------------------------------------------------------------------------------


def markdown(r: Report) -> str:
    lines = [
        f"# The toll report ({r.profile.name} profile, {r.manifest['timestamp_utc']})",
        "",
    ]
    for section in build(r):
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines.append(markdown_table(block.header, block.rows))
            elif isinstance(block, Image):
                lines.append(f"![{block.alt}](plots/{block.name}.png)")
            else:
                lines.append(block)
            lines.append("")
    return "\n".join(lines)


CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0;font-size:12.5px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}
img{max-width:100%;border:1px solid #eee}code{background:#f4f4f4;padding:0 3px}
nav a{margin-right:.8em;font-size:12px}"""


def _inline(text: str) -> str:
    """Escape, then the little Markdown the sections use: `code`, **bold**, [a](b)."""
    import re

    out = html_lib.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', out)


def html(r: Report) -> str:
    sections = build(r)
    title = f"The toll report ({r.profile.name} profile)"
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{html_lib.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html_lib.escape(title)}</h1>",
        f"<p>{html_lib.escape(r.manifest['timestamp_utc'])}</p><nav>",
    ]
    parts += [f'<a href="#s{i}">{html_lib.escape(s.title)}</a>' for i, s in enumerate(sections)]
    parts.append("</nav>")
    for i, section in enumerate(sections):
        parts.append(f'<h2 id="s{i}">{html_lib.escape(section.title)}</h2>')
        bullets = []
        for block in section.blocks:
            if isinstance(block, str) and block.startswith("- "):
                bullets += [b.removeprefix("- ") for b in block.split("\n")]
                continue
            if bullets:
                parts.append("<ul>" + "".join(f"<li>{_inline(b)}</li>" for b in bullets) + "</ul>")
                bullets = []
            if isinstance(block, Table):
                head = "".join(f"<th>{html_lib.escape(h)}</th>" for h in block.header)
                body = "".join(
                    "<tr>" + "".join(f"<td>{html_lib.escape(c)}</td>" for c in row) + "</tr>"
                    for row in block.rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif isinstance(block, Image):
                parts.append(
                    f'<p><img src="plots/{block.name}.svg" alt="{html_lib.escape(block.alt)}"></p>'
                )
            else:
                parts.append(f"<p>{_inline(block)}</p>")
        if bullets:
            parts.append("<ul>" + "".join(f"<li>{_inline(b)}</li>" for b in bullets) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def headline_text(r: Report) -> str:
    header, rows = headline_table(r)
    size = r.size
    out = [
        f"The toll: search [{size * 2 // 3}] in range:{size}, batch run `repeat` times per call "
        "(median per call; ratio vs python)",
        "",
        text_table(header, rows),
    ]
    out += ["", "Break-even points:"] + [f"  {b}" for b in break_even_lines(r)]
    if r.analysis.ladder:
        out += ["", "One hop costs as much as:"]
        for rung in r.analysis.ladder:
            eq = rung.equivalents.get("python searches")
            if eq:
                out.append(
                    f"  {rung.name:<24} no-op {ns(rung.noop_s):>9} = {count(eq)} python searches"
                )
    if r.bindings:
        from peaje.bench import bindings

        out += ["", "Which binding?", text_table(*bindings.table_rows(r.bindings))]
        out += [f"  {line}" for line in bindings.goal_lines(r.bindings)]
    return "\n".join(out)
