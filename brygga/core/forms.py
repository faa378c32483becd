from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.forms import OTPTokenForm

from .access import resolver_for
from .geo import GeometryError, parse_polygon
from .models import Area, AreaLayer, Forum, LayerKind, Organisation, Role

MAX_GEOJSON_BYTES = 5 * 1024 * 1024


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's (or a validator's) ValidationError on the form: on the field it names,
    else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class GroupErrors(forms.Widget):
    """The widget of a :class:`FieldGroup`: no input of its own. It counts as hidden, so the
    form templates do not draw it; the template draws the group (a fieldset) instead."""

    input_type = "hidden"

    def render(self, name, value, attrs=None, renderer=None):
        return ""

    def value_from_datadict(self, data, files, name):
        return None


class FieldGroup(forms.Field):
    """Carries the errors that concern a group of inputs (a fieldset) rather than one of them,
    e.g. "say where it happened" on the report form. The template gives the fieldset the id
    ``{{ form.<name>.auto_id }}`` and ``aria-describedby="<id>_error"``; the error summary
    links there."""

    widget = GroupErrors

    def __init__(self, *, label, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(label=label, **kwargs)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "parent", "description", "contact_email", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        qs = Organisation.objects.filter(municipality=municipality)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = qs
        self.fields["parent"].required = False


class AreaLayerForm(forms.ModelForm):
    class Meta:
        model = AreaLayer
        fields = ["name", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "kind": _(
                "DeSO and RegSO layers hold SCB's statistical areas: their codes are checked, "
                "and statistics and register extracts find their areas there."
            )
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality


class AreaForm(forms.ModelForm):
    geometry = forms.CharField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "Paste a GeoJSON Polygon or MultiPolygon in WGS84 [longitude, latitude], "
            "or upload a file below."
        ),
    )
    geometry_file = forms.FileField(
        label=_("…or a GeoJSON file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )

    class Meta:
        model = Area
        fields = ["name", "layer", "official_code", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["layer"].queryset = AreaLayer.objects.filter(municipality=municipality)
        self.fields["layer"].empty_label = None
        if self.instance.pk and not self.is_bound and self.instance.geometry:
            import json

            self.initial["geometry"] = json.dumps(self.instance.geometry)

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("geometry") or ""
        upload = cleaned.get("geometry_file")
        if upload:
            if upload.size > MAX_GEOJSON_BYTES:
                self.add_error("geometry_file", _("The file is larger than 5 MB."))
                return cleaned
            try:
                raw = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error(
                    "geometry_file",
                    _("The file %(name)s is not UTF-8 text.") % {"name": upload.name},
                )
                return cleaned
        if not raw.strip():
            layer = cleaned.get("layer")
            if layer is None or not layer.is_statistical:
                self.add_error("geometry", _("Give the area's boundary as GeoJSON."))
            else:
                cleaned["parsed_geometry"] = None  # known by its code until a boundary comes
            return cleaned
        try:
            cleaned["parsed_geometry"] = parse_polygon(raw, municipality=self.municipality)
        except GeometryError as exc:
            field = "geometry_file" if upload else "geometry"
            msg = str(exc)
            if upload:
                msg = _("%(file)s: %(msg)s") % {"file": upload.name, "msg": msg}
            self.add_error(field, msg)
        return cleaned


class ForumForm(forms.ModelForm):
    class Meta:
        model = Forum
        fields = ["name", "kind", "description", "convener", "organisations", "areas", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "organisations": forms.CheckboxSelectMultiple,
            "areas": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Organisation.objects.filter(municipality=municipality)
        self.fields["organisations"].queryset = orgs
        self.fields["convener"].queryset = orgs
        self.fields["areas"].queryset = Area.objects.filter(municipality=municipality)


class MemberCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and . @ + - _ only.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Leave empty if the user signs in through the "
            "municipality's identity provider."
        ),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, municipality, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            municipality=municipality, is_active=True
        )
        self.fields["role"].choices = role_choices(actor, municipality, None)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("A user with that user name already exists."))
        return username


class MembershipAddForm(forms.Form):
    """A new role for ``member``: the choices are the roles ``actor`` may grant them (none on
    the actor's own page)."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, municipality, actor, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(
            municipality=municipality, is_active=True
        )
        self.fields["role"].choices = role_choices(actor, municipality, member)


def role_choices(actor, municipality, to_user) -> list[tuple[str, str]]:
    """The roles ``actor`` may grant ``to_user`` (``None``: an account about to be created) in
    ``municipality``, as form choices (``AccessResolver.can_grant``)."""
    resolver = resolver_for(actor)
    return [(v, lbl) for v, lbl in Role.choices if resolver.can_grant(v, municipality, to_user)]


class SecurityPolicyForm(forms.Form):
    """One checkbox per role. A policy the user may not switch off (``locked``) is shown
    disabled: the browser does not send it and Django keeps its initial value, whatever a
    forged request says."""

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        for p in policies:
            self.fields[p["role"]] = forms.BooleanField(
                label=p["label"],
                required=False,
                initial=p["otp_required"],
                disabled=p["locked"],
                help_text=LOCKED_REASONS.get(p["locked_reason"], ""),
            )


LOCKED_REASONS = {
    "always": _("Always required: this role reaches SSPF data or administers the municipality."),
    "own": _("Required for your own role: another administrator can change this."),
}


class OwnPasswordChangeForm(PasswordChangeForm):
    """The signed-in user's new password: the current one, and a new one that differs from it
    (a password someone else set must really be replaced)."""

    def clean(self):
        cleaned = super().clean()
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        if old and new and old == new:
            self.add_error(
                "new_password1", _("Choose a new password that differs from the current one.")
            )
        return cleaned


class RetentionForm(forms.Form):
    """One number per retention rule (days or hours), in the rule's range."""

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = {}
        for entry in rules:
            r = entry["rule"]
            unit = _("hours") if r.unit == "hours" else _("days")
            self.rules[r.key] = r
            self.fields[r.key] = forms.IntegerField(
                label=r.label,
                min_value=0,
                initial=entry["value"],
                help_text=r.help_text,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "short"}),
            )
            self.fields[r.key].unit = unit
            self.fields[r.key].default = entry["default"]

    def clean(self):
        from .services import check_retention_value

        cleaned = super().clean()
        for key, r in self.rules.items():
            value = cleaned.get(key)
            if value is None:
                continue
            try:
                check_retention_value(r, value)
            except ValidationError as exc:
                self.add_error(key, exc)
        return cleaned


