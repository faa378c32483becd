"""Forms of the category pages: a municipality's own categories (create, edit)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brygga.incidents.models import Category
from brygga.incidents.services import categories_for


class CategoryEditForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=Category._meta.get_field("name").max_length,
        help_text=_("What reporters choose in the report form, e.g. “Klotter på skola”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=Category._meta.get_field("description").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: what the category covers, shown to those who report."),
    )
    sort_order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Lower numbers come first in the lists; equal numbers sort by name."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CategoryCreateForm(CategoryEditForm):
    parent = forms.ModelChoiceField(
        label=_("Main category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("None: a new main category"),
        help_text=_(
            "Choose a main category to add a sub-category under it, national or your own. "
            "The main category cannot be changed later."
        ),
    )

    field_order = ["parent", "name", "description", "sort_order"]

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            categories_for(municipality).filter(parent__isnull=True).order_by("sort_order", "name")
        )
