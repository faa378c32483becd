"""Reminder e-mails of action items: one per open item, a configurable number of days before it
is due, to the owner or the owner organisation's functional address; none for done items."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from brygga.plans.models import ActionItem
from brygga.plans.tasks import send_action_item_reminders

from . import factories as f

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 4, 28)


def _items(world):
    reporter = world.users["reporter"]
    reporter.email = "falt@example.se"
    reporter.save()
    housing = world.orgs["housing"]
    housing.contact_email = "trygghet@mitthem.example.se"
    housing.save()
    meeting = f.meeting(world.forums["safety"])
    return {
        "person": f.action_item(meeting, title="Person", owner_user=reporter, due_on=TODAY + dt.timedelta(days=3)),
        "org": f.action_item(meeting, title="Org", owner_organisation=housing, due_on=TODAY + dt.timedelta(days=1)),
        "later": f.action_item(meeting, title="Senare", owner_user=reporter, due_on=TODAY + dt.timedelta(days=10)),
        "done": f.action_item(meeting, title="Klar", owner_user=reporter, due_on=TODAY + dt.timedelta(days=2), status="done", done_on=TODAY),
        "past": f.action_item(meeting, title="Försenad", owner_user=reporter, due_on=TODAY - dt.timedelta(days=1)),
    }  # fmt: skip


def test_each_open_item_is_reminded_once_at_the_right_address(world):
    items = _items(world)
    result = send_action_item_reminders(TODAY)
    assert result.sent == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"falt@example.se", "trygghet@mitthem.example.se"}
    assert "/moten/" in by_address["falt@example.se"].body
    reminded = set(
        ActionItem.objects.filter(reminded_at__isnull=False).values_list("title", flat=True)
    )
    assert reminded == {"Person", "Org"}
    again = send_action_item_reminders(TODAY)
    assert again.sent == 0 and len(mail.outbox) == 2
    # ten days before, with a longer horizon, the later one goes too (once)
    assert send_action_item_reminders(TODAY, days=10).sent == 1
    assert items["done"].title not in " ".join(m.subject for m in mail.outbox)


def test_no_address_no_mail_and_the_command(world, settings):
    meeting = f.meeting(world.forums["safety"])
    f.action_item(meeting, owner_organisation=world.orgs["police"], due_on=TODAY)
    settings.BRYGGA_ACTION_ITEM_REMINDER_DAYS = 5
    call_command("plans-reminders", "--date", TODAY.isoformat())
    assert mail.outbox == []
    assert not ActionItem.objects.filter(reminded_at__isnull=False).exists()
    with pytest.raises(CommandError):
        call_command("plans-reminders", "--date", "28/4")


def test_a_failed_send_is_tried_again_next_run(world, monkeypatch):
    _items(world)

    def fail(self, *a, **kw):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", fail)
    result = send_action_item_reminders(TODAY)
    assert (result.sent, result.skipped) == (0, 2)
    assert not ActionItem.objects.filter(reminded_at__isnull=False).exists()
    monkeypatch.undo()
    assert send_action_item_reminders(TODAY).sent == 2
