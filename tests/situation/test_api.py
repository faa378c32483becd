"""``GET /api/v1/situation/<code>/dashboard/``: every figure as JSON keyed by section, through
the resolver (404 for a municipality the user cannot see) and 400 with the Swedish message
for a parameter that cannot be used."""

from __future__ import annotations

import pytest

from brygga.situation.scope import Period

from .test_figures import counted, events, make_incidents

URL = "/api/v1/situation/2281/dashboard/"


@pytest.fixture
def data(world):
    make_incidents(world, n=120)
    return world


def test_dashboard_json(data, client_for):
    w = data
    response = client_for("viewer").get(URL, {"period": "2025-K3", "kalla": "partner"})
    assert response.status_code == 200
    out = response.json()
    p = Period.parse("2025-K3")
    assert out["scope"]["period"] == {
        "start": "2025-07-01",
        "end": "2025-09-30",
        "kind": "quarter",
        "param": "2025-K3",
    }
    assert out["headline"]["events"] == events(counted(w, p, streams=["partner"]))
    assert out["headline"]["previous"]["events"] == events(
        counted(w, Period.parse("2025-K2"), streams=["partner"])
    )
    assert [r["key"] for r in out["streams"]["rows"]] == ["partner"]
    assert len(out["heat"]["cells"]) == 7 and len(out["heat"]["cells"][0]) == 24
    assert [m["month"] for m in out["months"]["months"]] == [7, 8, 9]
    areas = {r["label"]: r["events"] for r in out["areas"]["rows"]}
    assert areas["Centrum"] == events(counted(w, p, area=[w.areas["centrum"]], streams=["partner"]))


def test_bad_parameter_and_other_municipality(world, client_for):
    response = client_for("viewer").get(URL, {"period": "2025-K5"})
    assert response.status_code == 400
    assert response.json()["param"] == "period" and "2025-K5" in response.json()["detail"]
    assert client_for("outsider").get(URL).status_code == 404
    assert client_for("anon").get(URL).status_code == 403
