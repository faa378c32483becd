"""A municipality's own incident categories: the services (who may, what is refused, national
rows untouchable), the pages under /kommuner/<code>/handelser/kategorier/, the API's create
path, and that an inactive category is no longer offered while old incidents keep it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent
from brygga.incidents import services
from brygga.incidents.forms import IncidentForm
from brygga.incidents.forms import tabular as forms_tabular
from brygga.incidents.models import Category, NilReport

from .factories import category, form_data, make_incident

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/handelser"
PAGES = f"{BASE}/kategorier/"
API = "/api/v1"


def _create(world, actor="coordinator", municipality=None, **kw) -> Category:
    kw.setdefault("name", "Klotter på skola")
    kw.setdefault("parent", category("klotter"))
    with acting_as(world.users[actor]):
        return services.create_category(world.users[actor], municipality or world.sundsvall, **kw)


def _field_errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def _offered(world) -> set[int]:
    """Category ids offered in the report form (option groups flattened)."""
    form = IncidentForm(municipality=world.sundsvall)
    ids = set()
    for value, label in form.fields["category"].choices:
        if isinstance(label, list | tuple):
            ids.update(pk for pk, _name in label)
        elif value != "":
            ids.add(value)
    return ids


# --- services -------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["coordinator", "municipal_admin", "system_admin"])
def test_managers_add_sub_and_main_categories(world, actor):
    sub = _create(world, actor)
    assert sub.municipality == world.sundsvall and sub.parent == category("klotter")
    assert sub.code == "klotter-pa-skola" and sub.is_active
    main = _create(world, actor, name="Skolor", parent=None, description=" Skräp ")
    assert main.parent is None and main.code == "skolor" and main.description == "Skräp"
    own_sub = _create(world, actor, name="Vid återvinningen", parent=main)
    assert own_sub.parent == main
    # the change tracker wrote the history, attributed to the actor
    events = AuditEvent.objects.filter(object_type="incidents.category", kind="create")
    assert events.count() == 3
    assert set(events.values_list("actor_id", flat=True)) == {world.users[actor].pk}
    assert set(events.values_list("municipality_id", flat=True)) == {world.sundsvall.pk}


@pytest.mark.parametrize("actor", ["viewer", "reporter", "analyst", "case_worker", "outsider"])
def test_other_roles_may_not_add_categories(world, actor):
    with pytest.raises(PermissionDenied):
        _create(world, actor)
    assert not Category.objects.filter(municipality__isnull=False).exists()


def test_the_outsider_manages_only_its_own_municipality(world):
    timra = _create(world, "outsider", municipality=world.timra, name="Timrå-egen")
    own = _create(world)
    with pytest.raises(PermissionDenied):
        services.update_category(world.users["outsider"], own, name="Kapad")
    with pytest.raises(PermissionDenied):
        services.set_category_active(world.users["outsider"], own, False)
    with pytest.raises(PermissionDenied):
        services.update_category(world.users["coordinator"], timra, name="Kapad")
    # a main category of Timrå cannot be a parent in Sundsvall
    timra_main = _create(world, "outsider", municipality=world.timra, name="Timrå", parent=None)
    with pytest.raises(ValidationError) as exc:
        _create(world, parent=timra_main)
    assert "parent" in _field_errors(exc)


def test_codes_are_derived_and_never_shadow_national_ones(world):
    # "Skadegorelse" is not the national name "Skadegörelse", but its code would be taken
    main = _create(world, name="Skadegorelse", parent=None)
    assert main.code == "skadegorelse-2"
    again = _create(world, name="Skadegorelse!", parent=None)
    assert again.code == "skadegorelse-3"
    assert _create(world, name="???", parent=None).code == "kategori"
    # an explicit code (the API) that is taken is refused, naming the field
    for code in ("klotter", "KLOTTER", "skadegorelse-2"):
        with pytest.raises(ValidationError) as exc:
            _create(world, name=f"Kod {code}", code=code)
        assert "code" in _field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        _create(world, name="Mellanslag", code="med mellanslag")
    assert "code" in _field_errors(exc)
    # the same code may exist in another municipality
    assert _create(world, "outsider", municipality=world.timra, name="Skadegorelse", parent=None)


def test_validation_names_the_field(world):
    sub = category("klotter-stotande")
    cases = [
        ({"parent": sub}, "parent"),  # a sub-category cannot have children
        ({"name": "   "}, "name"),
        ({"name": "Kränkande eller hotfullt klotter"}, "name"),  # a national sibling has the name
        ({"name": "KRÄNKANDE eller hotfullt klotter"}, "name"),
        ({"name": "Klotter", "parent": None}, "name"),  # a national main category
        ({"sort_order": 70000}, "sort_order"),
        ({"name": "x" * 121}, "name"),
    ]
    for kw, field in cases:
        with pytest.raises(ValidationError) as exc:
            _create(world, **kw)
        assert field in _field_errors(exc), (kw, _field_errors(exc))
    own = _create(world)
    with pytest.raises(ValidationError) as exc:
        _create(world, parent=own)  # an own sub-category cannot have children either
    assert "parent" in _field_errors(exc)
    assert Category.objects.filter(municipality=world.sundsvall).count() == 1


@pytest.mark.parametrize("actor", ["coordinator", "municipal_admin", "system_admin"])
def test_national_categories_cannot_be_changed(world, actor):
    national = category("klotter")
    before = (national.name, national.description, national.sort_order, national.is_active)
    user = world.users[actor]
    with pytest.raises(ValidationError):
        services.update_category(user, national, name="Eget namn")
    with pytest.raises(ValidationError):
        services.set_category_active(user, national, False)
    national.refresh_from_db()
    assert (national.name, national.description, national.sort_order, national.is_active) == (
        before
    )
    assert not AuditEvent.objects.filter(object_type="incidents.category").exists()


def test_update_changes_name_description_and_order_not_the_code(world):
    own = _create(world)
    user = world.users["municipal_admin"]
    with acting_as(user):
        services.update_category(
            user, own, name="Klotter vid skolor", description="Skolgårdar", sort_order=5
        )
    own.refresh_from_db()
    assert (own.name, own.description, own.sort_order) == ("Klotter vid skolor", "Skolgårdar", 5)
    assert own.code == "klotter-pa-skola"
    event = AuditEvent.objects.get(object_type="incidents.category", kind="update")
    assert event.changes["name"] == ["Klotter på skola", "Klotter vid skolor"]
    with pytest.raises(ValidationError) as exc:
        services.update_category(user, own, name="Kränkande eller hotfullt klotter")
    assert "name" in _field_errors(exc)
    with pytest.raises(PermissionDenied):
        services.update_category(world.users["reporter"], own, name="Nej")


def test_inactive_categories_are_not_offered_but_incidents_keep_them(world, client_for):
    own = _create(world)
    incident = make_incident(world, category=own)
    assert own.pk in _offered(world)
    services.set_category_active(world.users["coordinator"], own, False)
    assert own.pk not in _offered(world)
    assert own not in services.categories_for(world.sundsvall)
    mapping_codes = {code for code, _label in forms_tabular.category_choices(world.sundsvall)}
    assert own.code not in mapping_codes and "klotter" in mapping_codes
    # the report form refuses it
    r = client_for("reporter").post(f"{BASE}/rapportera/", form_data(category=str(own.pk)))
    assert r.status_code == 400 and "category" in r.context["form"].errors
    # the incident keeps it, and can still be edited without choosing another one
    incident.refresh_from_db()
    assert incident.category == own
    c = client_for("coordinator")
    form = c.get(f"{BASE}/{incident.pk}/andra/").context["form"]
    assert own.pk in {value for value, _label in form.fields["category"].choices}
    when = timezone.localtime(incident.occurred_from).strftime("%Y-%m-%dT%H:%M")
    r = c.post(
        f"{BASE}/{incident.pk}/andra/",
        form_data(category=str(own.pk), occurred_from=when, description="Ändrad"),
    )
    assert r.status_code == 302, r.context["form"].errors
    incident.refresh_from_db()
    assert incident.category == own and incident.description == "Ändrad"
    # reactivated, it is offered again
    services.set_category_active(world.users["coordinator"], own, True)
    assert own.pk in _offered(world)


def test_deactivating_a_main_category_hides_its_sub_categories(world):
    user = world.users["coordinator"]
    main = _create(world, name="Skolor", parent=None)
    sub = _create(world, name="Vid återvinningen", parent=main)
    services.set_category_active(user, main, False)
    offered = _offered(world)
    assert main.pk not in offered and sub.pk not in offered
    assert sub not in services.categories_for(world.sundsvall)
    services.set_category_active(user, sub, False)
    with pytest.raises(ValidationError) as exc:
        services.set_category_active(user, sub, True)
    assert "is_active" in _field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        _create(world, name="Ny under inaktiv", parent=main)
    assert "parent" in _field_errors(exc)
    services.set_category_active(user, main, True)
    services.set_category_active(user, sub, True)
    assert {main.pk, sub.pk} <= _offered(world)


# --- "nothing to report" --------------------------------------------------------------------
def test_nil_report_service_sets_and_takes_back(world):
    forum = world.forums["safety"]
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    reporter = world.users["reporter"]
    field = world.orgs["field"]
    report = services.set_nil_report(reporter, world.sundsvall, field, monday, forum=forum)
    assert report.reported_by == reporter
    assert services.set_nil_report(reporter, world.sundsvall, field.pk, monday, forum=forum) == (
        report
    )
    assert NilReport.objects.count() == 1
    with pytest.raises(PermissionDenied):  # not the reporter's organisation
        services.set_nil_report(
            reporter, world.sundsvall, world.orgs["housing"], monday, forum=forum
        )
    with pytest.raises(PermissionDenied):
        services.set_nil_report(world.users["viewer"], world.sundsvall, field, monday, forum=forum)
    with pytest.raises(ValidationError) as exc:
        services.set_nil_report(
            reporter, world.sundsvall, field, monday + dt.timedelta(days=1), forum=forum
        )
    assert "week_start" in _field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.set_nil_report(
            world.users["system_admin"], world.sundsvall, field, monday, forum=world.forums["timra"]
        )
    assert "forum" in _field_errors(exc)
    assert (
        services.set_nil_report(reporter, world.sundsvall, field, monday, forum=forum, nil=False)
        is None
    )
    assert not NilReport.objects.exists()


# --- pages ----------------------------------------------------------------------------------
def test_list_shows_national_and_own_as_a_tree(world, client_for):
    own = _create(world)
    _create(world, "outsider", municipality=world.timra, name="Bara i Timrå", parent=None)
    inactive = _create(world, name="Gammal", parent=None)
    services.set_category_active(world.users["coordinator"], inactive, False)
    r = client_for("coordinator").get(PAGES)
    assert r.status_code == 200
    body = r.content.decode()
    assert "Klotter på skola" in body and "Bara i Timrå" not in body
    tree = r.context["tree"]
    klotter = next(row for row in tree if row["category"].code == "klotter")
    assert own in klotter["children"] and category("klotter-stotande") in klotter["children"]
    assert r.context["own_count"] == 2
    assert f'href="{PAGES}{own.pk}/andra/"' in body
    assert f'href="{PAGES}{category("klotter").pk}/andra/"' not in body  # national: read-only
    assert 'class="tag tag-national"' in body and 'class="tag tag-inactive"' in body
    assert f'href="{PAGES}{inactive.pk}/aktivering/"' in body
    # the incidents sub-navigation links here for those who manage
    assert f'href="{PAGES}"' in client_for("coordinator").get(f"{BASE}/").content.decode()
    assert f'href="{PAGES}"' not in client_for("reporter").get(f"{BASE}/").content.decode()


def test_create_edit_and_deactivate_as_a_user_would(world, client_for):
    c = client_for("municipal_admin")
    main = category("klotter")
    r = c.get(f"{PAGES}ny/?huvudkategori={main.pk}")
    assert r.status_code == 200 and r.context["form"]["parent"].value() == main.pk
    r = c.post(
        f"{PAGES}ny/",
        {"parent": main.pk, "name": "Klotter på skola", "description": "", "sort_order": "50"},
    )
    assert r.status_code == 302 and r["Location"] == PAGES
    own = Category.objects.get(municipality=world.sundsvall)
    assert (own.parent, own.code, own.sort_order) == (main, "klotter-pa-skola", 50)
    assert "Klotter på skola" in c.get(PAGES).content.decode()  # the message and the row

    r = c.post(
        f"{PAGES}{own.pk}/andra/",
        {"name": "Klotter vid skolor", "description": "Skolgårdar", "sort_order": "7"},
    )
    assert r.status_code == 302
    own.refresh_from_db()
    assert (own.name, own.description, own.sort_order) == ("Klotter vid skolor", "Skolgårdar", 7)

    r = c.get(f"{PAGES}{own.pk}/aktivering/")
    assert r.status_code == 200 and 'name="active" value="0"' in r.content.decode()
    assert c.post(f"{PAGES}{own.pk}/aktivering/", {"active": "0"}).status_code == 302
    own.refresh_from_db()
    assert not own.is_active
    assert c.post(f"{PAGES}{own.pk}/aktivering/", {"active": "0"}).status_code == 302  # again
    own.refresh_from_db()
    assert not own.is_active
    assert 'name="active" value="1"' in c.get(f"{PAGES}{own.pk}/aktivering/").content.decode()
    assert c.post(f"{PAGES}{own.pk}/aktivering/", {"active": "1"}).status_code == 302
    own.refresh_from_db()
    assert own.is_active
    kinds = list(
        AuditEvent.objects.filter(object_type="incidents.category")
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds == ["create", "update", "update", "update"]


def test_bad_input_gets_a_swedish_message_on_the_field(world, client_for):
    c = client_for("coordinator")
    r = c.post(f"{PAGES}ny/", {"parent": "", "name": "", "sort_order": "100"})
    assert r.status_code == 400
    assert "Det här fältet är obligatoriskt." in r.content.decode()
    r = c.post(f"{PAGES}ny/", {"parent": "", "name": "Klotter", "sort_order": "100"})
    assert r.status_code == 400 and "name" in r.context["form"].errors  # from the service
    assert 'class="field field-error"' in r.content.decode()
    r = c.post(
        f"{PAGES}ny/",
        {"parent": category("klotter-stotande").pk, "name": "Under under", "sort_order": "1"},
    )
    assert r.status_code == 400 and "parent" in r.context["form"].errors
    r = c.post(f"{PAGES}ny/", {"parent": "", "name": "Ok", "sort_order": "-1"})
    assert r.status_code == 400 and "sort_order" in r.context["form"].errors
    assert not Category.objects.filter(municipality__isnull=False).exists()
    own = _create(world)
    r = c.post(
        f"{PAGES}{own.pk}/andra/", {"name": "Kränkande eller hotfullt klotter", "sort_order": "1"}
    )
    assert r.status_code == 400 and "name" in r.context["form"].errors


def test_sub_category_under_an_inactive_main_cannot_be_reactivated(world, client_for):
    main = _create(world, name="Skolor", parent=None)
    sub = _create(world, name="Vid återvinningen", parent=main)
    user = world.users["coordinator"]
    services.set_category_active(user, sub, False)
    services.set_category_active(user, main, False)
    c = client_for("coordinator")
    r = c.post(f"{PAGES}{sub.pk}/aktivering/", {"active": "1"}, follow=True)
    assert r.status_code == 200
    assert "Skolor" in "".join(str(m) for m in r.context["messages"])
    sub.refresh_from_db()
    assert not sub.is_active


def test_others_get_403_or_404(world, client_for):
    own = _create(world)
    timra = _create(world, "outsider", municipality=world.timra, name="Timrå", parent=None)
    national = category("klotter")
    for actor in ("viewer", "reporter", "analyst", "case_worker"):
        c = client_for(actor)
        assert c.get(PAGES).status_code == 403
        assert c.post(f"{PAGES}ny/", {"name": "Nej", "sort_order": "1"}).status_code == 403
        assert c.post(f"{PAGES}{own.pk}/aktivering/", {"active": "0"}).status_code == 403
    outsider = client_for("outsider")
    assert outsider.get(PAGES).status_code == 404
    assert outsider.post(f"{PAGES}{own.pk}/andra/", {"name": "Kapad"}).status_code == 404
    c = client_for("coordinator")
    # national categories and other municipalities' are not editable here
    for pk in (national.pk, timra.pk, 999999):
        assert c.get(f"{PAGES}{pk}/andra/").status_code == 404
        assert c.post(f"{PAGES}{pk}/aktivering/", {"active": "0"}).status_code == 404
    assert client_for("system_admin").get(f"{PAGES}{national.pk}/andra/").status_code == 404
    own.refresh_from_db()
    national.refresh_from_db()
    assert own.is_active and own.name == "Klotter på skola" and national.is_active


# --- the API's create path ------------------------------------------------------------------
def test_api_creates_through_the_service(world, client_for):
    c = client_for("coordinator")
    main = category("klotter")
    r = c.post(
        f"{API}/categories/",
        {"municipality": "2281", "parent": main.pk, "code": "klotter-skola", "name": "På skola"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["code"] == "klotter-skola" and r.json()["municipality"] == "2281"
    assert AuditEvent.objects.filter(object_type="incidents.category", kind="create").exists()
    # the service's rules: a national code, a national sibling's name, an inactive parent
    for payload, field in [
        ({"code": "klotter", "name": "Egen"}, "code"),
        (
            {"code": "eget-klotter", "name": "Kränkande eller hotfullt klotter", "parent": main.pk},
            "name",
        ),
    ]:
        r = c.post(
            f"{API}/categories/",
            {"municipality": "2281", **payload},
            content_type="application/json",
        )
        assert r.status_code == 400 and field in r.json(), r.json()
    own_main = _create(world, name="Skolor", parent=None)
    services.set_category_active(world.users["coordinator"], own_main, False)
    r = c.post(
        f"{API}/categories/",
        {"municipality": "2281", "parent": own_main.pk, "code": "x", "name": "X"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "parent" in r.json()
    r = client_for("analyst").post(
        f"{API}/categories/",
        {"municipality": "2281", "code": "egen", "name": "Egen"},
        content_type="application/json",
    )
    assert r.status_code == 403
