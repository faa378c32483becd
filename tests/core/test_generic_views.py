"""The generic municipality views deny by default: sign-in first, another municipality's code or
object is 404, a missing ability is 403, and writes go through the service (audit row included).

The views here are configured in a test URLconf, the way a new app would configure its own, on
core's Organisation with core's services."""

import pytest
from django.contrib.messages import get_messages
from django.urls import include, path

from brygga.audit.models import AuditEvent
from brygga.core import services
from brygga.core.access import CHANGE
from brygga.core.forms import OrganisationForm
from brygga.core.models import Organisation
from brygga.core.views.generic import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    Service,
)

calls: list[tuple[str, dict]] = []


def recording(name, fn):
    def service(**kwargs):
        calls.append((name, kwargs))
        return fn(**kwargs)

    return service


SERVICE = Service(
    create=recording("create", services.organisation_save),
    update=recording("update", services.organisation_save),
    delete=recording("delete", services.organisation_delete),
)


class ThingList(ObjectListView):
    model = Organisation
    template_name = "core/organisation_list.html"
    paginate_by = 50
    filter_field = "kind"


class ThingDetail(ObjectDetailView):
    model = Organisation
    template_name = "core/organisation_detail.html"


class ThingChangeDetail(ThingDetail):
    action = CHANGE


class _ThingForm:
    model = Organisation
    form_class = OrganisationForm
    service = SERVICE
    template_name = "core/organisation_form.html"
    success_url = "core:organisation_detail"


class ThingCreate(_ThingForm, ObjectCreateView):
    pass


class ThingEdit(_ThingForm, ObjectUpdateView):
    pass


class ThingDelete(ObjectDeleteView):
    model = Organisation
    service = SERVICE
    success_url = "core:organisation_list"
    back_url = "core:organisation_detail"


