"""The dashboard's charts drawn on the server: geometry here, markup in
``situation/_chart_*.html`` (SVG with ``role="img"``, a title and a description; the page puts
each chart's numbers in a table right below it). No script, no inline style: shades are classes.

* :class:`HBarChart` — horizontal bars with a comparison series (this period and the previous),
  labels on the left so long area and category names fit;
* :class:`MonthChart` — the month profile: a bar per month and a line of the earlier years'
  mean;
* :func:`heat_classes` — the weekday × hour table's shade classes ``heat-0`` … ``heat-9``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brygga.core.charts import SERIES_CLASSES, nice_ceiling

from .figures import Breakdown, HeatTable, MonthProfile

SHADES = 10


@dataclass
class HBarChart:
    """One group per label, one bar per series in each group, drawn from left to right."""

    labels: list[str]
    series: list[tuple[str, list[float]]]
    width: int = 640
    label_width: int = 200  # room for 26 characters (longer names end in …)
    bar: int = 9  # height of one bar
    gap: int = 8  # between groups
    top: int = 8
    bottom: int = 24  # room for the axis numbers
    bars: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)
    label_marks: list[dict] = field(init=False, default_factory=list)
    legend: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        values = [v for _n, vs in self.series for v in vs if v is not None]
        maximum, step = nice_ceiling(max(values, default=0))
        group_h = self.bar * max(1, len(self.series)) + self.gap
        self.height = self.top + group_h * max(1, len(self.labels)) + self.bottom
        self.axis_x = self.label_width
        self.right = self.width - 12
        plot_w = self.right - self.axis_x
        self.baseline = self.height - self.bottom
        for tick in range(0, maximum + 1, step):
            x = self.axis_x + plot_w * tick / maximum
            self.ticks.append({"x": round(x, 1), "value": tick})
        self.tick_y = self.baseline + 16
        for i, label in enumerate(self.labels):
            y0 = self.top + group_h * i
            text = label if len(label) <= 26 else label[:25] + "…"
            self.label_marks.append(
                {"y": round(y0 + group_h / 2, 1), "text": text, "x": self.axis_x - 6}
            )
            for j, (_n, vs) in enumerate(self.series):
                value = vs[i] if i < len(vs) else None
                if value is None:
                    continue
                self.bars.append(
                    {
                        "x": self.axis_x,
                        "y": round(y0 + self.bar * j, 1),
                        "width": round(plot_w * value / maximum, 1),
                        "height": self.bar - 1,
                        "css": SERIES_CLASSES[j % len(SERIES_CLASSES)],
                    }
                )
        self.legend = [
            {"name": n, "css": SERIES_CLASSES[j % len(SERIES_CLASSES)]}
            for j, (n, _vs) in enumerate(self.series)
        ]


def breakdown_chart(b: Breakdown, now: str, before: str, limit: int = 15) -> HBarChart:
    """The breakdown's largest rows, this period against the previous."""
    rows = b.rows[:limit]
    return HBarChart(
        labels=[r.label for r in rows],
        series=[(now, [r.events for r in rows]), (before, [r.previous for r in rows])],
    )


@dataclass
class MonthChart:
    """Bars of the period's months and a line (with points) of the earlier years' mean."""

    labels: list[str]
    values: list[int]
    mean: list[float | None]
    width: int = 640
    height: int = 220
    left: int = 44
    bottom: int = 28
    top: int = 10
    bars: list[dict] = field(init=False, default_factory=list)
    points: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)
    label_marks: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        top_value = max([*self.values, *(m for m in self.mean if m is not None)], default=0)
        maximum, step = nice_ceiling(top_value)
        plot_h = self.height - self.top - self.bottom
        self.axis_x, self.right = self.left, self.width - 8
        self.baseline = self.top + plot_h
        slot = (self.right - self.axis_x) / max(1, len(self.labels))
        for tick in range(0, maximum + 1, step):
            y = self.baseline - plot_h * tick / maximum
            self.ticks.append({"y": round(y, 1), "text_y": round(y + 4, 1), "value": tick})
        every = max(1, len(self.labels) // 12)
        for i, label in enumerate(self.labels):
            cx = self.axis_x + slot * (i + 0.5)
            h = plot_h * self.values[i] / maximum
            self.bars.append(
                {
                    "x": round(cx - slot * 0.35, 1),
                    "y": round(self.baseline - h, 1),
                    "width": round(slot * 0.7, 1),
                    "height": round(h, 1),
                }
            )
            if i % every == 0:
                self.label_marks.append({"x": round(cx, 1), "text": label})
            if self.mean[i] is not None:
                y = self.baseline - plot_h * self.mean[i] / maximum
                self.points.append({"x": round(cx, 1), "y": round(y, 1)})
        self.line = " ".join(f"{p['x']},{p['y']}" for p in self.points)
        self.label_y = self.height - 8


def month_chart(profile: MonthProfile, labels: list[str]) -> MonthChart:
    return MonthChart(
        labels=labels,
        values=[m.events for m in profile.months],
        mean=[m.earlier_mean for m in profile.months],
    )


def heat_classes(heat: HeatTable) -> list[list[dict]]:
    """Each cell's value and shade class: ``heat-0`` for none, up to ``heat-9`` for the most
    (in ten equal steps of the table's maximum)."""
    top = heat.maximum
    out = []
    for row in heat.cells:
        cells = []
        for v in row:
            shade = 0 if not v or not top else min(SHADES - 1, 1 + (SHADES - 2) * v // top)
            cells.append({"value": v, "css": f"heat-{shade}"})
        out.append(cells)
    return out
