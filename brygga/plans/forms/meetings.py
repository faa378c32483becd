"""Forms of the meetings part: a meeting (its plan, then its minutes), an action item and its
status, an event of the yearly cycle and a dialogue. Choices are narrowed to what the user may
pick (forums the user may write for, the forum's members as owners); the services check again
and their ``ValidationError``s land on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, Organisation
from brygga.core.selectors import forums_for

from ..models import ActionItem, CycleKind, DialogueKind, Meeting
from ..selectors.meetings import forums_writable, meetings_for, owner_organisations, owner_users

__all__ = [
    "ActionItemForm",
    "ActionItemStatusForm",
    "CycleEventForm",
    "DialogueForm",
    "MeetingForm",
    "MinutesForm",
]

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}


def _org_field(label, required=False):
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Organisation.objects.none(),
        required=required,
        widget=forms.CheckboxSelectMultiple,
    )


class MeetingForm(forms.Form):
    forum = forms.ModelChoiceField(label=_("Forum"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    follows = forms.ModelChoiceField(
        label=_("Follows the meeting (of another forum)"), queryset=None, required=False
    )
    state = forms.ChoiceField(label=_("State"), choices=Meeting.State.choices)

    def __init__(self, *args, user, municipality, instance: Meeting | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "forum": instance.forum_id,
                "title": instance.title,
                "starts_at": instance.starts_at,
                "ends_at": instance.ends_at,
                "location": instance.location,
                "agenda": instance.agenda,
                "follows": instance.follows_id,
                "state": instance.state,
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        forums = forums_writable(user, municipality)
        others = meetings_for(user, municipality).order_by("-starts_at")
        if instance is not None:
            self.fields["forum"].disabled = True
            forums = forums_for(user, municipality).filter(pk=instance.forum_id)
            others = others.exclude(pk=instance.pk).exclude(forum_id=instance.forum_id)
        else:
            del self.fields["state"]
        self.fields["forum"].queryset = forums
        self.fields["follows"].queryset = others
        self.fields["follows"].label_from_instance = lambda m: (
            f"{m.forum.name}: {m.title} ({m.starts_at:%Y-%m-%d})"
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The meeting ends before it starts."))
        follows, forum = data.get("follows"), data.get("forum")
        if follows and forum and follows.forum_id == forum.pk:
            self.add_error("follows", _("Choose a meeting of another forum."))
        return data


class MinutesForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=Meeting.State.choices)
    organisations = _org_field(_("Organisations present"))
    attendees = forms.CharField(
        label=_("Present (names and roles)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    decisions = forms.CharField(
        label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args, municipality, instance: Meeting, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "state": instance.state,
                "organisations": list(instance.organisations.values_list("pk", flat=True)),
                "attendees": instance.attendees,
                "minutes": instance.minutes,
                "decisions": instance.decisions,
            }
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = owner_organisations(municipality)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    owner_user = forms.ModelChoiceField(label=_("Owner (a person)"), queryset=None, required=False)
    owner_organisation = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=None, required=False
    )
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, meeting: Meeting, instance: ActionItem | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": instance.title,
                "owner_user": instance.owner_user_id,
                "owner_organisation": instance.owner_organisation_id,
                "due_on": instance.due_on,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = owner_users(meeting.forum)
        self.fields["owner_organisation"].queryset = owner_organisations(meeting.municipality)

    def clean(self):
        data = super().clean()
        if not data.get("owner_user") and not data.get("owner_organisation"):
            self.add_error("owner_user", _("Give the action a person or an organisation."))
        return data


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionItem.Status.choices)


class CycleEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CycleKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs=DATE))
    done_on = forms.DateField(
        label=_("Done on"), widget=forms.DateInput(attrs=DATE), required=False
    )
    forum = forms.ModelChoiceField(label=_("Forum"), queryset=None, required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user, municipality, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                k: getattr(instance, k) for k in ("kind", "title", "due_on", "done_on", "notes")
            } | {"forum": instance.forum_id}
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums_for(user, municipality)


class DialogueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DialogueKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE))
    organisations = _org_field(_("Organisations"))
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, required=False)
    method = forms.CharField(label=_("Method"), max_length=200, required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, user, municipality, **kwargs):
        from brygga.core.selectors import areas_for

        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = owner_organisations(municipality)
        self.fields["area"].queryset = areas_for(user, municipality).order_by("name")
