"""The dashboard page: its figures are the direct counts, the URL's filters are applied (and
written back into the form and the links), a bad parameter shows the Swedish message with
status 400, forum and area scopes, and another municipality's user gets 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from brygga.situation.scope import Period

from .test_figures import counted, events, make_incidents

URL = reverse("situation:index", kwargs={"code": "2281"})


@pytest.fixture
def data(world):
    make_incidents(world, n=120)
    return world


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def cell(page: str, table_id: str, row: str) -> list[str]:
    table = re.search(rf'<table id="{table_id}".*?</table>', page).group(0)
    tr = re.search(rf"<tr><th scope=\"row\">{re.escape(row)}</th>(.*?)</tr>", table).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]


def test_page_shows_the_figures_of_the_period(data, client_for):
    w = data
    response = client_for("viewer").get(URL, {"period": "2025"})
    assert response.status_code == 200
    page = text(response)
    n = events(counted(w, Period.parse("2025")))
    assert f'<strong class="headline-number">{n}</strong>' in page
    summary = re.search(r'<table id="table-summary".*?</table>', page).group(0)
    previous = re.findall(r"<tr>(.*?)</tr>", summary.split("<tbody>")[1])[1]
    assert "2024-01-01 – 2024-12-31" in previous
    assert f'<td class="num">{events(counted(w, Period.parse("2024")))}</td>' in previous
    centrum = events(counted(w, Period.parse("2025"), area=[w.areas["centrum"]]))
    assert cell(page, "table-areas", "Centrum")[0] == str(centrum)
    # categories, areas, sources, months, the weeks against the baseline, the reference rates
    assert page.count('role="img"') == 6
    assert 'id="situation-map"' in page and 'id="trend-heading"' in page
    assert 'id="table-heat"' in page and "heat-9" in page
    assert 'style="' not in page.split('<main id="main"', 1)[1]  # CSP: no inline styles


def test_filters_in_the_url_are_applied_and_kept(data, client_for):
    w = data
    response = client_for("coordinator").get(URL + "?period=2025-K2&kategori=klotter&kalla=partner")
    page = text(response)
    from ..incidents.factories import category

    n = events(counted(w, Period.parse("2025-K2"), main=category("klotter"), streams=["partner"]))
    assert f'<strong class="headline-number">{n}</strong>' in page
    assert 'value="2025-K2"' in page
    assert re.search(r'<option value="klotter" selected>', page)
    assert re.search(r'value="partner" checked', page)
    # the downloads and the period links keep the scope
    assert "export.xlsx?period=2025-K2&amp;kategori=klotter&amp;kalla=partner" in page
    assert "?period=2025-K1&amp;kategori=klotter&amp;kalla=partner" in page  # previous


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("period=2025-13", "2025-13"),
        ("period=2025-03-10..2025-01-01", "2025-01-01"),
        ("kalla=tidning", "tidning"),
        ("kategori=finns-inte", "finns-inte"),
        ("omrade=abc", "omrade"),
        ("forum=999999", "999999"),
    ],
)
def test_a_bad_parameter_shows_the_message_with_status_400(world, client_for, query, words):
    response = client_for("coordinator").get(URL + "?" + query)
    assert response.status_code == 400
    page = text(response)
    alert = re.search(r'role="alert"><p>(.*?)</p>', page).group(1)
    assert words in alert
    assert '<form method="get" class="filters' in page  # the form is there to correct it


def test_forum_and_areas_scopes(data, client_for):
    w = data
    c = client_for("coordinator")
    centrum, nacksta = w.areas["centrum"], w.areas["nacksta"]
    page = text(c.get(URL, {"period": "2025", "forum": w.forums["safety"].pk}))
    n = events(counted(w, Period.parse("2025"), area=[centrum]))
    assert f'<strong class="headline-number">{n}</strong>' in page
    assert "Trygghetsgrupp Centrum" in page
    page = text(c.get(URL, {"period": "2025", "omrade": [centrum.pk, nacksta.pk]}))
    n = events(counted(w, Period.parse("2025"), area=[centrum, nacksta]))
    assert f'<strong class="headline-number">{n}</strong>' in page
    assert re.search(rf'<option value="{nacksta.pk}" selected>', page)


def test_a_user_of_another_municipality_gets_404(world, client_for):
    assert client_for("outsider").get(URL).status_code == 404
    assert client_for("anon").get(URL).status_code == 302
