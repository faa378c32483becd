"""Forms of the police events pages: the upload of an events file and the police type →
category mapping."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.incidents.imports.police import upload_max_bytes
from brygga.incidents.models import Category

ALLOWED_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")


class PoliceUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Police events file"),
        allow_empty_file=True,  # refused in clean_file, with the file's name
        help_text=gettext_lazy(
            "The police events API's JSON (a list of events) or JSON Lines with one event per "
            "line; .json, .jsonl or the same compressed as .gz."
        ),
    )
    all_municipalities = forms.BooleanField(
        label=gettext_lazy("Import the events of every municipality (system administrators)"),
        required=False,
    )

    def __init__(self, *args, allow_all: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_all:
            del self.fields["all_municipalities"]
        self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_SUFFIXES)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = Path(f.name).name
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise ValidationError(
                _("%(file)s: choose a .json, .jsonl or .gz file.") % {"file": name}
            )
        limit = upload_max_bytes()
        if f.size > limit:
            raise ValidationError(
                _("%(file)s is %(size)s MB; the largest file accepted is %(limit)s MB.")
                % {
                    "file": name,
                    "size": f"{f.size / 1024 / 1024:.1f}",
                    "limit": limit // (1024 * 1024),
                }
            )
        if f.size == 0:
            raise ValidationError(_("%(file)s: the file is empty.") % {"file": name})
        return f


class PoliceMappingForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.none(),
    )
    is_summary = forms.BooleanField(
        label=gettext_lazy("Summary of several events (not counted as single incidents)"),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (
            Category.objects.visible_to(user)
            .filter(municipality__isnull=True, is_active=True)
            .select_related("parent")
        )
