"""Forms of cooperation agreements and citizen promises. They validate input and offer only
allowed choices (organisations and police areas of the municipality, problems of plans the user
reads); the views pass ``cleaned_data`` to the services (``services/agreements.py``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Organisation

from ..models import SIGNED_DOCUMENT_MAX_BYTES, PromiseStatus
from ..selectors.agreements import agreements_for, police_areas_of, problems_for

__all__ = [
    "AgreementForm",
    "AgreementRenewForm",
    "PartyForm",
    "PartyFormSet",
    "PromiseExtendForm",
    "PromiseForm",
    "PromisePublishForm",
    "PromiseStatusForm",
    "party_formset",
]

PARTY_ROWS_EXTRA = 2


def _date(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    police_area = forms.ModelChoiceField(
        label=_("Local police area"), queryset=None, required=False
    )
    period_start = _date(_("Period from"))
    period_end = _date(_("Period to"))
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    priorities = forms.CharField(
        label=_("Priority areas"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One priority area per line, in order of priority."),
    )
    signed_on = forms.DateField(
        label=_("Signed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_document = forms.FileField(
        label=_("Signed agreement (PDF or DOCX)"),
        required=False,
        help_text=_("At most %(mb)s MB. A new file replaces the one attached before.")
        % {"mb": SIGNED_DOCUMENT_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.docx,application/pdf,application/vnd.openxmlformats-"
                "officedocument.wordprocessingml.document"
            }
        ),
    )

    def __init__(self, *args, municipality, instance=None, **kwargs):
        if instance is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "title": instance.title,
                "police_area": instance.police_area_id,
                "period_start": instance.period_start,
                "period_end": instance.period_end,
                "summary": instance.summary,
                "priorities": "\n".join(p.title for p in instance.priorities.all()),
                "signed_on": instance.signed_on,
            }
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["police_area"].queryset = police_areas_of(municipality)

    def clean_priorities(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["priorities"].splitlines() if line]


class PartyForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Party"), queryset=None, required=False)
    mandate = forms.CharField(
        label=_("Mandate"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    commitments = forms.CharField(
        label=_("Commitments"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    signatory = forms.CharField(label=_("Signed by"), max_length=200, required=False)
    signatory_title = forms.CharField(label=_("Signatory's title"), max_length=200, required=False)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("name")


class BasePartyFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            org = form.cleaned_data.get("organisation")
            if org is None:
                continue
            if org.pk in seen:
                raise forms.ValidationError(
                    _("“%(org)s” is listed twice as a party.") % {"org": org}
                )
            seen.add(org.pk)

    def parties(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data.get("organisation")]


PartyFormSet = forms.formset_factory(PartyForm, formset=BasePartyFormSet, extra=0)


def party_formset(data=None, *, municipality, instance=None):
    initial = []
    if instance is not None:
        initial = [
            {
                "organisation": p.organisation_id,
                "mandate": p.mandate,
                "commitments": p.commitments,
                "signatory": p.signatory,
                "signatory_title": p.signatory_title,
            }
            for p in instance.parties.all()
        ]
    initial += [{}] * PARTY_ROWS_EXTRA
    return PartyFormSet(
        data,
        initial=initial if data is None else None,
        prefix="party",
        form_kwargs={"municipality": municipality},
    )


class AgreementRenewForm(forms.Form):
    title = forms.CharField(label=_("Title of the new agreement"), max_length=200)
    period_start = _date(_("Period from"))
    period_end = _date(_("Period to"))


class PromiseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("The promise"), widget=forms.Textarea(attrs={"rows": 4}))
    period_start = _date(_("Period from"))
    period_end = _date(_("Period to"))
    police_commitments = forms.CharField(
        label=_("The police's commitments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    municipality_commitments = forms.CharField(
        label=_("The municipality's commitments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreement = forms.ModelChoiceField(
        label=_("Cooperation agreement"), queryset=None, required=False
    )
    problems = forms.ModelMultipleChoiceField(
        label=_("Problems addressed"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Prioritised problems of the action plans."),
    )

    def __init__(self, *args, municipality, user, instance=None, **kwargs):
        if instance is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "title": instance.title,
                "text": instance.text,
                "period_start": instance.period_start,
                "period_end": instance.period_end,
                "police_commitments": instance.police_commitments,
                "municipality_commitments": instance.municipality_commitments,
                "agreement": instance.agreement_id,
                "problems": list(instance.problems.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements_for(user, municipality)
        problems = problems_for(user, municipality)
        self.fields["problems"].queryset = problems
        self.fields["problems"].label_from_instance = lambda p: f"{p.plan.title}: {p.title}"


class PromiseStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PromiseStatus.choices)
    status_justification = forms.CharField(
        label=_("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed for fulfilled, partly fulfilled and not fulfilled; shown with the "
                    "status, also on the public page."),
    )  # fmt: skip


class PromiseExtendForm(forms.Form):
    extended_to = _date(_("Extended to"))


class PromisePublishForm(forms.Form):
    published_on = forms.DateField(
        label=_("Published from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today."),
    )
