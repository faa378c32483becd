"""Charts of the survey drawn on the server as SVG (the markup in
``templates/surveys/_ci_chart.html`` and ``_trend_chart.html``): an estimate as a dot with its
95 % confidence interval as whiskers. They take published :class:`~.selectors.Cell` objects
only, so a suppressed cell draws no dot (only the words "fewer than 30 responses"). The page
puts the numbers in a table below each chart."""

from __future__ import annotations

from dataclasses import dataclass, field

from brygga.core.charts import nice_ceiling

from .selectors import Cell


def _axis_max(cells: list[Cell], percent: bool) -> tuple[float, float]:
    if not percent:
        return 10.0, 2.0
    highs = [c.high if c.high is not None else c.mean for c in cells if not c.suppressed]
    top = max([h for h in highs if h is not None], default=0.0)
    maximum, step = nice_ceiling(min(100.0, top))
    return float(min(100, maximum)), float(step if maximum <= 100 else 20)


@dataclass
class CIChart:
    """Horizontal dots with whiskers, one row per label (an area, a group)."""

    rows: list[tuple[str, Cell]]
    percent: bool
    reference: float | None = None  # the municipality's estimate, drawn as a dashed line
    width: int = 640
    left: int = 170
    row_h: int = 28
    top: int = 8
    bottom: int = 28
    marks: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        maximum, step = _axis_max([c for _l, c in self.rows], self.percent)
        self.plot_w = self.width - self.left - 16
        self.height = self.top + self.row_h * max(1, len(self.rows)) + self.bottom
        self.baseline = self.height - self.bottom
        self.right = self.left + self.plot_w

        def x(v: float) -> float:
            return round(self.left + self.plot_w * max(0.0, min(v, maximum)) / maximum, 1)

        self.x = x
        tick = 0.0
        while tick <= maximum + 1e-9:
            self.ticks.append({"x": x(tick), "value": f"{tick:g}"})
            tick += step
        self.tick_y = self.baseline + 16
        for i, (label, c) in enumerate(self.rows):
            y = round(self.top + self.row_h * (i + 0.5), 1)
            mark = {
                "label": label[:28],
                "y": y,
                "cap1": round(y - 6, 1),
                "cap2": round(y + 6, 1),
                "text_y": round(y + 4, 1),
                "suppressed": c.suppressed,
                "limit": c.limit,
            }
            if not c.suppressed and c.mean is not None:
                mark["cx"] = x(c.mean)
                if c.low is not None and c.high is not None:
                    mark["x1"], mark["x2"] = x(c.low), x(c.high)
            self.marks.append(mark)
        self.reference_x = x(self.reference) if self.reference is not None else None


@dataclass
class TrendChart:
    """An index of one area over the waves: a dot with whiskers per year, joined by a line."""

    points: list[tuple[int, Cell]]
    percent: bool
    width: int = 320
    height: int = 160
    left: int = 36
    bottom: int = 24
    top: int = 8
    marks: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        maximum, step = _axis_max([c for _y, c in self.points], self.percent)
        plot_h = self.height - self.top - self.bottom
        plot_w = self.width - self.left - 12
        self.baseline = self.top + plot_h
        self.right = self.left + plot_w

        def y(v: float) -> float:
            return round(self.baseline - plot_h * max(0.0, min(v, maximum)) / maximum, 1)

        tick = 0.0
        while tick <= maximum + 1e-9:
            self.ticks.append({"y": y(tick), "text_y": round(y(tick) + 4, 1), "value": f"{tick:g}"})
            tick += step
        count = max(1, len(self.points))
        line = []
        for i, (year, c) in enumerate(self.points):
            cx = round(self.left + plot_w * (i + 0.5) / count, 1)
            mark = {"year": year, "x": cx, "suppressed": c.suppressed}
            if not c.suppressed and c.mean is not None:
                mark["cy"] = y(c.mean)
                if c.low is not None and c.high is not None:
                    mark["y1"], mark["y2"] = y(c.low), y(c.high)
                line.append(f"{cx},{mark['cy']}")
            else:
                mark["cy"] = self.baseline - 6
            self.marks.append(mark)
        self.line = " ".join(line)
        self.label_y = self.height - 6
