"""The report's figures (matplotlib, Agg backend), each a function of the typed Report, listed once
in FIGURES and saved as SVG and PNG under plots/."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from peaje.bench.analysis import Report  # noqa: E402
from peaje.bench.paths import PYTHON  # noqa: E402

PART_COLOURS = {
    "interpreter": "#8c8c8c",
    "crossing": "#d62728",
    "core": "#2ca02c",
    "conversion": "#1f77b4",
}


def _save(fig, outdir: Path, name: str) -> str:
    outdir.mkdir(parents=True, exist_ok=True)
    fig.savefig(outdir / f"{name}.svg", bbox_inches="tight")
    fig.savefig(outdir / f"{name}.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return name


def time_vs_repeat(r: Report, outdir: Path) -> str:
    """Log-log time per call against repeat, one line per path, crossovers with python marked."""
    fig, ax = plt.subplots(figsize=(8, 5.2))
    headline = r.analysis.headline
    for series in r.analysis.series:
        points = [(k, row[series]) for k, row in headline.items() if row.get(series)]
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        style = {"linewidth": 2.6, "color": "black"} if series == PYTHON else {"linewidth": 1.6}
        (line,) = ax.plot(
            xs, [y * 1e9 for y in ys], marker="o", markersize=4, label=series.label, **style
        )
        fit = r.analysis.fits.get(series)
        if fit is not None:  # the fitted model, dashed, over the same range
            top = int(8 * math.log10(max(xs))) + 1
            grid = sorted({round(10 ** (i / 8)) for i in range(top)} | {max(xs)})
            ax.plot(
                grid,
                [fit.predict_ns(series.case("search", r.size, int(k))) for k in grid],
                linestyle="--",
                linewidth=0.8,
                color=line.get_color(),
                alpha=0.7,
            )
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    python = [(k, row[PYTHON]) for k, row in headline.items() if row.get(PYTHON)]
    crossings = []
    for entry in r.analysis.break_even:
        k = entry.interpolated_repeat
        if not k or not python:
            continue
        t = _loglog_interp(python, k)
        colour = colours.get(entry.series.label, "crimson")
        ax.plot(
            [k],
            [t * 1e9],
            marker="X",
            markersize=12,
            color=colour,
            markeredgecolor="black",
            zorder=5,
        )
        crossings.append(f"{entry.series.label}: repeat ≈ {k:,.0f}")
    if crossings:
        ax.text(
            0.98,
            0.02,
            "crosses python (X)\n" + "\n".join(crossings),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7.5,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9},
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("repeat (searches inside one call)")
    ax.set_ylabel("time per call (ns)")
    ax.set_title(
        f"Time per call vs repeat, {r.size:,} values, 1 target "
        "(dashed: fitted model; X: crossover with python)",
        fontsize=9,
    )
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, outdir, "time_vs_repeat")


def _loglog_interp(points: list[tuple[int, float]], x: float) -> float:
    points = sorted(points)
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= x <= x1:
            f = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + f * (math.log(y1) - math.log(y0)))
    return points[-1][1]


def breakdown(r: Report, outdir: Path) -> str:
    """Stacked share of one call's time per path (crossing, conversion, core), total labelled."""
    rows = r.analysis.breakdown
    repeats = sorted({row.repeat for row in rows})
    per_panel = max(len([row for row in rows if row.repeat == k]) for k in repeats)
    fig, axes = plt.subplots(
        len(repeats), 1, figsize=(9, 1.4 + 0.42 * per_panel * len(repeats)), squeeze=False
    )
    for ax, repeat in zip(axes[:, 0], repeats, strict=True):
        subset = [row for row in rows if row.repeat == repeat]
        for y, row in enumerate(subset):
            left = 0.0
            for part, ns in row.parts.items():
                share = ns / row.total_ns if row.total_ns else 0
                colour = PART_COLOURS[part.split()[0]]
                ax.barh(
                    y,
                    share,
                    left=left,
                    color=colour,
                    edgecolor="white",
                    height=0.7,
                    label=part.split(" (")[0],
                )
                left += share
            ax.text(1.01, y, _ns(row.total_ns), va="center", fontsize=8)
        ax.set_yticks(range(len(subset)), [row.series.label for row in subset], fontsize=8)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_title(f"repeat = {repeat:,}", fontsize=9)
    axes[-1, 0].set_xlabel("share of the call's time (total at the right of each bar)")
    handles, labels = [], []
    for ax in axes[:, 0]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 1.0))
    fig.suptitle("Where one call's time goes", fontsize=10, y=1.04)
    fig.tight_layout()
    return _save(fig, outdir, "breakdown")


