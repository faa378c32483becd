"""API routes of the plans app's meetings part (included by api_routes.py in the "api"
namespace, under /api/v1/plans/):

* ``<code>/meetings/`` and ``<code>/meetings/<pk>/`` (``plans-meeting-list/-detail``): the
  meetings the client reads, the detail with its action items;
* ``<code>/action-items/`` and ``<code>/action-items/<pk>/`` (``plans-action-item-list/
  -detail``): action items; PATCH ``{"status": "done"}`` on the detail changes the status
  (through ``services.action_item_update``: "done" records the day);
* ``<code>/cycle/?year=2026`` (``plans-cycle-list``): the yearly cycle's events, entered and
  derived, with their status.

Everything reads through ``visible_to``: a municipality or row the client cannot see is 404,
a change the client may not make on a row it reads is 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core.access import CHANGE, resolver_for
from brygga.core.selectors import municipalities_for

from . import selectors, services
from .models import ActionItem, Meeting


def _municipality(request, code: str):
    return get_object_or_404(municipalities_for(request.user), code=code)


def _item(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "municipality": item.municipality.code,
        "meeting": item.meeting_id,
        "title": item.title,
        "owner_user": item.owner_user_id,
        "owner_organisation": item.owner_organisation_id,
        "due_on": item.due_on.isoformat(),
        "status": item.status,
        "done_on": item.done_on.isoformat() if item.done_on else None,
    }


def _meeting(m: Meeting, items=None) -> dict:
    out = {
        "id": m.pk,
        "municipality": m.municipality.code,
        "forum": {"id": m.forum_id, "name": m.forum.name},
        "title": m.title,
        "starts_at": m.starts_at.isoformat(),
        "ends_at": m.ends_at.isoformat(),
        "location": m.location,
        "state": m.state,
        "uid": str(m.uid),
        "sequence": m.sequence,
        "follows": m.follows_id,
    }
    if items is not None:
        out |= {
            "agenda": m.agenda,
            "minutes": m.minutes,
            "decisions": m.decisions,
            "attendees": m.attendees,
            "organisations": list(m.organisations.values_list("pk", flat=True)),
            "action_items": [_item(i) for i in items],
        }
    return out


class ActionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    municipality = serializers.CharField(read_only=True)
    meeting = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    owner_user = serializers.IntegerField(read_only=True, allow_null=True)
    owner_organisation = serializers.IntegerField(read_only=True, allow_null=True)
    due_on = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    done_on = serializers.DateField(read_only=True, allow_null=True)


class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.CharField()
    forum = serializers.DictField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField()
    state = serializers.ChoiceField(choices=Meeting.State.choices)
    uid = serializers.UUIDField()
    sequence = serializers.IntegerField()
    follows = serializers.IntegerField(allow_null=True)


class MeetingListView(APIView):
    """The meetings of the forums the client reads, newest first."""

    @extend_schema(responses=MeetingSerializer(many=True))
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = selectors.meetings_for(request.user, municipality).select_related("municipality")
        return Response([_meeting(m) for m in qs.order_by("-starts_at", "-pk")])


class MeetingDetailView(APIView):
    """One meeting with its agenda, minutes, decisions and action items."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        m = get_object_or_404(
            selectors.meetings_for(request.user, municipality).select_related("municipality"),
            pk=pk,
        )
        items = selectors.action_items_for(request.user, municipality).filter(meeting=m)
        return Response(_meeting(m, items.select_related("municipality")))


class ActionItemListView(APIView):
    """Action items the client reads; ``?status=open`` narrows them."""

    @extend_schema(responses=ActionItemSerializer(many=True))
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = selectors.action_items_for(request.user, municipality).select_related("municipality")
        wanted = request.query_params.get("status")
        if wanted:
            qs = qs.filter(status=wanted)
        return Response([_item(i) for i in qs])


class ActionItemDetailView(APIView):
    """One action item; PATCH its ``status`` (open, done, dropped)."""

    def _get(self, request, code, pk) -> ActionItem:
        municipality = _municipality(request, code)
        return get_object_or_404(
            selectors.action_items_for(request.user, municipality).select_related("municipality"),
            pk=pk,
        )

    @extend_schema(responses=ActionItemSerializer)
    def get(self, request, code: str, pk: int):
        return Response(_item(self._get(request, code, pk)))

    @extend_schema(request=ActionItemSerializer, responses=ActionItemSerializer)
    def patch(self, request, code: str, pk: int):
        item = self._get(request, code, pk)
        if not resolver_for(request.user).can(CHANGE, item):
            raise DrfPermissionDenied
        data = request.data if isinstance(request.data, dict) else {}
        unknown = set(data) - {"status"}
        if unknown or "status" not in data:
            return Response(
                {"status": ["Only the status can be changed here."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            item = services.action_item_update(actor=request.user, item=item, status=data["status"])
        except PermissionDenied:
            raise DrfPermissionDenied from None
        except ValidationError as exc:
            return Response(
                exc.message_dict if hasattr(exc, "error_dict") else {"status": exc.messages},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(_item(item))


class CycleListView(APIView):
    """The yearly cycle of ``?year=`` (default: this year): entered and derived events."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str):
        from django.utils import timezone

        municipality = _municipality(request, code)
        year = request.query_params.get("year", "")
        year = int(year) if year.isdigit() and 1990 <= int(year) <= 2100 else None
        year = year or timezone.localdate().year
        items = selectors.cycle_year(request.user, municipality, year)
        return Response(
            [
                {
                    "kind": i.kind,
                    "title": i.title,
                    "due_on": i.due_on.isoformat(),
                    "done_on": i.done_on.isoformat() if i.done_on else None,
                    "status": i.status,
                    "source": i.source,
                    "event": i.event.pk if i.event else None,
                    "evidence": i.evidence,
                    "url": i.url,
                }
                for i in items
            ]
        )


urlpatterns: list = [
    path("<str:code>/meetings/", MeetingListView.as_view(), name="plans-meeting-list"),
    path("<str:code>/meetings/<int:pk>/", MeetingDetailView.as_view(), name="plans-meeting-detail"),
    path("<str:code>/action-items/", ActionItemListView.as_view(), name="plans-action-item-list"),
    path(
        "<str:code>/action-items/<int:pk>/",
        ActionItemDetailView.as_view(),
        name="plans-action-item-detail",
    ),
    path("<str:code>/cycle/", CycleListView.as_view(), name="plans-cycle-list"),
]
