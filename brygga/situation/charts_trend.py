"""Charts of the trend and reference sections, drawn on the server as SVG (markup in
``situation/_trend.html`` and ``situation/_reference.html``; the pages put the numbers in a
table below each chart). The geometry only: colours and strokes are CSS classes of
``static/brygga/situation_trend.css``."""

from __future__ import annotations

from dataclasses import dataclass, field

from brygga.core.charts import nice_ceiling


def _ticks(maximum: float, step: float, pos) -> list[dict]:
    out, tick = [], 0.0
    while tick <= maximum + 1e-9:
        out.append({"pos": pos(tick), "value": f"{tick:g}"})
        tick += step
    return out


@dataclass
class TrendChart:
    """Weekly events (a line with dots) against the expected value (a short line per week) and
    its prediction interval (a band per week); flagged weeks get a larger, marked dot."""

    trend: object  # trends.Trend
    width: int = 720
    height: int = 240
    left: int = 40
    bottom: int = 28
    top: int = 10
    marks: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)
    labels: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        weeks = self.trend.weeks
        top_value = max(
            [w.observed for w in weeks] + [w.upper for w in weeks if w.upper is not None],
            default=0,
        )
        maximum, step = nice_ceiling(top_value)
        plot_h = self.height - self.top - self.bottom
        plot_w = self.width - self.left - 8
        self.baseline = self.top + plot_h
        self.right = self.left + plot_w
        n = max(1, len(weeks))
        slot = plot_w / n

        def y(v: float) -> float:
            return round(self.baseline - plot_h * max(0.0, min(v, maximum)) / maximum, 1)

        self.ticks = [
            {"y": t["pos"], "text_y": round(t["pos"] + 4, 1), "value": t["value"]}
            for t in _ticks(maximum, step, y)
        ]
        line = []
        every = max(1, round(n / 12))  # at most about twelve week labels
        for i, w in enumerate(weeks):
            cx = round(self.left + slot * (i + 0.5), 1)
            mark = {"x": cx, "cy": y(w.observed), "flagged": w.flagged, "week": w}
            if w.expected is not None:
                half = max(1.0, slot * 0.4)
                mark.update(
                    band_x=round(cx - half, 1),
                    band_w=round(2 * half, 1),
                    band_y=y(w.upper),
                    band_h=round(y(w.lower) - y(w.upper), 1),
                    exp_x1=round(cx - half, 1),
                    exp_x2=round(cx + half, 1),
                    exp_y=y(w.expected),
                )
            line.append(f"{cx},{mark['cy']}")
            self.marks.append(mark)
            if i % every == 0:
                self.labels.append({"x": cx, "text": str(w.week)})
        self.line = " ".join(line)
        self.label_y = self.height - 8


@dataclass
class RateChart:
    """Rates per 1,000 inhabitants as dots with their confidence interval as whiskers, one row
    per group (the municipality, the county, the country, similar municipalities)."""

    rows: list  # reference.RateRow
    width: int = 640
    left: int = 190
    row_h: int = 30
    top: int = 8
    bottom: int = 28
    marks: list[dict] = field(init=False, default_factory=list)
    ticks: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        top_value = max([r.upper for r in self.rows if r.upper is not None], default=0.0)
        maximum, step = nice_ceiling(top_value)
        self.plot_w = self.width - self.left - 16
        self.height = self.top + self.row_h * max(1, len(self.rows)) + self.bottom
        self.baseline = self.height - self.bottom
        self.right = self.left + self.plot_w

        def x(v: float) -> float:
            return round(self.left + self.plot_w * max(0.0, min(v, maximum)) / maximum, 1)

        self.ticks = [{"x": t["pos"], "value": t["value"]} for t in _ticks(maximum, step, x)]
        self.tick_y = self.baseline + 16
        for i, r in enumerate(self.rows):
            yy = round(self.top + self.row_h * (i + 0.5), 1)
            mark = {
                "label": r.label[:30],
                "y": yy,
                "text_y": round(yy + 4, 1),
                "cap1": round(yy - 6, 1),
                "cap2": round(yy + 6, 1),
                "own": r.key == "municipality",
            }
            if r.rate is not None:
                mark.update(cx=x(r.rate), x1=x(r.lower), x2=x(r.upper))
            self.marks.append(mark)
