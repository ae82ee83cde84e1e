"""The talk's numbers against ours: time per benchmark call against loops, one panel per column
(the talk's published points, ours at -O0 and at -O3, our Python as the line to beat)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from peaje.talk.results import TalkRun, talk_points  # noqa: E402

PANELS = (
    ("python", "Python"),
    ("cython", "Cython"),
    ("value", "C++ by value"),
    ("reference", "C++ by reference"),
    ("pointer", "C++ by pointer"),
    ("peaje", "peaje native (resident, buffer)"),
)


def _series(ax, points: dict[int, float], **style) -> None:
    if points:
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], **style)


def _panel(ax, run: TalkRun, kind: str, title: str) -> None:
    python = run.points("python")
    _series(ax, python, color="#8c8c8c", lw=1, ls="-", label="Python (ours)")
    if kind == "peaje":
        _series(ax, run.points("peaje-resident"), color="#2ca02c", marker="o", label="resident")
        _series(ax, run.points("peaje-buffer"), color="#9467bd", marker="s", label="buffer")
        _series(
            ax, talk_points("python"), color="#000000", ls=":", marker="x", label="Python (talk)"
        )
    elif kind == "python":
        _series(ax, talk_points("python"), color="#000000", ls="--", marker="x", label="talk")
    else:
        _series(ax, talk_points(kind), color="#000000", ls="--", marker="x", ms=8, label="talk -O0")
        _series(ax, run.points(f"{kind}-O0"), color="#d62728", marker="o", ms=7, label="ours -O0")
        _series(ax, run.points(f"{kind}-O3"), color="#1f77b4", marker="^", ms=7, label="ours -O3")
    ax.set_title(title, fontsize=10)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(5, 2e5)
    ax.grid(True, which="major", alpha=0.3)
    # by value / by reference are single points at 10 loops, top left: keep the legend clear
    ax.legend(fontsize=7, loc="lower right" if kind in ("value", "reference") else "upper left")


def talk_vs_ours(run: TalkRun, outdir: Path, name: str = "talk_vs_ours") -> str:
    """Save outdir/name.svg and .png; return name."""
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, sharey=True)
    for ax, (kind, title) in zip(axes.flat, PANELS, strict=True):
        _panel(ax, run, kind, title)
    for ax in axes[1]:
        ax.set_xlabel("loops (searches per benchmark call)")
    for ax in axes[:, 0]:
        ax.set_ylabel("seconds per benchmark call")
    fig.suptitle("The talk's table against ours (pyperf medians)", fontsize=11)
    outdir.mkdir(parents=True, exist_ok=True)
    fig.savefig(outdir / f"{name}.svg", bbox_inches="tight")
    fig.savefig(outdir / f"{name}.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return name
