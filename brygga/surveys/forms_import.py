"""Forms of the survey import: the upload, the column mapping, the confirmation and the
postcode table."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .mapping import QUESTION, ROLES
from .readers import SUFFIXES

MAX_BYTES = 50 * 1024 * 1024


def _check_file(f, suffixes=SUFFIXES):
    name = Path(f.name).name
    if not name.lower().endswith(suffixes):
        raise ValidationError(
            _("%(file)s: choose a CSV (.csv), Excel (.xlsx) or SPSS (.sav) file.") % {"file": name}
        )
    if f.size > MAX_BYTES:
        raise ValidationError(
            _("%(file)s is larger than %(limit)s MB.") % {"file": name, "limit": 50}
        )
    if f.size == 0:
        raise ValidationError(_("%(file)s is empty.") % {"file": name})
    return f


class SurveyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Response file"),
        allow_empty_file=True,  # refused in clean_file, with the file's name
        help_text=gettext_lazy(
            "One row per respondent, as the survey vendor delivers it: Excel (.xlsx), CSV or "
            "SPSS (.sav). Nothing is saved before you have checked the preview."
        ),
    )
    sheet = forms.CharField(
        label=gettext_lazy("Sheet (Excel)"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("The sheet's name or number; empty for the first sheet."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(SUFFIXES)

    def clean_file(self):
        return _check_file(self.cleaned_data["file"])


class PostcodeUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Postcode table"),
        allow_empty_file=True,
        help_text=gettext_lazy(
            "A CSV file with two columns: postcode;area (the area's code or name). It replaces "
            "the postcode table of the wave's area layer."
        ),
    )

    def clean_file(self):
        return _check_file(self.cleaned_data["file"], (".csv", ".txt"))


def target_choices(questions) -> list:
    roles = [(role, str(label)) for role, label in ROLES.items()]
    asked = [(QUESTION + q.code, f"{q.code} – {q.text}"[:90]) for q in questions]
    return [
        ("", _("Ignore")),
        (_("Respondent"), roles),
        (_("Questions of the wave"), asked),
    ]


class MappingForm(forms.Form):
    """One select per column of the file (``col_<n>``), pre-set to the stored mapping, and the
    choice to keep the original file (municipal administrators only)."""

    def __init__(self, *args, columns, examples, mapping, questions, can_keep, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        choices = target_choices(questions)
        self.rows = []
        for n, column in enumerate(columns):
            name = f"col_{n}"
            self.fields[name] = forms.ChoiceField(
                label=column, choices=choices, required=False, initial=mapping.get(column, "")
            )
            self.rows.append((column, examples[n], name))
        if can_keep:
            self.fields["keep_file"] = forms.BooleanField(
                label=gettext_lazy("Keep the original file"),
                required=False,
                help_text=gettext_lazy(
                    "Otherwise the file is removed as soon as the import ends. A kept file is "
                    "removed by gallring when its retention period has passed."
                ),
            )

    def bound_rows(self):
        return [(column, values, self[name]) for column, values, name in self.rows]

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data.get(f"col_{n}") or "" for n, column in enumerate(self.columns)
        }


class ConfirmForm(forms.Form):
    replace_confirmed = forms.BooleanField(
        label=gettext_lazy("Replace the wave's earlier responses"), required=False
    )
