"""`brygga demo --no-serve`: deterministic, idempotent, the expected municipality."""

import pytest
from django.core.management import call_command
from shapely.geometry import shape

from brygga.audit.models import AuditEvent
from brygga.core.geo import outside_share
from brygga.core.models import Area, Forum, Membership, Municipality, Organisation

pytestmark = pytest.mark.django_db


def test_demo_loads_sundsvall_and_is_idempotent(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "samordnare" in out and "brygga-demo-2026" in out
    s = Municipality.objects.get(code="2281")
    areas = Area.objects.filter(municipality=s)
    assert areas.count() == 13
    assert Forum.objects.filter(municipality=s, kind="safety_group").count() == 13
    assert Forum.objects.filter(municipality=s, kind__startswith="sspf").count() == 2
    assert Organisation.objects.filter(municipality=s, kind="police").exists()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {
        "viewer",
        "reporter",
        "analyst",
        "coordinator",
        "case_worker",
        "municipal_admin",
    }
    for a in areas:
        assert a.is_demo_geometry
        assert outside_share(shape(a.geometry), s) < 0.01, a.name
    # the areas do not overlap
    from brygga.core.geo import to_sweref

    geoms = [to_sweref(shape(a.geometry)) for a in areas]
    for i, g in enumerate(geoms):
        for h in geoms[i + 1 :]:
            assert g.intersection(h).area < 100.0  # m²: rounding of shared edges to 1e-6°
    counts = (
        Area.objects.count(),
        Organisation.objects.count(),
        Forum.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.count(),
    )
    geometry = {a.name: a.geometry for a in areas}
    call_command("demo", "--no-serve")
    assert counts == (
        Area.objects.count(),
        Organisation.objects.count(),
        Forum.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.count(),
    )
    assert geometry == {a.name: a.geometry for a in Area.objects.filter(municipality=s)}


def test_demo_totp_prints_a_code_for_demo_users_only(capsys):
    from django.core.management.base import CommandError

    call_command("demo", "--no-serve")
    capsys.readouterr()
    call_command("demo-totp", "samordnare")
    code = capsys.readouterr().out.strip()
    assert code.isdigit() and len(code) == 6
    call_command("demo-totp", "rapportor")  # every role needs a second factor by default
    assert capsys.readouterr().out.strip().isdigit()
    with pytest.raises(CommandError):
        call_command("demo-totp", "nobody")
