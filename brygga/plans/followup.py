"""What a report-back (återrapportering) shows: the plan's measures with their status and the
work logged in the period, the indicators against their baselines and targets, the evaluations
and the citizen promises the plan serves, and the "what we learned" text.

:func:`build_snapshot` computes it for the user who asks (every row through ``visible_to``, so
a draft shows no more than the user may see); issuing a report-back stores the result as its
``snapshot`` (``services.follow_up_issue``), and an issued report-back is rendered from the
snapshot alone — its figures stay as they were on the day it was issued, whatever is logged or
imported later. The snapshot keeps keys (statuses, levels, directions), never translated
labels, so the page and the PDF show them in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .models import (
    CitizenPromise,
    Evaluation,
    FollowUpReport,
    Indicator,
    Measure,
    Operation,
)


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _operations_by_measure(user, plan, start: dt.date, end: dt.date) -> dict[int, dict]:
    """Operations and hours per measure of ``plan`` started within the period (local days)."""
    rows = (
        Operation.objects.visible_to(user)
        .filter(municipality_id=plan.municipality_id, measure__plan=plan)
        .filter(started_at__date__gte=start, started_at__date__lte=end)
        .values("measure_id")
        .annotate(n=Count("id"), hours=Sum("hours"))
        .order_by()
    )
    return {
        r["measure_id"]: {"operations": r["n"], "hours": float(r["hours"] or Decimal(0))}
        for r in rows
    }


def _measures(user, plan, start, end) -> list[dict]:
    work = _operations_by_measure(user, plan, start, end)
    measures = (
        Measure.objects.visible_to(user)
        .filter(municipality_id=plan.municipality_id, plan=plan)
        .select_related("owner", "problem")
        .prefetch_related("areas")
        .order_by("problem__rank", "start", "title")
    )
    return [
        {
            "id": m.pk,
            "title": m.title,
            "problem": m.problem.title if m.problem else "",
            "owner": m.owner.name,
            "level": m.level,
            "status": m.status,
            "start": _day(m.start),
            "end": _day(m.end),
            "areas": sorted(a.name for a in m.areas.all()),
            **work.get(m.pk, {"operations": 0, "hours": 0.0}),
        }
        for m in measures
    ]


def _indicators(user, plan, end: dt.date) -> list[dict]:
    indicators = list(
        Indicator.objects.visible_to(user)
        .filter(municipality_id=plan.municipality_id, measure__plan=plan)
        .select_related("measure")
        .order_by("measure__title", "name")
    )
    if not indicators:
        return []
    from .indicator_values import compute

    def num(v):
        return None if v is None else round(float(v), 4)

    out = []
    for ind in indicators:
        # as on the day after the period: the period's last month (quarter, year) is complete
        s = compute(ind, user=user, on=end + dt.timedelta(days=1))
        out.append(
            {
                "id": ind.pk,
                "name": ind.name,
                "measure": ind.measure.title if ind.measure else "",
                "source": ind.source,
                "unit": ind.unit,
                "direction": ind.direction,
                "baseline": num(s.baseline),
                "current": num(s.current.value) if s.current else None,
                "current_period": s.current.label if s.current else "",
                "target": ind.target_value,
                "change_pct": num(s.change_percent),
                "target_met": s.target_met,
            }
        )
    return out


def _evaluations(user, plan) -> list[dict]:
    evaluations = (
        Evaluation.objects.visible_to(user)
        .filter(municipality_id=plan.municipality_id, measure__plan=plan)
        .select_related("measure")
        .order_by("measure__title", "-after_end")
    )
    out = []
    for e in evaluations:
        r = e.result or {}
        out.append(
            {
                "id": e.pk,
                "title": e.title,
                "measure": e.measure.title,
                "before": [_day(e.before_start), _day(e.before_end)],
                "after": [_day(e.after_start), _day(e.after_end)],
                "method": r.get("method", ""),
                "rate_ratio": r.get("rate_ratio"),
                "ci_lower": r.get("ci_lower"),
                "ci_upper": r.get("ci_upper"),
                "p_value": r.get("p_value"),
                "reading": e.reading,
                "conclusion": e.conclusion,
            }
        )
    return out


def _promises(user, plan) -> list[dict]:
    promises = (
        CitizenPromise.objects.visible_to(user)
        .filter(municipality_id=plan.municipality_id)
        .filter(Q(measures__plan=plan) | Q(problems__plan=plan))
        .distinct()
        .order_by("period_start", "title")
    )
    return [
        {
            "id": p.pk,
            "title": p.title,
            "status": p.status,
            "justification": p.status_justification,
            "period": [_day(p.period_start), _day(p.ends_on)],
            "extended": p.extended_to is not None,
        }
        for p in promises
    ]


def build_snapshot(user, report: FollowUpReport) -> dict:
    """Everything ``report`` shows, computed now with ``user``'s access."""
    plan = report.plan
    measures = _measures(user, plan, report.period_start, report.period_end)
    indicators = _indicators(user, plan, report.period_end)
    by_status: dict[str, int] = {}
    for m in measures:
        by_status[m["status"]] = by_status.get(m["status"], 0) + 1
    return {
        "meta": {
            "title": report.title,
            "plan": plan.title,
            "plan_id": plan.pk,
            "municipality": plan.municipality.name,
            "period": [_day(report.period_start), _day(report.period_end)],
            "measures_by_status": by_status,
            "operations": sum(m["operations"] for m in measures),
            "hours": round(sum(m["hours"] for m in measures), 1),
            "indicators_met": sum(1 for i in indicators if i["target_met"] is True),
            "indicators_with_target": sum(1 for i in indicators if i["target_met"] is not None),
        },
        "measures": measures,
        "indicators": indicators,
        "evaluations": _evaluations(user, plan),
        "promises": _promises(user, plan),
        "learned": report.learned,
    }


def labelled(snapshot: dict) -> dict:
    """A copy of ``snapshot`` with the labels of its keys in the active language (the page and
    the PDF show these; the stored snapshot keeps the keys)."""
    from .models import Direction, IndicatorSource, MeasureLevel, MeasureStatus, PromiseStatus

    def label(choices, key):
        return str(dict(choices.choices).get(key, key or ""))

    out = {**snapshot}
    out["measures"] = [
        {
            **m,
            "status_label": label(MeasureStatus, m["status"]),
            "level_label": label(MeasureLevel, m["level"]),
        }
        for m in snapshot.get("measures", [])
    ]
    out["indicators"] = [
        {
            **i,
            "source_label": label(IndicatorSource, i["source"]),
            "direction_label": label(Direction, i["direction"]),
        }
        for i in snapshot.get("indicators", [])
    ]
    out["promises"] = [
        {**p, "status_label": label(PromiseStatus, p["status"])}
        for p in snapshot.get("promises", [])
    ]
    out["status_counts"] = [
        (label(MeasureStatus, key), n)
        for key, n in sorted(snapshot["meta"].get("measures_by_status", {}).items())
    ]
    return out
