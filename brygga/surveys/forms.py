"""Forms of the wave pages: a wave's description (and, for a new wave, its questionnaire: the
national template or a codebook file), and the codebook upload that replaces a questionnaire."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.selectors import layers_for

from .codebook import MAX_BYTES
from .models import SurveyWave

CODEBOOK_SUFFIXES = (".xlsx", ".csv", ".txt")
TEMPLATE, CODEBOOK = "template", "codebook"


class CodebookField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Codebook"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "An Excel (.xlsx) or CSV file with the sheets (or sections) “Frågor” and "
                "“Index”, as the codebook download of a wave writes it."
            ),
        )
        kwargs.setdefault("allow_empty_file", True)  # refused in clean, with the file's name
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ",".join(CODEBOOK_SUFFIXES)

    def clean(self, data, initial=None):
        f = super().clean(data, initial)
        if not f:
            return f
        name = Path(f.name).name
        if not name.lower().endswith(CODEBOOK_SUFFIXES):
            raise ValidationError(_("%(file)s: choose an .xlsx or .csv file.") % {"file": name})
        if f.size > MAX_BYTES:
            raise ValidationError(
                _("%(file)s is larger than %(limit)s MB.") % {"file": name, "limit": 5}
            )
        if f.size == 0:
            raise ValidationError(_("%(file)s is empty.") % {"file": name})
        return f


class WaveForm(forms.ModelForm):
    """A wave's description. A new wave also chooses its questionnaire; the year of a stored
    wave is not changed (its results and imports are the year's)."""

    questionnaire = forms.ChoiceField(
        label=gettext_lazy("Questionnaire"),
        choices=[
            (TEMPLATE, gettext_lazy("The national template shipped with Brygga")),
            (CODEBOOK, gettext_lazy("A codebook file (the vendor's questionnaire)")),
        ],
        initial=TEMPLATE,
        widget=forms.RadioSelect,
    )
    codebook = CodebookField(required=False)

    class Meta:
        model = SurveyWave
        fields = [
            "year",
            "name",
            "method",
            "vendor",
            "sample_size",
            "period_start",
            "period_end",
            "layer",
            "description",
        ]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "name": gettext_lazy("Left empty: “Safety survey” and the year."),
            "sample_size": gettext_lazy("People asked; gives the response rate."),
            "layer": gettext_lazy("The areas the respondents are placed in."),
        }

    def __init__(self, *args, user, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.municipality = municipality
        self.fields["name"].required = False
        self.fields["layer"].queryset = layers_for(user, municipality).order_by("name")
        if self.instance.pk:
            for name in ("year", "questionnaire", "codebook"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if (
            "questionnaire" in self.fields
            and data.get("questionnaire") == CODEBOOK
            and not data.get("codebook")
        ):
            self.add_error("codebook", _("Choose the codebook file."))
        return data

    def wave_fields(self) -> dict:
        fields = {k: v for k, v in self.cleaned_data.items() if k in self.Meta.fields}
        fields.pop("year", None)
        return fields


class CodebookForm(forms.Form):
    codebook = CodebookField()
