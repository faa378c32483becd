"""The main menu (issue #12): only the installed modules, for the user's current municipality,
on every page, also on pages that are about no municipality."""

import pytest

from brygga.audit.context import acting_as
from brygga.core.context_processors import CURRENT_MUNICIPALITY_KEY, MODULES
from brygga.core.models import Membership

pytestmark = pytest.mark.django_db


def menu(response) -> str:
    body = response.content.decode()
    start = body.find('<nav class="main-nav"')
    return body[start : body.index("</nav>", start)] if start >= 0 else ""


def test_menu_lists_only_installed_modules(world, client_for):
    r = client_for("viewer").get("/kommuner/2281/")
    assert [item["key"] for item in r.context["nav_modules"]] == [
        "situation",
        "incidents",
        "areastats",
        "surveys",
        "plans",
    ]
    nav = menu(r)
    assert 'href="/kommuner/2281/handelser/"' in nav
    assert 'href="/kommuner/2281/lagesbild/"' in nav
    assert 'href="/kommuner/2281/planer/"' in nav
    assert "aria-disabled" not in nav and "installerad" not in nav
    for key, label, _url in MODULES:
        if key not in ("situation", "incidents", "areastats", "surveys", "plans"):
            assert str(label) not in nav


@pytest.mark.parametrize(
    "path,status",
    [
        ("/kommuner/", 200),
        ("/konto/profil/", 200),
        ("/konto/losenord/", 200),
        ("/api/v1/docs/", 200),
        ("/finns-inte/", 404),
    ],
)
def test_pages_without_a_municipality_show_the_users_only_one(world, client_for, path, status):
    r = client_for("viewer").get(path)
    assert r.status_code == status
    assert r.context["nav_municipality"] == world.sundsvall
    assert 'href="/kommuner/2281/handelser/"' in menu(r)


def test_the_municipality_last_opened_is_remembered(world, client_for):
    c = client_for("system_admin")  # sees all 290: none is "the only one"
    assert c.get("/konto/profil/").context["nav_municipality"] is None
    assert c.get("/kommuner/2262/omraden/").status_code == 200
    assert c.session[CURRENT_MUNICIPALITY_KEY] == "2262"
    r = c.get("/konto/profil/")
    assert r.context["nav_municipality"] == world.timra
    assert 'href="/kommuner/2262/handelser/"' in menu(r)
    c.get("/kommuner/2281/")
    assert c.get("/api/v1/docs/").context["nav_municipality"] == world.sundsvall


def test_a_municipality_no_longer_visible_is_forgotten(world, client_for):
    c = client_for("coordinator")
    c.get("/kommuner/2281/")
    assert c.session[CURRENT_MUNICIPALITY_KEY] == "2281"
    with acting_as(label="test setup"):
        Membership.objects.filter(user=world.users["coordinator"]).delete()
    r = c.get("/konto/profil/")
    assert r.context["nav_municipality"] is None
    assert "/kommuner/2281/" not in menu(r)


def test_a_page_the_user_may_not_open_is_not_remembered(world, client_for):
    c = client_for("outsider")  # Timrå's coordinator
    c.get("/kommuner/2262/")
    assert c.get("/kommuner/2281/").status_code == 404
    assert c.session[CURRENT_MUNICIPALITY_KEY] == "2262"


def test_no_menu_before_the_second_factor(world, client):
    client.force_login(world.users["analyst"])  # password only: the code is still missing
    r = client.get("/konto/tvafaktor/")
    assert r.status_code == 200
    assert menu(r) == "" and "installerad" not in r.content.decode()
