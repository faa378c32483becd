"""Small charts drawn on the server as SVG (no script): the geometry here, the markup in
``templates/includes/bar_chart.html``. Every chart goes with a data table of its numbers on the
page (the SVG has ``role="img"``, a title and a description; the table is what a screen reader
and a keyboard user read)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SERIES_CLASSES = ("chart-series-0", "chart-series-1", "chart-series-2")


def nice_ceiling(value: float, ticks: int = 4) -> tuple[int, int]:
    """An axis maximum at or above ``value`` that splits into ``ticks`` round steps (1, 2, 2.5
    or 5 times a power of ten, whole numbers): ``(maximum, step)``."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and step == int(step):
            break
    step = max(1, int(math.ceil(step)))
    return step * ticks, step


@dataclass
class BarChart:
    """A grouped bar chart: one group per label, one bar per series in each group. Values of
    ``None`` (no data for that series there) draw no bar."""

    labels: list[str]
    series: list[tuple[str, list[int | None]]]
    width: int = 640
    height: int = 240
    left: int = 40  # room for the axis numbers
    bottom: int = 28  # room for the labels
    top: int = 10
    bars: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)
    label_marks: list[dict] = field(init=False, default_factory=list)
    legend: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        values = [v for _name, vs in self.series for v in vs if v is not None]
        maximum, step = nice_ceiling(max(values, default=0))
        plot_h = self.height - self.top - self.bottom
        plot_w = self.width - self.left - 8
        self.baseline = self.top + plot_h
        groups = max(1, len(self.labels))
        group_w = plot_w / groups
        bar_w = group_w * 0.8 / max(1, len(self.series))
        for tick in range(0, maximum + 1, step):
            y = self.baseline - plot_h * tick / maximum
            self.ticks.append({"y": round(y, 1), "text_y": round(y + 4, 1), "value": tick})
        for i, label in enumerate(self.labels):
            x0 = self.left + group_w * i + group_w * 0.1
            self.label_marks.append({"x": round(self.left + group_w * (i + 0.5), 1), "text": label})
            for j, (_name, vs) in enumerate(self.series):
                value = vs[i] if i < len(vs) else None
                if value is None:
                    continue
                h = plot_h * value / maximum
                self.bars.append(
                    {
                        "x": round(x0 + bar_w * j, 1),
                        "y": round(self.baseline - h, 1),
                        "width": round(bar_w, 1),
                        "height": round(h, 1),
                        "css": SERIES_CLASSES[j % len(SERIES_CLASSES)],
                        "value": value,
                    }
                )
        self.legend = [
            {"name": name, "css": SERIES_CLASSES[j % len(SERIES_CLASSES)]}
            for j, (name, _vs) in enumerate(self.series)
        ]
        self.label_y = self.height - 8
        self.axis_x = self.left
        self.right = self.width - 8
