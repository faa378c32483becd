"""Forms of the plans app's work part: operations, observations, indicators (and a manual
series' values) and evaluations. They offer only allowed choices (the user's visible
measures, the municipality's areas, organisations and usable categories) and do not save:
the views pass ``cleaned_data`` to the services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brygga.core.access import VIEW
from brygga.core.models import Area, Organisation
from brygga.incidents.models import Category

from ..models import (
    Direction,
    Granularity,
    IndicatorSource,
    Measure,
    OperationKind,
)

__all__ = [
    "EvaluationConclusionForm",
    "EvaluationForm",
    "IndicatorForm",
    "IndicatorValueForm",
    "ObservationForm",
    "ObservationIncidentForm",
    "OperationFilterForm",
    "OperationForm",
]

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _date(label):
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _datetime(label):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


def areas_of(municipality):
    return (
        Area.objects.filter(municipality=municipality)
        .select_related("layer")
        .defer("geometry")
        .order_by("layer__name", "name")
    )


class AreaChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.layer.name})"


class OneAreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.layer.name})"


def categories_of(municipality):
    return (
        Category.objects.filter(Q(municipality__isnull=True) | Q(municipality=municipality))
        .filter(is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


class CategoryChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} – {obj.name}" if obj.parent_id else obj.name


class OperationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OperationKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    measure = forms.ModelChoiceField(
        label=_("Measure"), queryset=Measure.objects.none(), required=False
    )
    started_at = _datetime(_("From"))
    ended_at = _datetime(_("To"))
    area = OneAreaChoice(label=_("Area"), queryset=Area.objects.none(), required=False)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations taking part"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.DecimalField(
        label=_("Effort (hours)"), min_value=0, max_digits=8, decimal_places=1
    )
    participants = forms.IntegerField(
        label=_("Staff taking part"), min_value=0, max_value=10000, required=False
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done and seen. Write no names of people."),
    )

    def __init__(self, data=None, files=None, *, instance=None, municipality, user, initial=None):
        if instance is not None:
            initial = {
                "kind": instance.kind,
                "title": instance.title,
                "measure": instance.measure_id,
                "started_at": instance.started_at,
                "ended_at": instance.ended_at,
                "area": instance.area_id,
                "organisations": list(instance.organisations.values_list("pk", flat=True)),
                "hours": instance.hours,
                "participants": instance.participants,
                "notes": instance.notes,
            }
        super().__init__(data, files, initial=initial)
        self.fields["measure"].queryset = (
            Measure.objects.visible_to(user, VIEW)
            .filter(municipality=municipality)
            .order_by("title")
        )
        self.fields["area"].queryset = areas_of(municipality)
        self.fields["organisations"].queryset = Organisation.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            self.add_error("ended_at", _("The operation ends before it starts."))
        return data


class OperationFilterForm(forms.Form):
    """The list's filters (GET): period, area, kind, measure."""

    period = forms.CharField(
        label=_("Period"),
        required=False,
        help_text=_("A year (2025), a quarter (2025-K2), a month (2025-03) or two dates "
                    "(2025-01-01..2025-03-31)."),
    )  # fmt: skip
    omrade = OneAreaChoice(label=_("Area"), queryset=Area.objects.none(), required=False)
    typ = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *OperationKind.choices], required=False
    )
    atgard = forms.ModelChoiceField(
        label=_("Measure"), queryset=Measure.objects.none(), required=False
    )

    def __init__(self, data=None, *, municipality, user):
        super().__init__(data)
        self.fields["omrade"].queryset = areas_of(municipality)
        self.fields["atgard"].queryset = (
            Measure.objects.visible_to(user, VIEW)
            .filter(municipality=municipality)
            .order_by("title")
        )

    def clean_period(self):
        from brygga.situation.scope import Period, ScopeError

        text = (self.cleaned_data.get("period") or "").strip()
        if not text:
            return None
        try:
            return Period.parse(text)
        except ScopeError as exc:
            raise forms.ValidationError(exc.message) from None


