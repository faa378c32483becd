"""Forum meetings in a real browser: the coordinator creates a meeting of the safety group,
adds an action item, moves the meeting (the calendar's SEQUENCE rises), then opens the yearly
cycle and the process tracker. axe-core checks every page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from brygga.plans.models import ActionItem, Meeting

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281"


def test_meeting_action_item_move_cycle_process(session_for, world):
    year = timezone.localdate().year + 1
    s = session_for("coordinator")
    s.goto(f"{BASE}/moten/")
    s.page.click("#meeting-new")
    s.page.wait_for_url("**/moten/nytt/")
    s.check()
    s.page.select_option("#id_forum", str(world.forums["safety"].pk))
    s.page.fill("#id_title", "Trygghetsgrupp mars")
    s.page.fill("#id_starts_at", f"{year}-03-10T13:00")
    s.page.fill("#id_ends_at", f"{year}-03-10T12:00")  # ends before it starts
    s.page.click("#meeting-form button[type=submit]")
    s.page.wait_for_load_state("load")
    s.check()
    assert s.page.locator("#id_ends_at_error").count() == 1
    s.page.fill("#id_ends_at", f"{year}-03-10T15:00")
    s.page.click("#meeting-form button[type=submit]")
    s.page.wait_for_url(re.compile(r"/moten/\d+/$"))
    s.check()
    meeting = Meeting.objects.get(title="Trygghetsgrupp mars")

    s.page.click("#action-item-new")
    s.page.wait_for_url("**/atgardspunkt/ny/")
    s.check()
    s.page.fill("#id_title", "Se över belysningen vid busstationen")
    s.page.select_option("#id_owner_organisation", str(world.orgs["housing"].pk))
    s.page.fill("#id_due_on", f"{year}-03-31")
    s.page.click("#action-item-form button[type=submit]")
    s.page.wait_for_url(re.compile(r"/moten/\d+/(#action-items)?$"))
    s.check()
    item = ActionItem.objects.get(meeting=meeting)
    assert s.page.locator(f'#action-item-table tr[data-item="{item.pk}"]').count() == 1

    s.page.click("#meeting-edit")
    s.page.wait_for_url("**/andra/")
    s.check()
    s.page.fill("#id_starts_at", f"{year}-03-17T13:00")
    s.page.fill("#id_ends_at", f"{year}-03-17T15:00")
    s.page.click("#meeting-form button[type=submit]")
    s.page.wait_for_url(re.compile(r"/moten/\d+/$"))
    s.check()
    meeting.refresh_from_db()
    assert timezone.localdate(meeting.starts_at) == dt.date(year, 3, 17)
    assert s.page.locator("#meeting-facts").get_attribute("data-sequence") == "1"

    s.goto(f"{BASE}/arshjul/?ar={year}")
    march = s.page.locator('section[data-month="3"] tr.cycle-item[data-source="meeting"]')
    assert march.count() == 1
    s.goto(f"{BASE}/moten/{meeting.pk}/protokoll/")
    s.goto(f"{BASE}/arshjul/ny/")
    s.goto(f"{BASE}/dialoger/")
    s.goto(f"{BASE}/dialoger/ny/")
    s.goto(f"{BASE}/processen/")
    assert s.page.locator('li[data-item="forum"]').get_attribute("data-done") == "1"
    assert s.page.locator('li[data-item="meeting"]').get_attribute("data-done") == "0"
