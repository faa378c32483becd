"""Expectations for the lägesbild document: the list, compare and a published report (its page
and JSON) for every member; a new draft and publication for those who write reports (analysts,
coordinators, administrators); a draft is read by the writers and the members of its forum
(the safety group: the police, the field workers, the housing company), so the viewer and the
case worker get 404 for it and the reporter 403 for publishing it. The POST-only routes answer
GET with 405 past the checks.

The published reports in the API follow the resolver like the page (members 200, the outsider
404, anonymous 403 as everywhere in the API). The public pages (``situation:public_*``) are
open to everyone, signed in or not, for a report whose audience is the public."""

from ..conftest import ALL_ACTORS
from . import _m, api, members_page

WRITERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]

EXPECTED: dict[str, dict] = {
    "situation:reports": members_page(),
    "situation:report_compare": members_page(),
    "situation:report_detail": members_page(),
    "situation:report_json": members_page(),
    "situation:report_new": _m(
        s200=WRITERS, s403=["viewer", "reporter", "case_worker"], s404=["outsider"]
    ),
    "situation:report_publish": _m(
        s200=WRITERS, s403=["reporter"], s404=["viewer", "case_worker", "outsider"]
    ),
    "situation:report_texts": _m(s405=[*WRITERS, "viewer", "reporter", "case_worker"],
                                 s404=["outsider"]),
    "situation:report_comment": _m(s405=[*WRITERS, "viewer", "reporter", "case_worker"],
                                   s404=["outsider"]),
    "situation:report_comment_resolve": _m(
        s405=[*WRITERS, "viewer", "reporter", "case_worker"], s404=["outsider"]
    ),
    "situation:report_new_version": _m(
        s405=[*WRITERS, "viewer", "reporter", "case_worker"], s404=["outsider"]
    ),
    "api:situation-report-list": api(s404=["outsider"]),
    "api:situation-report-detail": api(s404=["outsider"]),
    "situation:public_reports": dict.fromkeys(ALL_ACTORS, 200),
    "situation:public_report_detail": dict.fromkeys(ALL_ACTORS, 200),
    "situation:public_report_json": dict.fromkeys(ALL_ACTORS, 200),
    "situation:public_report_pdf": dict.fromkeys(ALL_ACTORS, 200),
    "situation:report_pdf": members_page(),
}  # fmt: skip


def _reports(world, municipality, title: str) -> dict:
    """A draft (with a comment) and a published report of ``municipality``."""
    import datetime as dt

    from brygga.audit.context import acting_as
    from brygga.situation.models import ReportComment, SituationReport

    forum = world.forums["safety"] if municipality == world.sundsvall else None
    with acting_as(label="test setup"):
        draft = SituationReport.objects.create(
            municipality=municipality,
            forum=forum,
            title=f"{title} utkast",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
        )
        comment = ReportComment.objects.create(
            municipality=municipality, report=draft, section="crime", text=f"{title} kommentar"
        )
        published = SituationReport.objects.create(
            municipality=municipality,
            forum=forum,
            title=f"{title} publicerad",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            state=SituationReport.State.PUBLISHED,
            snapshot=_snapshot(title),
        )
        public = SituationReport.objects.create(
            municipality=municipality,
            title=f"{title} offentlig",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            audience="public",
            state=SituationReport.State.PUBLISHED,
            snapshot=_snapshot(f"{title} offentlig"),
        )
    # the order matters: the matrix takes the first key that the URL name starts with
    return {
        "report_comment_resolve": comment.pk,
        "report_comment": draft.pk,
        "report_publish": draft.pk,
        "report_texts": draft.pk,
        "report_": published.pk,
        "situation-report": published.pk,
        "public_report": public.pk,
    }


def _snapshot(title: str) -> dict:
    from brygga.situation.models import SECTION_KEYS

    section = {"title": title, "text": "", "paragraphs": [title], "tables": [], "charts": []}
    meta = {
        "title": title,
        "scope_title": title,
        "period": {"start": "2025-01-01", "end": "2025-12-31", "label": "2025"},
        "min_count": None,
        "headline": {"events": 10, "rate_per_1000": None},
    }
    return {"meta": meta, **{k: dict(section) for k in SECTION_KEYS}}


def objects(world) -> dict:
    return _reports(world, world.sundsvall, "Matris")


def tenant_objects(world, municipality, marker) -> dict:
    objs = _reports(world, municipality, marker)
    # A report for the public is open to everyone in its own municipality (like a published
    # Open311 tip), so the other municipality's id tried on the public pages is its report
    # that is not for the public: 404 under either municipality's code. (The public report of
    # one municipality under another's code: tests/situation/test_public.py.)
    objs["public_report"] = objs["report_"]
    return objs
