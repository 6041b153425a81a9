"""The review picture: progress over time and the latest Wheel of Life as a wheel.

matplotlib is imported only when a picture is drawn (it is slow to import), with the Agg
backend (no display). The picture carries no goal text, only goal numbers, so unusual
scripts or emoji cannot break the drawing; the alt text names the goals.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WHEEL_AREAS = (("relationships", "Relationships"), ("spirituality", "Spirituality"),
               ("health", "Health"), ("career", "Career"), ("finances", "Finances"),
               ("fun", "Fun"), ("growth", "Growth"), ("environment", "Environment"))


@dataclass(frozen=True, slots=True)
class Series:
    number: int
    points: Sequence[tuple[datetime, int]]


def draw_review(series: Sequence[Series], wheel: dict[str, int] | None) -> bytes:
    """A PNG with one or two panels; `series` and `wheel` must not both be empty."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    panels = (1 if series else 0) + (1 if wheel else 0)
    fig = Figure(figsize=(5.5 * panels, 4.2), dpi=100)
    index = 1
    if series:
        ax = fig.add_subplot(1, panels, index)
        index += 1
        for s in series:
            xs = [t for t, _ in s.points]
            ys = [p for _, p in s.points]
            ax.plot(xs, ys, marker="o", linewidth=2, label=f"Goal {s.number}")
        ax.set_ylim(-0.5, 10.5)
        ax.set_yticks(range(0, 11, 2))
        ax.set_ylabel("Progress (0 to 10)")
        ax.set_title("Progress over time")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
        fig.autofmt_xdate()
    if wheel:
        ax = fig.add_subplot(1, panels, index, projection="polar")
        labels = [label for key, label in WHEEL_AREAS if key in wheel]
        values = [wheel[key] for key, _ in WHEEL_AREAS if key in wheel]
        width = 2 * math.pi / len(values)
        angles = [i * width for i in range(len(values))]
        ax.bar(angles, values, width=width * 0.9, alpha=0.7, edgecolor="black")
        ax.set_xticks(angles)
        ax.set_xticklabels(labels, fontsize="small")
        ax.set_ylim(0, 10)
        ax.set_yticks([2, 4, 6, 8, 10])
        ax.set_title("Wheel of Life")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
