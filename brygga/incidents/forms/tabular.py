"""Forms of the CSV/Excel import: the upload and the column mapping."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from brygga.core.access import resolver_for
from brygga.incidents.imports import tabular
from brygga.incidents.imports.tabular.write import SKIP, UPDATE
from brygga.incidents.models import Category, ImportProfile
from brygga.incidents.services import categories_for, reporting_organisations_for

ACCEPT = ".csv,.txt,.tsv,.xlsx,.xlsm,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        allow_empty_file=True,  # the import says which file is empty, by name
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    profile = forms.ModelChoiceField(
        label=_("Import profile"),
        queryset=ImportProfile.objects.none(),
        required=False,
        empty_label=_("None: choose the columns in the next step"),
        help_text=_("A saved mapping of columns and categories from an earlier import."),
    )

    def __init__(self, *args, municipality, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = ImportProfile.objects.visible_to(user).filter(
            municipality=municipality
        )
        if resolver_for(user).can_import(municipality, all_municipalities=True):
            self.fields["all_municipalities"] = forms.BooleanField(
                label=_("Every municipality (a national or county file)"),
                required=False,
                help_text=_(
                    "Each row goes to the municipality its municipality column names. Only "
                    "system administrators can choose this."
                ),
            )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > tabular.max_bytes():
            raise ValidationError(
                _(
                    "“%(file)s” is %(size)s MB; the largest file that can be imported is %(max)s MB."
                ),
                params={
                    "file": f.name,
                    "size": f"{f.size / 1048576:.1f}",
                    "max": f"{tabular.max_bytes() / 1048576:.0f}",
                },
            )
        return f


def category_choices(municipality) -> list[tuple[str, str]]:
    return [("", _("No category: rows with this value are errors"))] + [
        (c.code, str(c)) for c in categories_for(municipality).order_by("sort_order", "name")
    ]


class MappingForm(forms.Form):
    """Column → field for every field, a category for every value of the category column,
    and the options of the import."""

    has_header = forms.BooleanField(label=_("The first row holds the column names"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Reporting organisation"),
        queryset=None,
        required=False,
        help_text=_("The imported incidents are reported in the name of this organisation."),
    )
    has_personal_data = forms.BooleanField(
        label=_("The descriptions contain personal data"),
        required=False,
        help_text=_(
            "Then only the reporting organisation and coordinators can read them, and every "
            "read is logged."
        ),
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows even if other rows have errors"),
        required=False,
        help_text=_("Otherwise nothing is imported if any row has an error."),
    )
    on_conflict = forms.ChoiceField(
        label=_("If a row's id was imported before but its content differs"),
        choices=[
            (SKIP, _("leave the incident unchanged and list the row (a conflict)")),
            (UPDATE, _("update the incident with the file's content (its history shows it)")),
        ],
        initial=SKIP,
        required=False,  # nothing chosen: skip
        widget=forms.RadioSelect,
    )
    register = forms.CharField(
        label=_("Register"),
        max_length=100,
        required=False,
        help_text=_(
            "The system the ids come from. Ids are unique per register, so two registers may "
            "both have an id “1”. Saving a profile uses its name when this is empty."
        ),
    )
    save_profile = forms.BooleanField(label=_("Save this mapping as a profile"), required=False)
    profile_name = forms.CharField(label=_("Profile name"), max_length=100, required=False)

    def __init__(
        self,
        *args,
        table: tabular.Table,
        municipality,
        user,
        category_values: list[tuple[str, int]],
        category_column: str,
        saved: tabular.Mapping | None = None,
        all_municipalities: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.all_municipalities = all_municipalities
        self.table = table
        self.municipality = municipality
        self.category_values = category_values
        column_choices = [("", _("Not in the file"))] + list(
            zip(table.columns, table.labels, strict=True)
        )
        self.column_fields = []
        for key, label in tabular.FIELDS.items():
            name = f"col_{key}"
            self.fields[name] = forms.ChoiceField(
                label=label, choices=column_choices, required=False
            )
            self.column_fields.append(name)
        if table.detected.kind == "xlsx" and len(table.detected.sheets) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                label=_("Sheet"), choices=[(s, s) for s in table.detected.sheets]
            )
        if all_municipalities:  # an organisation is in one municipality: none for them all
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = reporting_organisations_for(user, municipality)
        self.fields["category_column"] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=category_column
        )
        choices = category_choices(municipality)
        index = tabular.category_index(municipality)
        known = saved or tabular.Mapping()
        self.category_fields = []
        self.suggestions: dict[int, Category] = {}
        for i, (value, count) in enumerate(category_values):
            name = f"cat_{i}"
            self.fields[name] = forms.ChoiceField(label=value, choices=choices, required=False)
            confirm = None
            # a value that matches nothing gets the most similar category as a suggestion,
            # used only when the user ticks it
            if tabular.match_category(value, known, index) is None:
                suggestion = tabular.suggest_category(value, index)
                if suggestion is not None:
                    self.suggestions[i] = suggestion
                    self.fields[f"confirm_{i}"] = forms.BooleanField(
                        label=_("Use the suggestion “%(category)s”") % {"category": suggestion},
                        required=False,
                    )
                    confirm = self[f"confirm_{i}"]
            self.category_fields.append((self[name], value, count, confirm))

    def visible_fields(self):
        """The option fields (the column and category selects are laid out as tables)."""
        hidden = {
            *self.column_fields,
            *(f"cat_{i}" for i in range(len(self.category_values))),
            *(f"confirm_{i}" for i in self.suggestions),
        }
        return [f for f in super().visible_fields() if f.name not in hidden]

    def column_rows(self):
        return [self[name] for name in self.column_fields]

    def mapping(self) -> tabular.Mapping:
        d = self.cleaned_data
        columns = {key: d[f"col_{key}"] for key in tabular.FIELDS if d.get(f"col_{key}")}
        categories = {}
        for i, (value, _count) in enumerate(self.category_values):
            if d.get(f"cat_{i}"):  # a category chosen in the list wins over a suggestion
                categories[tabular.normalise(value)] = d[f"cat_{i}"]
            elif i in self.suggestions and d.get(f"confirm_{i}"):
                categories[tabular.normalise(value)] = self.suggestions[i].code
        register = (d.get("register") or "").strip()
        if not register and d.get("save_profile"):
            register = (d.get("profile_name") or "").strip()
        return tabular.Mapping(
            columns=columns,
            categories=categories,
            has_header=d.get("has_header", True),
            register=register,
        )

    def clean(self):
        d = super().clean()
        if self.errors:
            return d
        for problem in self.mapping().problems():
            self.add_error(None, problem)
        if self.all_municipalities and not d.get("col_municipality"):
            self.add_error(
                "col_municipality",
                _("Choose the column with the municipality: each row goes to the one it names."),
            )
        if d.get("save_profile") and not (d.get("profile_name") or "").strip():
            self.add_error("profile_name", _("Give the profile a name."))
        return d
