"""The upload form of the statistics page."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ALLOWED_SUFFIXES = (".xlsx", ".csv", ".txt", ".json")
MAX_BYTES = 20 * 1024 * 1024


class StatsUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Statistics file"),
        allow_empty_file=True,  # refused in clean_file, with the file's name
        help_text=gettext_lazy(
            "A table saved from SCB's Statistikdatabasen as Excel (.xlsx) or CSV, or a "
            "JSON-stat2 file (.json) from SCB's PxWebApi. Region as code or code and name."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_SUFFIXES)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = Path(f.name).name
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise ValidationError(
                _("%(file)s: choose an .xlsx, .csv or .json file.") % {"file": name}
            )
        if f.size > MAX_BYTES:
            raise ValidationError(
                _("%(file)s is larger than %(limit)s MB.") % {"file": name, "limit": 20}
            )
        if f.size == 0:
            raise ValidationError(_("%(file)s is empty.") % {"file": name})
        return f
