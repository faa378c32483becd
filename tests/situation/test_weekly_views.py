"""The weekly picture page: the group's week, the assessment form for the organisations the
user reports for, the digest opt-in, and bad input (a week that is not one, a group the user
cannot see)."""

import datetime as dt

import pytest
from django.utils import timezone

from brygga.situation.models import AreaAssessment, DigestSubscription
from brygga.situation.ranking import quarterly_group_ranking

from ..incidents.factories import make_incident
from .test_ranking import YEAR, ranked  # noqa: F401  (the ranking's world, with populations)

pytestmark = pytest.mark.django_db
URL = "/kommuner/2281/lagesbild/veckobild/"


def _monday(weeks_ago=1):
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def _param(day):
    iso = day.isocalendar()
    return f"{iso.year}-V{iso.week:02d}"


def test_the_page_shows_the_groups_week(client_for, world):
    week = _monday(1)
    make_incident(
        world,
        area=world.areas["centrum"],
        occurred_from=timezone.make_aware(dt.datetime.combine(week, dt.time(21))),
    )
    r = client_for("viewer").get(URL, {"forum": world.forums["safety"].pk, "vecka": _param(week)})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Trygghetsgrupp Centrum" in html
    assert r.context["picture"].events == 1
    assert "Mitthem" in html  # has not reported
    assert 'name="organisation"' not in html  # the viewer reports for no member organisation


def test_a_reporter_saves_their_organisations_assessment(client_for, world):
    week, forum, centrum = _monday(1), world.forums["safety"], world.areas["centrum"]
    c = client_for("reporter")
    page = c.get(URL, {"forum": forum.pk, "vecka": _param(week)}).content.decode()
    assert f'name="area-{centrum.pk}"' in page and "Fältassistenterna" in page
    r = c.post(
        URL + "bedomning/",
        {
            "forum": forum.pk,
            "vecka": _param(week),
            "organisation": world.orgs["field"].pk,
            f"area-{centrum.pk}": "3",
        },
    )
    assert r.status_code == 302 and f"vecka={_param(week)}" in r["Location"]
    assert AreaAssessment.objects.get().level == 3
    page = c.get(r["Location"]).content.decode()
    assert "oroligt" in page.lower() or "uneasy" in page.lower()
    # another organisation's assessment is refused
    r = c.post(
        URL + "bedomning/",
        {
            "forum": forum.pk,
            "vecka": _param(week),
            "organisation": world.orgs["housing"].pk,
            f"area-{centrum.pk}": "1",
        },
    )
    assert r.status_code == 403
    assert AreaAssessment.objects.count() == 1


def test_a_wrong_week_gets_a_message_not_an_error(client_for, world):
    r = client_for("viewer").get(URL, {"forum": world.forums["safety"].pk, "vecka": "2026-13"})
    assert r.status_code == 400
    assert "2026-V48" in r.content.decode()


def test_a_group_the_user_cannot_see_is_not_found(client_for, world):
    assert client_for("viewer").get(URL, {"forum": world.forums["timra"].pk}).status_code == 404
    assert client_for("outsider").get(URL).status_code == 404


def test_the_digest_is_turned_on_and_off(client_for, world):
    viewer = world.users["viewer"]
    viewer.email = "viewer@example.se"
    viewer.save()
    c = client_for("viewer")
    forum = world.forums["safety"].pk
    c.post(URL + "prenumeration/", {"forum": forum, "on": "1"})
    assert DigestSubscription.objects.filter(user=viewer).exists()
    assert (
        "Stop the e-mail" in c.get(URL).content.decode() or "Sluta" in c.get(URL).content.decode()
    )
    c.post(URL + "prenumeration/", {"forum": forum, "on": "0"})
    assert not DigestSubscription.objects.exists()


def test_the_safety_groups_page_shows_its_last_week(client_for, world):
    forum = world.forums["safety"]
    html = client_for("viewer").get(f"/kommuner/2281/forum/{forum.pk}/").content.decode()
    assert 'id="panel-weekly-heading"' in html and "veckobild" in html
    other = world.forums["sspf"]
    html = client_for("coordinator").get(f"/kommuner/2281/forum/{other.pk}/").content.decode()
    assert 'id="panel-weekly-heading"' not in html  # only safety groups have one


def test_the_page_names_the_quarters_areas_most_in_need(client_for, ranked):  # noqa: F811
    """EST's quarterly choice: the group's areas ranked for the last full quarter before the
    shown week's end, as the priority ranking ranks them, with a link to the whole ranking."""
    w, forum = ranked, ranked.forums["safety"]
    week = dt.date(YEAR + 1, 1, 12)  # a Monday; the last full quarter is YEAR's fourth
    params = {"forum": forum.pk, "vecka": _param(week)}
    r = client_for("viewer").get(URL, params)
    assert r.context["quarter"]["areas"] == []  # one area alone has no score to rank by
    forum.areas.add(
        w.areas["nacksta"], w.areas["haga"], through_defaults={"municipality": w.sundsvall}
    )
    r = client_for("viewer").get(URL, params)
    assert r.status_code == 200
    expected = quarterly_group_ranking(w.users["viewer"], forum, week + dt.timedelta(days=7))
    shown = r.context["quarter"]["areas"]
    assert [a.name for a in shown] == [a.name for a in expected.areas if a.score is not None]
    assert len(shown) == 3
    listed = r.content.decode().split('id="weekly-quarter-ranking"')[1].split("</ol>")[0]
    assert [listed.index(a.name) for a in shown] == sorted(listed.index(a.name) for a in shown)
    assert f"period={YEAR}-K4" in r.context["quarter"]["url"]