def ladder(r: Report, outdir: Path) -> str | None:
    rungs = r.analysis.ladder
    if not rungs:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.8))
    names = [rung.name for rung in rungs]
    ys = range(len(rungs))
    ax.barh(
        [y - 0.2 for y in ys],
        [(rung.noop_s or 0) * 1e9 for rung in rungs],
        height=0.4,
        label="no-op call",
        color="#d62728",
    )
    ax.barh(
        [y + 0.2 for y in ys],
        [(rung.search_s or 0) * 1e9 for rung in rungs],
        height=0.4,
        label="search (resident, repeat 1)",
        color="#1f77b4",
    )
    ax.set_xscale("log")
    ax.set_yticks(list(ys), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time per call (ns, log)")
    ax.set_title("The transport ladder: the same search, crossing further each rung", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, axis="x", which="both", alpha=0.25)
    return _save(fig, outdir, "ladder")


def fit_quality(r: Report, outdir: Path) -> str | None:
    if not r.analysis.residuals:
        return None
    fig, ax = plt.subplots(figsize=(5, 5))
    xs = [res.measured_ns for res in r.analysis.residuals]
    ys = [res.model_ns for res in r.analysis.residuals]
    ax.scatter(xs, ys, s=12)
    low, high = min(xs + ys), max(xs + ys)
    ax.plot([low, high], [low, high], color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured (ns)")
    ax.set_ylabel("cost model (ns)")
    ax.set_title("Cost model vs its own measurements", fontsize=9)
    return _save(fig, outdir, "model_fit")


def concurrency(r: Report, outdir: Path) -> str | None:
    sweep = r.load_sweep
    if not sweep:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for path in sorted({p["path"] for p in sweep["points"]}):
        series = sorted((p for p in sweep["points"] if p["path"] == path), key=lambda p: p["users"])
        users = [p["users"] for p in series]
        (line,) = left.plot(users, [p["rps"] for p in series], marker="o", label=path)
        colour = line.get_color()
        right.plot(
            users,
            [p.get("p50_us") or float("nan") for p in series],
            marker="o",
            color=colour,
            label=f"{path} p50",
        )
        right.plot(
            users,
            [p.get("p95_us") or float("nan") for p in series],
            marker=".",
            linestyle=":",
            color=colour,
            label=f"{path} p95",
        )
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent users")
        ax.grid(True, alpha=0.25)
    left.set_ylabel("requests/s")
    right.set_ylabel("latency (µs)")
    right.set_yscale("log")
    left.legend(fontsize=8)
    right.legend(fontsize=7)
    fig.suptitle(f"Concurrency sweep ({sweep.get('source', 'load results')})", fontsize=9)
    fig.tight_layout()
    return _save(fig, outdir, "concurrency")


def talk(r: Report, outdir: Path) -> str | None:
    """The seed talk's published numbers against our run of its code (peaje.talk.plot)."""
    if r.talk is None:
        return None
    from peaje.talk.plot import talk_vs_ours
    from peaje.talk.section import PLOT

    return talk_vs_ours(r.talk, outdir, PLOT)


def remote_toll(r: Report, outdir: Path) -> str | None:
    """One stacked bar per client of peaje-server over TCP: wire floor / gRPC + server / the
    client's own share of its p50 (peaje.bench.rpc_latency); negative shares drawn as 0."""
    rows = [x for x in r.rpc_decomposition if x["transport"] == "tcp" and "floor_us" in x]
    if not rows:
        return None
    operations = list(dict.fromkeys(x["operation"] for x in rows))
    fig, axes = plt.subplots(1, len(operations), figsize=(11, 3.6), squeeze=False)
    parts = (("floor_us", "wire floor", "#8c8c8c"), ("grpc_server_us", "gRPC + server", "#d62728"),
             ("client_us", "the client's own share", "#1f77b4"))  # fmt: skip
    for ax, op in zip(axes[0], operations, strict=True):
        series = sorted((x for x in rows if x["operation"] == op), key=lambda x: -x["p50_us"])
        labels = [x["client"] for x in series]
        left = [0.0] * len(series)
        for key, label, colour in parts:
            widths = [max(0.0, x[key]) for x in series]
            ax.barh(labels, widths, left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_title(f"{op} (p50, TCP)", fontsize=9)
        ax.set_xlabel("µs per call")
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(True, axis="x", alpha=0.25)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _save(fig, outdir, "remote_toll")


# Every figure, in order; each returns its name, or None when it has nothing to draw.
FIGURES = (time_vs_repeat, breakdown, ladder, fit_quality, talk, concurrency, remote_toll)


def draw_all(r: Report, outdir: Path) -> list[str]:
    return [name for figure in FIGURES if (name := figure(r, outdir)) is not None]


def _ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"
