"""Forms of the plans part: a plan (created from a published lägesbild, with its prioritised
areas to take over), its adoption, a problem with its cause analysis, and a measure (the whole
measure for coordinators, status and resources for the owner organisation's reporters).

The choices come from the user's selectors (same municipality, visible to the user); the
services check them again and refuse bad periods with messages keyed by field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brygga.core.selectors import forums_for

from .. import selectors
from ..models import MeasureLevel, MeasureStatus

__all__ = [
    "MeasureForm",
    "MeasureOwnerForm",
    "PlanAdoptForm",
    "PlanCreateForm",
    "PlanForm",
    "ProblemForm",
    "ReportChoiceForm",
]


def _date(label, required=True, help_text=""):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _text(label, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReportChoiceForm(forms.Form):
    """The first step of a new plan: which published lägesbild it starts from."""

    rapport = forms.ModelChoiceField(
        label=_("Published situation report"), queryset=None, empty_label=None
    )

    def __init__(self, *args, user, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rapport"].queryset = selectors.published_reports_for(user, municipality)


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    forum = forms.ModelChoiceField(
        label=_("Forum that owns the plan"),
        queryset=None,
        required=False,
        help_text=_("The forum's members read the plan."),
    )
    agreement = forms.ModelChoiceField(
        label=_("Cooperation agreement"), queryset=None, required=False
    )
    period_start = _date(_("Period from"))
    period_end = _date(_("Period to"))
    goals = _text(_("Goals"), rows=4)

    def __init__(self, *args, user, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums_for(user, municipality)
        self.fields["agreement"].queryset = selectors.agreements_for(user, municipality)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return cleaned


class PlanCreateForm(PlanForm):
    """A new plan from ``report``: its prioritised areas as checkboxes (``take_over``), and
    other problems written one per line."""

    take_over = forms.TypedMultipleChoiceField(
        label=_("Prioritised areas of the situation report to take over as problems"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    extra_problems = _text(
        _("Other problems"), rows=3, help_text=_("One problem per line (optional).")
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.priorities = selectors.report_priorities(report)
        self.fields["take_over"].choices = [
            (
                p["rank"],
                f"{p['rank']}. {p['area']}" + (f" ({p['drivers']})" if p["drivers"] else ""),
            )
            for p in self.priorities
        ]
        if not self.priorities:
            del self.fields["take_over"]

    def clean_extra_problems(self):
        lines = (self.cleaned_data.get("extra_problems") or "").splitlines()
        too_long = [line for line in lines if len(line.strip()) > 200]
        if too_long:
            raise forms.ValidationError(_("A problem's title has at most 200 characters."))
        return [line.strip() for line in lines if line.strip()]


class PlanAdoptForm(forms.Form):
    adopted_on = _date(_("Adopted on"))
    adopted_by = forms.CharField(
        label=_("Adopted by"),
        max_length=200,
        help_text=_("The body that decided, e.g. the municipal executive board."),
    )
    revise_by = _date(
        _("Revise by"),
        required=False,
        help_text=_("Empty: two years after adoption (the law: at least every second year)."),
    )


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem"), max_length=200)
    rank = forms.IntegerField(label=_("Priority"), min_value=1, max_value=999, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)
    description = _text(_("Description"))
    offender = _text(_("Offender"), help_text=_("Who commits the offences, and why."))
    place = _text(_("Place"), help_text=_("Where and when it happens, and what makes it possible."))
    victim = _text(_("Victim or target"), help_text=_("Who or what is affected."))
    risk_factors = _text(_("Risk factors"))
    protective_factors = _text(_("Protective factors"))

    def __init__(self, *args, user, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = selectors.area_choices(user, municipality)


class MeasureOwnerForm(forms.Form):
    """What the owner organisation's reporters change on a measure."""

    status = forms.ChoiceField(label=_("Status"), choices=MeasureStatus.choices)
    resources = _text(_("Resources"))
    description = _text(_("Description"))

    def __init__(self, *args, user=None, municipality=None, plan=None, **kwargs):
        super().__init__(*args, **kwargs)


class MeasureForm(MeasureOwnerForm):
    title = forms.CharField(label=_("Measure"), max_length=200)
    problem = forms.ModelChoiceField(label=_("Problem"), queryset=None, required=False)
    owner = forms.ModelChoiceField(label=_("Owner organisation"), queryset=None)
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    target_group = forms.CharField(label=_("Target group"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=MeasureLevel.choices)
    start = _date(_("Start"))
    end = _date(_("End"), required=False)
    promise = forms.ModelChoiceField(label=_("Citizen promise"), queryset=None, required=False)
    agreement_priority = forms.ModelChoiceField(
        label=_("Priority area of the agreement"), queryset=None, required=False
    )

    field_order = [
        "title",
        "problem",
        "description",
        "owner",
        "partners",
        "areas",
        "target_group",
        "level",
        "start",
        "end",
        "resources",
        "status",
        "promise",
        "agreement_priority",
    ]

    def __init__(self, *args, user, municipality, plan, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = selectors.organisation_choices(user, municipality).order_by("name")
        self.fields["owner"].queryset = orgs
        self.fields["partners"].queryset = orgs
        self.fields["areas"].queryset = selectors.area_choices(user, municipality)
        self.fields["problem"].queryset = plan.problems.order_by("rank", "id")
        self.fields["promise"].queryset = selectors.promises_for(user, municipality)
        self.fields["agreement_priority"].queryset = selectors.agreement_priorities_for(
            user, municipality
        )
        self.fields["agreement_priority"].label_from_instance = lambda p: (
            f"{p.agreement.title}: {p.title}"
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The measure ends before it starts."))
        return cleaned
