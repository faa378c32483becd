"""The incident app's gallring rules (registered with ``brygga.core.retention``).

In the order a run applies them (an object deleted by an earlier rule is not also cleared by a
later one):

``incidents.all``            every incident older than the period (by when it happened);
                             off by default: the statistics need the history.
``incidents.deleted``        incidents a user deleted (hidden since), for good, after 30 days.
``incidents.personal_text``  the free text (description, place) of reports marked as holding
                             personal data, one year after they were recorded.
``incidents.tip_contacts``   contact details the public left with a tip, after 90 days.
``incidents.import_errors``  the row errors of finished imports (they quote the file's cells),
                             after 90 days; the counts stay.
``incidents.import_files``   uploaded files, hours after their import last changed (at most
                             ``BRYGGA_UPLOAD_RETENTION_HOURS``, which the hourly purge also
                             enforces).

Deleting an incident also deletes its public contact details and its Open311 record
(``on_delete=CASCADE``); the plan lists those rows too, so it names every row a run removes.
Descriptions name the date and category, never the text, the names or the file name.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.retention import (
    CLEAR,
    DELETE,
    HOURS,
    REMOVE_FILE,
    Disposal,
    Rule,
    register,
)

from .models import ImportJob, Incident, Open311Contact, Open311Request

INCIDENT = Incident._meta.label_lower
CONTACT = Open311Contact._meta.label_lower
OPEN311 = Open311Request._meta.label_lower
JOB = ImportJob._meta.label_lower
TEXT_FIELDS = ("description", "place_description", "attributes")


def _scope(qs: QuerySet, municipality, field: str = "municipality") -> QuerySet:
    if municipality is None:
        return qs.filter(**{f"{field}__isnull": True})
    return qs.filter(**{field: municipality})


def _day(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")


def _incident_items(rule: str, municipality, qs: QuerySet) -> list[Disposal]:
    """The incidents of ``qs`` and the rows their deletion takes with them."""
    mid = getattr(municipality, "pk", None)
    items = []
    rows = qs.order_by("pk").values_list(
        "pk", "occurred_from", "category__name", "public_contact__pk", "open311_request__pk"
    )
    for pk, occurred, category, contact, request in rows.iterator():
        what = _("Incident %(day)s (%(category)s)") % {"day": _day(occurred), "category": category}
        items.append(Disposal(rule, mid, INCIDENT, str(pk), DELETE, what))
        if contact is not None:
            items.append(
                Disposal(
                    rule, mid, CONTACT, str(contact), DELETE, _("Contact details of %s") % what
                )
            )
        if request is not None:
            items.append(
                Disposal(rule, mid, OPEN311, str(request), DELETE, _("Open311 record of %s") % what)
            )
    return items


def plan_all(municipality, cutoff, now) -> list[Disposal]:
    qs = _scope(Incident.objects.all(), municipality).filter(occurred_from__lt=cutoff)
    return _incident_items("incidents.all", municipality, qs)


def plan_deleted(municipality, cutoff, now) -> list[Disposal]:
    qs = _scope(Incident.objects.all(), municipality).filter(deleted_at__lt=cutoff)
    return _incident_items("incidents.deleted", municipality, qs)


def plan_personal_text(municipality, cutoff, now) -> list[Disposal]:
    qs = _scope(Incident.objects.all(), municipality).filter(
        has_personal_data=True, created_at__lt=cutoff
    )
    qs = qs.filter(~Q(description="") | ~Q(place_description="") | ~Q(attributes={}))
    mid = getattr(municipality, "pk", None)
    return [
        Disposal(
            "incidents.personal_text",
            mid,
            INCIDENT,
            str(pk),
            CLEAR,
            _("Text of the incident %(day)s (%(category)s), recorded %(recorded)s")
            % {"day": _day(occurred), "category": category, "recorded": _day(created)},
            TEXT_FIELDS,
        )
        for pk, occurred, category, created in qs.order_by("pk")
        .values_list("pk", "occurred_from", "category__name", "created_at")
        .iterator()
    ]


def plan_tip_contacts(municipality, cutoff, now) -> list[Disposal]:
    qs = _scope(Open311Contact.objects.all(), municipality).filter(incident__created_at__lt=cutoff)
    mid = getattr(municipality, "pk", None)
    return [
        Disposal(
            "incidents.tip_contacts",
            mid,
            CONTACT,
            str(pk),
            DELETE,
            _("Contact details of the tip of %(day)s (incident %(id)s)")
            % {"day": _day(created), "id": incident},
        )
        for pk, incident, created in qs.order_by("pk")
        .values_list("pk", "incident_id", "incident__created_at")
        .iterator()
    ]


def plan_import_errors(municipality, cutoff, now) -> list[Disposal]:
    qs = _scope(ImportJob.objects.all(), municipality).filter(
        state__in=(ImportJob.State.DONE, ImportJob.State.FAILED),
        finished_at__lt=cutoff,
        details_disposed_at__isnull=True,
    )
    mid = getattr(municipality, "pk", None)
    items = []
    for pk, kind, finished, errors in qs.order_by("pk").values_list(
        "pk", "kind", "finished_at", "errors"
    ):
        if not errors:
            continue
        items.append(
            Disposal(
                "incidents.import_errors",
                mid,
                JOB,
                str(pk),
                CLEAR,
                _("Row errors of import %(id)s (%(kind)s, %(day)s)")
                % {"id": pk, "kind": ImportJob.Kind(kind).label, "day": _day(finished)},
                ("errors",),
            )
        )
    return items


def plan_import_files(municipality, cutoff, now) -> list[Disposal]:
    qs = (
        _scope(ImportJob.objects.all(), municipality)
        .filter(updated_at__lt=cutoff)
        .exclude(stored_file="")
        .exclude(state__in=(ImportJob.State.PENDING, ImportJob.State.RUNNING))
    )
    mid = getattr(municipality, "pk", None)
    return [
        Disposal(
            "incidents.import_files",
            mid,
            JOB,
            str(pk),
            REMOVE_FILE,
            _("Uploaded file of import %(id)s (%(kind)s, %(day)s)")
            % {"id": pk, "kind": ImportJob.Kind(kind).label, "day": _day(created)},
            ("stored_file",),
        )
        for pk, kind, created in qs.order_by("pk").values_list("pk", "kind", "created_at")
    ]


def _upload_hours() -> int:
    from .imports.storage import retention_hours

    return retention_hours()


def _apply_disposals(items, now) -> None:
    from .services.retention import apply_disposals

    apply_disposals(items, now)


def register_rules() -> None:
    register(
        Rule(
            key="incidents.all",
            label=gettext_lazy("Incidents"),
            help_text=gettext_lazy(
                "Every incident older than this, counted from when it happened, with its "
                "contact details and public tip record. 0 keeps incidents until further notice (the default: trends "
                "and comparisons need the history)."
            ),
            default=0,
            minimum=365,
            can_switch_off=True,
            plan=plan_all,
            apply=_apply_disposals,
        )
    )
    register(
        Rule(
            key="incidents.deleted",
            label=gettext_lazy("Deleted incidents"),
            help_text=gettext_lazy(
                "A deleted incident is hidden at once and removed for good this long after it "
                "was deleted (until then an administrator can see what was deleted)."
            ),
            default=30,
            minimum=1,
            maximum=365,
            plan=plan_deleted,
            apply=_apply_disposals,
        )
    )
    register(
        Rule(
            key="incidents.personal_text",
            label=gettext_lazy("Text with personal data"),
            help_text=gettext_lazy(
                "The description and place of reports marked as holding personal data are "
                "cleared this long after the report was recorded; the incident stays in the "
                "statistics."
            ),
            default=365,
            minimum=30,
            maximum=3650,
            plan=plan_personal_text,
            apply=_apply_disposals,
        )
    )
    register(
        Rule(
            key="incidents.tip_contacts",
            label=gettext_lazy("Contact details from the public"),
            help_text=gettext_lazy(
                "Name, e-mail address and phone number left with a public tip, removed this "
                "long after the tip arrived."
            ),
            default=90,
            minimum=1,
            maximum=730,
            plan=plan_tip_contacts,
            apply=_apply_disposals,
        )
    )
    register(
        Rule(
            key="incidents.import_errors",
            label=gettext_lazy("Import error details"),
            help_text=gettext_lazy(
                "The rows an import could not read, with the cell values they quote, removed "
                "this long after the import finished; the counts stay."
            ),
            default=90,
            minimum=7,
            maximum=730,
            plan=plan_import_errors,
            apply=_apply_disposals,
        )
    )
    register(
        Rule(
            key="incidents.import_files",
            label=gettext_lazy("Uploaded files"),
            help_text=gettext_lazy(
                "An uploaded file is removed this many hours after its import last changed "
                "(at most the installation's limit)."
            ),
            unit=HOURS,
            default=_upload_hours,
            minimum=1,
            maximum=_upload_hours,
            plan=plan_import_files,
            apply=_apply_disposals,
        )
    )