class SecondFactorForm(OTPTokenForm):
    """django-otp's token form with Brygga's own (translated) labels and error messages:
    django-otp's catalogue has no Swedish, so its "Invalid token…" reached the Swedish page."""

    otp_error_messages = {
        **OTPTokenForm.otp_error_messages,
        "token_required": _("Enter the code from your authenticator app."),
        "challenge_exception": _("The code could not be requested: {0}"),
        "not_interactive": _("The chosen authenticator cannot send a code."),
        "challenge_message": _("Code sent: {0}"),
        "invalid_token": _(
            "The code is wrong or has expired. Enter the code your authenticator app shows now."
        ),
        "n_failed_attempts": ngettext_lazy(
            "Too many wrong codes (%(failure_count)d). Wait a moment and try again.",
            "Too many wrong codes (%(failure_count)d). Wait a moment and try again.",
            "failure_count",
        ),
        "verification_not_allowed": _("Codes cannot be checked right now. Try again soon."),
        "device_required": _("Choose an authenticator."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_device"].label = _("Authenticator")
        self.fields["otp_token"].label = _("Code")


# --- import of areas from a GIS file (views/area_import.py) ----------------------------------
GIS_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json")
NEW_LAYER = "new"


def area_upload_max_mb() -> int:
    from django.conf import settings

    return int(getattr(settings, "BRYGGA_AREA_UPLOAD_MAX_MB", 100))


class AreaImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("GIS file"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(GIS_SUFFIXES)}),
    )
    crs = forms.CharField(
        label=_("Coordinate system (only if the file names none)"),
        required=False,
        max_length=200,
        help_text=_("For example EPSG:3006 (SWEREF 99 TM) or EPSG:3021 (RT90 2.5 gon V)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A Shapefile as a zip archive (with its .shp, .shx, .dbf, .prj and .cpg files), a "
            "GeoPackage (.gpkg) or GeoJSON. At most %(mb)s MB."
        ) % {"mb": area_upload_max_mb()}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(GIS_SUFFIXES):
            if name.endswith((".shp", ".shx", ".dbf", ".prj")):
                raise ValidationError(
                    _("Put the Shapefile's files (.shp, .shx, .dbf, .prj, .cpg) in a zip archive.")
                )
            raise ValidationError(
                _("%(file)s is not a GIS file this page reads (.zip, .gpkg, .geojson).")
                % {"file": upload.name}
            )
        if upload.size > area_upload_max_mb() * 1024 * 1024:
            raise ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": area_upload_max_mb()}
            )
        return upload


class AreaImportFieldsForm(forms.Form):
    """The second step: which fields name the areas and which layer they go to."""

    source_layer = forms.ChoiceField(label=_("Layer in the file"), required=False)
    name_field = forms.ChoiceField(label=_("Field with the areas' names"))
    code_field = forms.ChoiceField(label=_("Field with the areas' codes"), required=False)
    layer = forms.ChoiceField(label=_("Import into the layer"))
    new_layer_name = forms.CharField(
        label=_("Name of the new layer"), required=False, max_length=100
    )
    new_layer_kind = forms.ChoiceField(
        label=_("Kind of the new layer"), choices=LayerKind.choices, required=False
    )

    def __init__(self, *args, fields, layers, source_layers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(f, f) for f in fields]
        self.fields["name_field"].choices = choices
        self.fields["code_field"].choices = [("", _("(no code field)")), *choices]
        self.fields["layer"].choices = [
            (NEW_LAYER, _("A new layer")),
            *[(str(layer.pk), f"{layer.name} ({layer.get_kind_display()})") for layer in layers],
        ]
        if len(source_layers) > 1:
            self.fields["source_layer"].choices = [(s, s) for s in source_layers]
        else:
            del self.fields["source_layer"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("layer") == NEW_LAYER:
            if not (cleaned.get("new_layer_name") or "").strip():
                self.add_error("new_layer_name", _("Name the new layer."))
            if not cleaned.get("new_layer_kind"):
                self.add_error("new_layer_kind", _("Choose the kind of the new layer."))
        return cleaned