G = "generisk/<str:code>/"
urlpatterns = [
    path(G, ThingList.as_view()),
    path(G + "ny/", ThingCreate.as_view()),
    path(G + "<int:pk>/", ThingDetail.as_view()),
    path(G + "<int:pk>/for-andring/", ThingChangeDetail.as_view()),
    path(G + "<int:pk>/andra/", ThingEdit.as_view()),
    path(G + "<int:pk>/ta-bort/", ThingDelete.as_view()),
    path("", include("brygga.config.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
BASE = "/generisk/2281/"


@pytest.fixture(autouse=True)
def _calls():
    calls.clear()
    yield
    calls.clear()


def test_anonymous_is_sent_to_sign_in_before_anything_else(world, client_for):
    anon = client_for("anon")
    for url in (BASE, f"{BASE}ny/", f"{BASE}{world.orgs['housing'].pk}/ta-bort/", "/generisk/0/"):
        r = anon.post(url, {"name": "x", "kind": "other"})
        assert r.status_code == 302 and r["Location"].startswith("/konto/logga-in/?next=")
    assert calls == []


def test_another_municipalitys_code_and_objects_are_not_found(world, client_for):
    c = client_for("coordinator")
    timra_org = world.orgs["timra"].pk
    # Timrå's code: the coordinator has no role there.
    assert c.get("/generisk/2262/").status_code == 404
    assert c.get(f"/generisk/2262/{timra_org}/").status_code == 404
    assert c.post("/generisk/2262/ny/", {"name": "x", "kind": "other"}).status_code == 404
    # Timrå's object under Sundsvall's code: not in the restricted queryset.
    for suffix in ("", "andra/", "ta-bort/"):
        assert c.get(f"{BASE}{timra_org}/{suffix}").status_code == 404
    assert c.post(f"{BASE}{timra_org}/ta-bort/").status_code == 404
    assert (
        c.post(f"{BASE}{timra_org}/andra/", {"name": "Kapad", "kind": "other"}).status_code == 404
    )
    assert calls == []
    assert Organisation.objects.get(pk=timra_org).name == "Timrå trygghet"
    # The list shows only the municipality's rows.
    names = [o.name for o in c.get(BASE).context["page"].object_list]
    assert "Timrå trygghet" not in names and "Mitthem" in names


def test_without_the_ability_the_write_pages_are_forbidden(world, client_for):
    org = world.orgs["housing"]
    viewer = client_for("viewer")
    assert viewer.get(BASE).status_code == 200
    assert viewer.get(f"{BASE}{org.pk}/").status_code == 200
    assert not viewer.get(BASE).context["can_manage"]
    assert viewer.get(f"{BASE}ny/").status_code == 403
    assert viewer.post(f"{BASE}ny/", {"name": "x", "kind": "other"}).status_code == 403
    assert viewer.get(f"{BASE}{org.pk}/andra/").status_code == 403
    assert viewer.post(f"{BASE}{org.pk}/ta-bort/").status_code == 403
    assert calls == []
    assert Organisation.objects.filter(pk=org.pk).exists()


def test_objects_come_from_visible_to_with_the_views_action(world, client_for):
    """A viewer may view the organisation but not change it: the same object is 404 through a
    view that fetches with action "change"."""
    org = world.orgs["housing"].pk
    assert client_for("viewer").get(f"{BASE}{org}/").status_code == 200
    assert client_for("viewer").get(f"{BASE}{org}/for-andring/").status_code == 404
    assert client_for("coordinator").get(f"{BASE}{org}/for-andring/").status_code == 200


def test_the_method_check_comes_after_the_access_check(world, client_for):
    url = f"{BASE}{world.orgs['housing'].pk}/andra/"
    assert client_for("viewer").put(url).status_code == 403
    r = client_for("coordinator").put(url)
    assert r.status_code == 405 and r["Allow"] == "GET, POST"


def test_create_writes_through_the_service_and_its_audit_row(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}ny/", {"name": "Bandyklubben", "kind": "club", "is_active": "on"}
    )
    org = Organisation.objects.get(name="Bandyklubben")
    assert r.status_code == 302 and r["Location"] == f"/kommuner/2281/organisationer/{org.pk}/"
    assert [str(m) for m in get_messages(r.wsgi_request)] == ["Sparat."]
    [(name, kwargs)] = calls
    assert name == "create"
    assert kwargs["actor"] == world.users["coordinator"]
    assert kwargs["municipality"] == world.sundsvall and "instance" not in kwargs
    assert kwargs["name"] == "Bandyklubben" and kwargs["kind"] == "club"
    event = AuditEvent.objects.get(
        object_type="core.organisation", object_id=str(org.pk), kind="create"
    )
    assert event.actor_label == "coordinator" and event.municipality_id == world.sundsvall.pk


def test_update_passes_the_instance_and_service_errors_land_on_the_field(world, client_for):
    c = client_for("coordinator")
    org = world.orgs["social"]
    # Making an organisation part of its own department: the service refuses on "parent".
    r = c.post(
        f"{BASE}{org.pk}/andra/",
        {"name": org.name, "kind": org.kind, "parent": world.orgs["field"].pk},
    )
    assert r.status_code == 400
    assert r.context["form"].errors["parent"] and r.context["object"] == org
    assert calls[0][0] == "update" and calls[0][1]["instance"] == org
    org.refresh_from_db()
    assert org.parent is None


def test_delete_confirms_on_get_and_deletes_on_post_through_the_service(world, client_for):
    c = client_for("coordinator")
    org = world.orgs["housing"]
    url = f"{BASE}{org.pk}/ta-bort/"
    r = c.get(url)
    assert r.status_code == 200 and r.context["back"] == f"/kommuner/2281/organisationer/{org.pk}/"
    assert calls == [] and Organisation.objects.filter(pk=org.pk).exists()
    r = c.post(url)
    assert r.status_code == 302 and r["Location"] == "/kommuner/2281/organisationer/"
    [(name, kwargs)] = calls
    assert name == "delete" and set(kwargs) == {"actor", "organisation"}
    assert (
        kwargs["actor"] == world.users["coordinator"] and kwargs["organisation"].name == "Mitthem"
    )
    assert not Organisation.objects.filter(pk=org.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="core.organisation", object_id=str(org.pk), kind="delete"
    ).exists()


def test_a_refused_delete_goes_back_with_the_reason(world, client_for):
    social = world.orgs["social"]  # has a department, so the service refuses
    r = client_for("coordinator").post(f"{BASE}{social.pk}/ta-bort/")
    assert r.status_code == 302 and r["Location"] == f"/kommuner/2281/organisationer/{social.pk}/"
    assert len(list(get_messages(r.wsgi_request))) == 1
    assert Organisation.objects.filter(pk=social.pk).exists()