class ObservationForm(forms.Form):
    text = forms.CharField(
        label=_("Observation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was seen, and where. Write no names of people."),
    )
    latitude = forms.FloatField(label=_("Latitude (WGS84)"), required=False)
    longitude = forms.FloatField(label=_("Longitude (WGS84)"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        return data


class ObservationIncidentForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())

    def __init__(self, data=None, *, municipality, prefix=None):
        super().__init__(data, prefix=prefix)
        from brygga.incidents.services import categories_for

        self.fields["category"].queryset = categories_for(municipality).order_by(
            "parent__name", "name"
        )
        self.fields["category"].label_from_instance = lambda c: (
            f"{c.parent.name} – {c.name}" if c.parent_id else c.name
        )


class IndicatorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    source = forms.ChoiceField(label=_("Data"), choices=IndicatorSource.choices)
    categories = CategoryChoice(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        help_text=_("Incident and police event counts: none chosen counts every category; a "
                    "main category counts with its subcategories."),
    )  # fmt: skip
    areas = AreaChoice(
        label=_("Areas"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_("Areas of one layer; none: the whole municipality."),
    )
    survey_index_code = forms.SlugField(
        label=_("Survey index (code)"),
        max_length=60,
        required=False,
        help_text=_("For a safety survey index, e.g. “problemindex”."),
    )
    granularity = forms.ChoiceField(label=_("Period"), choices=Granularity.choices)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    baseline_start = _date(_("Baseline from"))
    baseline_end = _date(_("Baseline to"))
    target_value = forms.FloatField(label=_("Target"), required=False)
    target_date = forms.DateField(
        label=_("Target by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)

    def __init__(self, data=None, files=None, *, instance=None, municipality, initial=None):
        if instance is not None:
            initial = {
                f: getattr(instance, f)
                for f in (
                    "name",
                    "source",
                    "survey_index_code",
                    "granularity",
                    "unit",
                    "baseline_start",
                    "baseline_end",
                    "target_value",
                    "target_date",
                    "direction",
                )
            }
            initial["categories"] = list(instance.categories.values_list("pk", flat=True))
            initial["areas"] = list(instance.areas.values_list("pk", flat=True))
        super().__init__(data, files, initial=initial)
        self.fields["categories"].queryset = categories_of(municipality)
        self.fields["areas"].queryset = areas_of(municipality)

    def clean(self):
        data = super().clean()
        s, e = data.get("baseline_start"), data.get("baseline_end")
        if s and e and e < s:
            self.add_error("baseline_end", _("The baseline period ends before it starts."))
        return data


class IndicatorValueForm(forms.Form):
    period_start = _date(_("Period from"))
    period_end = _date(_("Period to"))
    value = forms.FloatField(label=_("Value"))
    note = forms.CharField(label=_("Source or note"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        s, e = data.get("period_start"), data.get("period_end")
        if s and e and e < s:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class EvaluationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    treated_areas = AreaChoice(
        label=_("Treated areas"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    comparison_areas = AreaChoice(
        label=_("Comparison areas"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Other areas of the same layer, where the measure was not taken. Without "
                    "them the evaluation is a plain before/after comparison."),
    )  # fmt: skip
    categories = CategoryChoice(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        help_text=_("None chosen: every category."),
    )
    before_start = _date(_("Before: from"))
    before_end = _date(_("Before: to"))
    after_start = _date(_("After: from"))
    after_end = _date(_("After: to"))
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, files=None, *, instance=None, municipality, initial=None):
        super().__init__(data, files, initial=initial)
        self.fields["treated_areas"].queryset = areas_of(municipality)
        self.fields["comparison_areas"].queryset = areas_of(municipality)
        self.fields["categories"].queryset = categories_of(municipality)

    def clean(self):
        data = super().clean()
        for s, e in (("before_start", "before_end"), ("after_start", "after_end")):
            if data.get(s) and data.get(e) and data[e] < data[s]:
                self.add_error(e, _("The period ends before it starts."))
        b, a = data.get("before_end"), data.get("after_start")
        if b and a and a <= b:
            self.add_error(
                "after_start", _("The after period must start after the before period ends.")
            )
        treated = {a.pk for a in data.get("treated_areas") or []}
        if treated & {a.pk for a in data.get("comparison_areas") or []}:
            self.add_error(
                "comparison_areas", _("An area cannot be both treated and a comparison.")
            )
        return data


class EvaluationConclusionForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
