"""Page routes of the plans app's meetings part (included by urls.py, namespace "plans"):
meetings and action items, the forums' calendars, the yearly cycle, dialogues and the process
tracker."""

from django.urls import path

from .views import cycle, meetings, process

K = "kommuner/<str:code>/"
M = K + "moten/"

urlpatterns: list = [
    path(M, meetings.meeting_list, name="meetings"),
    path(M + "nytt/", meetings.meeting_new, name="meeting_new"),
    path(M + "<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path(M + "<int:pk>/andra/", meetings.meeting_edit, name="meeting_edit"),
    path(M + "<int:pk>/protokoll/", meetings.meeting_minutes, name="meeting_minutes"),
    path(M + "<int:pk>/atgardspunkt/ny/", meetings.action_item_new, name="action_item_new"),
    path(M + "atgardspunkter/<int:pk>/andra/", meetings.action_item_edit, name="action_item_edit"),
    path(
        M + "atgardspunkter/<int:pk>/status/",
        meetings.action_item_status,
        name="action_item_status",
    ),
    path(K + "forum/<int:pk>/kalender.ics", meetings.forum_calendar, name="forum_calendar"),
    path(
        K + "kalender/<str:feed_token>.ics",
        meetings.forum_calendar_feed,
        name="forum_calendar_feed",
    ),
    path(
        M + "kalenderlankar/aterkalla/",
        meetings.forum_calendar_revoke,
        name="forum_calendar_revoke",
    ),
    path(K + "arshjul/", cycle.cycle, name="cycle"),
    path(K + "arshjul/ny/", cycle.cycle_event_new, name="cycle_event_new"),
    path(K + "arshjul/<int:pk>/andra/", cycle.cycle_event_edit, name="cycle_event_edit"),
    path(K + "dialoger/", process.dialogue_list, name="dialogues"),
    path(K + "dialoger/ny/", process.dialogue_new, name="dialogue_new"),
    path(K + "dialoger/<int:pk>/", process.dialogue_detail, name="dialogue_detail"),
    path(K + "processen/", process.process, name="process"),
]
