"""Forms of the Open311 key administration page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Organisation


class Open311KeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key is used, for example “the municipality's tip form”."),
    )
    reporting_organisation = forms.ModelChoiceField(
        label=_("Incidents are attributed to"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("No organisation"),
        help_text=_(
            "Public tips sent with this key are shown as reported by this organisation, "
            "whose members can then see them before they are reviewed."
        ),
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_organisation"].queryset = Organisation.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("name")


class PublishTipForm(forms.Form):
    """The text of a public tip as it is to be published on the open Open311 lists."""

    text = forms.CharField(
        label=_("Text to publish"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown to everyone on the public Open311 lists. Remove names, addresses and "
            "anything else that can identify a person."
        ),
    )
