"""The indicator chart drawn on the server (markup: ``plans/indicator_chart.html``): a bar per
period and horizontal lines for the baseline and the target, on one scale. Like every chart
of Brygga it has ``role="img"``, a title and a description, and its numbers in a table below."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from brygga.core.charts import SERIES_CLASSES


def _step(maximum: float, ticks: int = 4) -> float:
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


@dataclass
class IndicatorChart:
    labels: list[str]
    values: list[float | None]
    baseline: float | None = None
    target: float | None = None
    width: int = 640
    height: int = 240
    left: int = 48
    bottom: int = 28
    top: int = 10
    bars: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)
    label_marks: list[dict] = field(init=False, default_factory=list)
    lines: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        known = [v for v in (*self.values, self.baseline, self.target) if v is not None]
        step = _step(max(known, default=0))
        maximum = step * max(1, math.ceil(max(known, default=0) / step))
        plot_h = self.height - self.top - self.bottom
        plot_w = self.width - self.left - 8
        self.baseline_y = self.top + plot_h
        self.axis_x = self.left
        self.right = self.width - 8
        self.label_y = self.height - 8

        def y(v: float) -> float:
            return round(self.baseline_y - plot_h * v / maximum, 1)

        n = round(maximum / step)
        for k in range(n + 1):
            t = step * k
            self.ticks.append({"y": y(t), "text_y": round(y(t) + 4, 1), "value": _fmt(t)})
        groups = max(1, len(self.labels))
        group_w = plot_w / groups
        every = max(1, math.ceil(groups / 12))  # at most twelve labels under the axis
        for i, label in enumerate(self.labels):
            if i % every == 0:
                self.label_marks.append(
                    {"x": round(self.left + group_w * (i + 0.5), 1), "text": label}
                )
            v = self.values[i]
            if v is None:
                continue
            self.bars.append(
                {
                    "x": round(self.left + group_w * i + group_w * 0.15, 1),
                    "y": y(v),
                    "width": round(group_w * 0.7, 1),
                    "height": round(self.baseline_y - y(v), 1),
                    "css": SERIES_CLASSES[0],
                }
            )
        for kind, value in (("baseline", self.baseline), ("target", self.target)):
            if value is not None:
                self.lines.append({"kind": kind, "y": y(value), "value": _fmt(value)})
