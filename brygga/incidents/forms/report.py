"""Forms of the incident pages: the report form (also used to edit), status, weekly round.

The report form is built for a phone: one column, big touch targets, sensible defaults (time =
now, the user's own organisation preselected), so a report takes category + a tap on the map +
"Send". Where it happened is validated by :func:`brygga.incidents.location.resolve`, the same
code the API, imports and Open311 use; its messages name the field that is wrong.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brygga.core.forms import FieldGroup
from brygga.core.models import Area, Organisation
from brygga.core.weeks import WEEK_PATTERN, monday_of, parse_week
from brygga.incidents import location as loc
from brygga.incidents.models import Category, Status, Visibility
from brygga.incidents.services import categories_for

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class LenientFloatField(forms.FloatField):
    """Accepts what people type on a Swedish phone: decimal comma, spaces as thousands
    separators (``6 916 700``, ``62,3908``)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


def _coordinate(label, help_text="", attrs=None):
    return LenientFloatField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})}
        ),
    )


def category_choices(municipality, current: Category | None = None) -> list:
    """Main categories as option groups (the main category itself first, for "other or
    unspecified"); main categories without sub-categories as plain options. ``current``, the
    category of an incident being edited, is offered even when it is no longer active."""
    cats = list(categories_for(municipality))
    mains = sorted((c for c in cats if c.parent_id is None), key=lambda c: (c.sort_order, c.name))
    children: dict[int, list[Category]] = {}
    for c in cats:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    choices: list = [("", _("Choose what happened…"))]
    if current is not None and current.pk not in {c.pk for c in cats}:
        choices.append((current.pk, _("%(name)s (inactive)") % {"name": current}))
    for main in mains:
        subs = sorted(children.get(main.pk, []), key=lambda c: (c.sort_order, c.name))
        if not subs:
            choices.append((main.pk, main.name))
            continue
        group = [(main.pk, _("%(name)s – other or unspecified") % {"name": main.name})]
        group += [(c.pk, c.name) for c in subs]
        choices.append((main.name, group))
    return choices


