"""The lägesbild document: /kommuner/<code>/lagesbild/rapporter/ — the list of reports, a new
draft (starting from a dashboard view's parameters), the draft page (live figures, the
generated paragraphs, the analyst's text, the forum members' comments), publication with its
confirmation, the published page rendered from the frozen snapshot only, a new version, two
versions side by side, and the snapshot as JSON.

Every read goes through the resolver: a report the user may not see is 404, an action the user
may not take on a report they see is 403."""

from __future__ import annotations

import contextlib
import json

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from brygga.core.access import CHANGE, resolver_for
from brygga.core.selectors import forums_for
from brygga.core.views.decorators import municipality_view

from .. import services
from ..access import can_comment, writers
from ..models import SECTION_KEYS, SECTIONS, Audience, ReportComment, SituationReport
from ..scope import ScopeError, scope_from_query
from ..snapshot import build_snapshot

SCOPE_PARAMS = ("forum", "omrade", "lager", "kategori", "kalla")


def _report(request, municipality, pk) -> SituationReport:
    qs = SituationReport.objects.visible_to(request.user).filter(municipality=municipality)
    return get_object_or_404(qs.select_related("forum"), pk=pk)


def _is_writer(request, municipality) -> bool:
    return municipality.pk in writers(resolver_for(request.user))


class ReportForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    period_start = forms.DateField(
        label=gettext_lazy("Period from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    forum = forms.ModelChoiceField(
        label=gettext_lazy("Forum that comments on the draft"), queryset=None, required=False
    )
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)

    def __init__(self, *args, user, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums_for(user, municipality)


@municipality_view()
def report_list(request, municipality):
    reports = (
        SituationReport.objects.visible_to(request.user)
        .filter(municipality=municipality)
        .select_related("forum")
    )
    return render(
        request,
        "situation/reports.html",
        {
            "municipality": municipality,
            "drafts": [r for r in reports if not r.is_published],
            "published": [r for r in reports if r.is_published],
            "can_write": _is_writer(request, municipality),
        },
    )


@municipality_view()
def report_new(request, municipality):
    """A new draft; the dashboard's parameters in the query (or the form) become its scope."""
    if not resolver_for(request.user).can_create_in(SituationReport, municipality):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    error = None
    try:
        scope = scope_from_query(request.user, municipality, source)
    except ScopeError as exc:
        scope, error = None, exc
    stored = {k: source.getlist(k) for k in SCOPE_PARAMS if source.getlist(k)}
    if request.method == "POST":
        form = ReportForm(
            request.POST, prefix="report", user=request.user, municipality=municipality
        )
        if form.is_valid() and error is None:
            try:
                report = services.report_create(
                    actor=request.user,
                    municipality=municipality,
                    scope=stored,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect(_url("report_detail", municipality, report.pk))
    else:
        initial = {"audience": Audience.PARTNERS}
        if scope is not None:
            initial |= {
                "title": _("Lägesbild %(title)s, %(period)s")
                % {"title": scope.title, "period": scope.period.label},
                "period_start": scope.period.start,
                "period_end": scope.period.end,
                "forum": scope.forum,
            }
        form = ReportForm(
            initial=initial, prefix="report", user=request.user, municipality=municipality
        )
    hidden = [(k, v) for k, vs in stored.items() for v in vs]
    return render(
        request,
        "situation/report_new.html",
        {"municipality": municipality, "form": form, "error": error, "hidden": hidden},
        status=400 if error else 200,
    )


def _url(name: str, municipality, pk=None) -> str:
    kwargs = {"code": municipality.code}
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"situation:{name}", kwargs=kwargs)


def _sections(snapshot: dict, comments=None) -> list[dict]:
    by_section: dict[str, list] = {}
    for c in comments or []:
        by_section.setdefault(c.section, []).append(c)
    out = []
    for key in SECTION_KEYS:
        s = snapshot[key]
        out.append(
            {
                **s,
                "key": key,
                "charts": [mark_safe(c) for c in s["charts"]],  # noqa: S308 (our own templates)
                "maps": [mark_safe(m) for m in s.get("maps", [])],  # noqa: S308 (map_svg's)
                "comments": by_section.get(key, []),
                "starting_text": "\n\n".join(s["paragraphs"]),
            }
        )
    return out


@municipality_view()
def report_detail(request, municipality, pk):
    report = _report(request, municipality, pk)
    resolver = resolver_for(request.user)
    context = {
        "municipality": municipality,
        "report": report,
        "can_write": resolver.can(CHANGE, report),
        "is_writer": _is_writer(request, municipality),
    }
    if report.is_published:
        context["sections"] = _sections(report.snapshot)
        context["meta"] = report.snapshot["meta"]
        return render(request, "situation/report_published.html", context)
    error = None
    try:
        snapshot = build_snapshot(request.user, report)
    except ScopeError as exc:
        snapshot, error = None, exc
    comments = list(report.comments.select_related("author"))
    context |= {
        "error": error,
        "sections": _sections(snapshot, comments) if snapshot else [],
        "meta": snapshot["meta"] if snapshot else None,
        "can_comment": can_comment(resolver, report),
        "can_resolve": bool(comments) and resolver.can(CHANGE, comments[0]),
    }
    return render(request, "situation/report_draft.html", context, status=400 if error else 200)


@municipality_view()
@require_POST
def report_texts(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not resolver_for(request.user).can(CHANGE, report):
        raise PermissionDenied
    texts = {k: request.POST[f"text_{k}"] for k in SECTION_KEYS if f"text_{k}" in request.POST}
    services.report_update(actor=request.user, report=report, texts=texts)
    return redirect(_url("report_detail", municipality, report.pk))


@municipality_view()
@require_POST
def report_comment(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not can_comment(resolver_for(request.user), report):
        raise PermissionDenied
    section = request.POST.get("section", "")
    # an empty comment or an unknown section changes nothing
    with contextlib.suppress(ValidationError):
        services.comment_add(
            actor=request.user, report=report, section=section, text=request.POST.get("text", "")
        )
    return redirect(_url("report_detail", municipality, report.pk) + f"#section-{section}")


@municipality_view()
@require_POST
def comment_resolve(request, municipality, pk):
    qs = ReportComment.objects.visible_to(request.user).filter(municipality=municipality)
    comment = get_object_or_404(qs.select_related("report"), pk=pk)
    if not resolver_for(request.user).can(CHANGE, comment):
        raise PermissionDenied
    services.comment_resolve(
        actor=request.user, comment=comment, resolved=request.POST.get("resolved", "1") == "1"
    )
    return redirect(
        _url("report_detail", municipality, comment.report_id) + f"#section-{comment.section}"
    )


@municipality_view()
def report_publish(request, municipality, pk):
    """GET: the confirmation (the figures will be frozen); POST: publish."""
    report = _report(request, municipality, pk)
    if not resolver_for(request.user).can(CHANGE, report):
        raise PermissionDenied
    if request.method == "POST":
        snapshot = build_snapshot(request.user, report)
        services.report_publish(actor=request.user, report=report, snapshot=snapshot)
        return redirect(_url("report_detail", municipality, report.pk))
    return render(
        request,
        "situation/report_publish.html",
        {"municipality": municipality, "report": report},
    )


@municipality_view()
@require_POST
def report_new_version(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not report.is_published or not _is_writer(request, municipality):
        raise PermissionDenied
    draft = services.report_new_version(actor=request.user, report=report)
    return redirect(_url("report_detail", municipality, draft.pk))


@municipality_view()
def report_json(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not report.is_published:
        raise Http404
    body = json.dumps(report.snapshot, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"lagesbild-{municipality.code}-{report.pk}-v{report.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pk(request, param: str):
    value = (request.GET.get(param) or "").strip()
    return int(value) if value.isdigit() else None


@municipality_view()
def report_compare(request, municipality):
    """Two published versions side by side (``?a=<id>&b=<id>``)."""
    published = (
        SituationReport.objects.visible_to(request.user)
        .filter(municipality=municipality, state=SituationReport.State.PUBLISHED)
        .order_by("-published_at", "-id")
    )
    a_pk, b_pk = _pk(request, "a"), _pk(request, "b")
    pair = []
    if a_pk and b_pk:
        pair = [get_object_or_404(published, pk=a_pk), get_object_or_404(published, pk=b_pk)]
    sections = []
    if pair:
        for key, label in SECTIONS:
            tables = []
            left = {t["key"]: t for t in pair[0].snapshot[key]["tables"]}
            right = {t["key"]: t for t in pair[1].snapshot[key]["tables"]}
            for tkey in dict.fromkeys([*left, *right]):
                tables.append({"a": left.get(tkey), "b": right.get(tkey)})
            sections.append({"key": key, "title": str(label), "tables": tables})
    return render(
        request,
        "situation/report_compare.html",
        {
            "municipality": municipality,
            "choices": published,
            "pair": pair,
            "sections": sections,
            "a_pk": a_pk,
            "b_pk": b_pk,
        },
    )