class IncidentForm(forms.Form):
    reporting_organisation = forms.ModelChoiceField(
        label=_("Reporting for"), queryset=Organisation.objects.none(), required=False
    )
    category = forms.TypedChoiceField(label=_("What happened?"), coerce=int, choices=())
    occurred_from = forms.DateTimeField(
        label=_("When?"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    time_unknown = forms.BooleanField(
        label=_("I don't know the exact time: give an interval"), required=False
    )
    occurred_to = forms.DateTimeField(
        label=_("At the latest"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    # The errors about the place as a whole (none given, outside the municipality): shown on
    # the "Where did it happen?" fieldset, not on one of its inputs.
    location = FieldGroup(label=_("Where did it happen?"))
    lat = _coordinate(_("Latitude (WGS84)"), attrs={"placeholder": "62.3908"})
    lon = _coordinate(_("Longitude (WGS84)"), attrs={"placeholder": "17.3069"})
    sweref_n = _coordinate(_("Northing N (SWEREF 99 TM)"), attrs={"placeholder": "6916700"})
    sweref_e = _coordinate(_("Easting E (SWEREF 99 TM)"), attrs={"placeholder": "617000"})
    area = forms.ModelChoiceField(
        label=_("…or choose an area"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("No area chosen"),
        help_text=_("If you cannot point out the place, the area is enough."),
    )
    place_description = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("E.g. a street, a school yard or a bus stop."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    has_personal_data = forms.BooleanField(
        label=_("The text contains personal data"),
        required=False,
        help_text=_(
            "Then only your organisation and the coordinators can read it, and every read "
            "is logged."
        ),
    )
    count = forms.IntegerField(
        label=_("Number of events"),
        min_value=1,
        max_value=10000,
        initial=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    visibility = forms.ChoiceField(
        label=_("Who may see the report"), choices=Visibility.choices, initial=Visibility.SHARED
    )

    location_fields = ("lat", "lon", "sweref_e", "sweref_n", "area")

    def __init__(self, *args, municipality, organisations=None, instance=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance = instance
        self.fields["category"].choices = category_choices(
            municipality, instance.category if instance is not None else None
        )
        areas = Area.objects.filter(municipality=municipality).select_related("layer")
        self.fields["area"].queryset = areas.order_by("layer__name", "name")
        if areas.values("layer").distinct().count() > 1:
            # overlapping layers may hold areas of one name: say which layer each is in
            self.fields["area"].label_from_instance = lambda a: f"{a.name} ({a.layer.name})"
        orgs = organisations if organisations is not None else Organisation.objects.none()
        self.fields["reporting_organisation"].queryset = orgs
        self.organisation_choices = list(orgs[:2])
        if instance is not None:
            # The reporting organisation of a report does not change.
            del self.fields["reporting_organisation"]
        elif len(self.organisation_choices) == 1:
            self.fields["reporting_organisation"].initial = self.organisation_choices[0].pk
            self.fields["reporting_organisation"].widget = forms.HiddenInput()
        if not self.is_bound and instance is None:
            self.initial.setdefault(
                "occurred_from", timezone.localtime().replace(second=0, microsecond=0)
            )
        if instance is not None and not self.is_bound:
            self.initial.update(
                {
                    "category": instance.category_id,
                    "occurred_from": timezone.localtime(instance.occurred_from),
                    "occurred_to": instance.occurred_to
                    and timezone.localtime(instance.occurred_to),
                    "time_unknown": instance.occurred_to is not None,
                    "lat": instance.lat,
                    "lon": instance.lon,
                    "area": instance.area_id if not instance.has_point else None,
                    "place_description": instance.place_description,
                    "description": instance.description,
                    "has_personal_data": instance.has_personal_data,
                    "count": instance.count,
                    "visibility": instance.visibility,
                }
            )

    def set_default_organisation(self, organisation_id: int | None) -> None:
        if organisation_id and "reporting_organisation" in self.fields:
            self.fields["reporting_organisation"].initial = organisation_id

    def clean_category(self):
        pk = self.cleaned_data["category"]
        if self.instance is not None and pk == self.instance.category_id:
            return self.instance.category  # kept even if deactivated since
        category = categories_for(self.municipality).filter(pk=pk).first()
        if category is None:
            raise ValidationError(_("Choose a category from the list."))
        return category

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("time_unknown"):
            cleaned["occurred_to"] = None
        elif cleaned.get("occurred_to") is None and "occurred_to" not in self.errors:
            self.add_error("occurred_to", _("Give the latest time it can have happened."))
        start, end = cleaned.get("occurred_from"), cleaned.get("occurred_to")
        if start and end and end < start:
            self.add_error("occurred_to", _("The end of the interval is before its start."))
        if not any(f in self.errors for f in self.location_fields):
            try:
                cleaned["location"] = loc.resolve(
                    self.municipality,
                    lat=cleaned.get("lat"),
                    lon=cleaned.get("lon"),
                    sweref_e=cleaned.get("sweref_e"),
                    sweref_n=cleaned.get("sweref_n"),
                    area=cleaned.get("area"),
                )
            except ValidationError as exc:
                self._location_errors(exc)
        return cleaned

    def _location_errors(self, exc: ValidationError) -> None:
        """A place-wide error (its code in ``loc.GROUP_ERRORS``) goes on the fieldset, the
        others on the input they name."""
        if not hasattr(exc, "error_dict"):
            self.add_error("location", exc)
            return
        for field, errors in exc.error_dict.items():
            for error in errors:
                group = error.code in loc.GROUP_ERRORS or field not in self.fields
                self.add_error("location" if group else field, error)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class WeekForm(forms.Form):
    """``?forum=<id>&vecka=2026-V47`` (or ``2026-W47``) for the weekly reporting round."""

    forum = forms.IntegerField(required=False, min_value=1)
    vecka = forms.RegexField(regex=rf"^{WEEK_PATTERN}$", required=False)

    def week_start(self) -> dt.date:
        this_monday = monday_of(timezone.localdate())
        value = self.cleaned_data.get("vecka") if self.is_valid() else None
        monday = parse_week(value) if value else None
        return this_monday if monday is None else min(monday, this_monday)


class NilReportForm(forms.Form):
    forum = forms.IntegerField(min_value=1)
    organisation = forms.IntegerField(min_value=1)
    vecka = forms.RegexField(regex=rf"^{WEEK_PATTERN}$")
    # Set by the confirmation step that "nothing to report" for an organisation the user is
    # not a member of goes through first.
    confirmed = forms.BooleanField(required=False)
