"""Issue #15, Done-when: suppression holds for every audience without need-to-know. A world of
small counts (tests/situation/crawl_world.py); one report published for the council and one
for the public, with the analyst's text in every section; then every way out of Brygga is
crawled as those who read them — the published page, its JSON and the API resource as a
council-side viewer, the public page, its JSON and the list without signing in, and the PDF
once that view exists — and every table found in what comes back is checked against the
report's figures as the partners see them:

(a) no count column holds a count under k (0 included: ``audiences`` hides it too);
(b) no hidden cell follows from the shown cells and the shown total (``recoverable_cells``),
    per line and per weekday of the weekday × hour table, and the weekday totals against the
    headline;
(c) the shares, changes and rates of a hidden count are hidden, and so are the figures derived
    from hidden counts: the headline's rate and change, the months' earlier-years mean, the
    reference comparison's rates and its sentence, the priority scores, the sentences of
    hidden weeks; an area hidden in one table is not shown in the other;
(d) the free text of the "other" section is absent;
(e) no point: no GeoJSON Point, no lat/lon field, no incident's coordinates.

The checker is shown to find leaks (the negative controls): the partners' snapshot, fed to it
as JSON and as the rendered page, is reported.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from django.urls import reverse

from brygga.situation import figures, paragraphs
from brygga.situation.audiences import recoverable_cells
from brygga.situation.models import SECTION_KEYS
from brygga.situation.pdf import render_print_html
from brygga.situation.snapshot import COUNT_COLUMNS, PROTECTED, report_scope

from . import crawl_world as cw
from .html import find, page_of, text

pytestmark = pytest.mark.django_db

K = 5
HIDDEN = f"<{K}"
HOURS = {f"{h:02d}" for h in range(24)}


# --- reading the outputs -----------------------------------------------------------------------
def _cell(raw: str):
    value = raw.strip()
    if value in ("–", ""):
        return None
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"[−-]?\d+,\d+", value):
        return float(value.replace(",", ".").replace("−", "-"))
    return value


def html_tables(markup: str) -> dict[str, dict]:
    """The report tables of a rendered page or of the PDF's print document
    (``_report_table.html``, ``report_print.html``: id ``table-<key>``, each heading's column
    key in ``data-key``)."""
    out = {}
    for table in find(page_of(markup), "table"):
        key = dict(table.attributes).get("id", "").removeprefix("table-")
        if not key or key == dict(table.attributes).get("id"):
            continue
        columns = [dict(th.attributes)["data-key"] for th in find(table, "th")]
        rows = [
            [_cell(text(td)) for td in find(tr, "td")] for tr in find(table, "tr") if find(tr, "td")
        ]
        out[key] = {"key": key, "columns": columns, "rows": rows}
    return out


def json_tables(snapshot: dict) -> dict[str, dict]:
    return {t["key"]: t for key in SECTION_KEYS for t in snapshot.get(key, {}).get("tables", [])}


class Output:
    """What one producer gave: its tables (None: no table structure, e.g. a list), the headline
    where it has one, and its whole text."""

    def __init__(self, name, tables, whole: str, meta=None):
        self.name, self.tables, self.whole, self.meta = name, tables, whole, meta


def from_json(name: str, body: str) -> Output:
    data = json.loads(body)
    if isinstance(data, dict) and "meta" in data:
        return Output(name, json_tables(data), body, data["meta"])
    return Output(name, None, body)


def from_html(name: str, body: str) -> Output:
    return Output(name, html_tables(body), text(page_of(body)) + "\n" + body)


# --- the checker -------------------------------------------------------------------------------
def _col(table, col):
    i = table["columns"].index(col)
    return [r[i] for r in table["rows"]]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _count_columns(table):
    for col in table["columns"]:
        if col in COUNT_COLUMNS or col in HOURS or col.startswith("events"):
            yield col


class Truth:
    """The partners' figures of the same report, and what they would say."""

    def __init__(self, world, report):
        self.snapshot = cw.unprotected(world, report)
        self.tables = json_tables(self.snapshot)
        coordinator = world.users["coordinator"]
        d = figures.dashboard(coordinator, report_scope(coordinator, report))
        self.reference_sentences = paragraphs.reference(d)
        self.week_sentences = {w.start.isoformat(): w.sentence for w in d.trend.flagged}


def _aligned(out_table, truth_table) -> bool:
    return len(out_table["rows"]) == len(truth_table["rows"]) and all(
        str(a[0]) == str(b[0]) for a, b in zip(out_table["rows"], truth_table["rows"], strict=True)
    )


def check(output: Output, truth: Truth) -> list[str]:
    """Every leak found in one output (empty: none)."""
    name, leaks = output.name, []
    whole = output.whole
    # (d) the "other" section's free text; (e) points
    if cw.OTHER_TEXT in whole:
        leaks.append(f"{name}: the other section's free text")
    if re.search(r'"type"\s*:\s*"Point"', whole) or re.search(
        r'"(lat|lon|lng|latitude|longitude)"\s*:', whole
    ):
        leaks.append(f"{name}: a point or a lat/lon field")
    for lat, lon in cw.POINTS:
        for v in (f"{lat:.4f}", f"{lon:.4f}"):
            if v in whole or v.replace(".", ",") in whole:
                leaks.append(f"{name}: an incident's coordinate {v}")
    if output.tables is None:
        return leaks
    tables = output.tables
    assert tables, f"{name}: no table found"  # the reader must see the tables to check them
    for key, table in tables.items():
        _add_codes(table, truth.tables.get(key))
    for key, table in tables.items():
        # (a) no small count
        for col in _count_columns(table):
            for row in table["rows"]:
                v = row[table["columns"].index(col)]
                if _is_int(v) and 0 <= v < K:
                    leaks.append(f"{name}: {key}.{col} = {v} ({row[:2]})")
        truth_table = truth.tables.get(key)
        if truth_table is None or not _aligned(table, truth_table):
            leaks.append(f"{name}: {key} does not match the report's rows")
            continue
        # (b) lines with a shown total, (c) their derived columns
        count_cols, derived = PROTECTED.get(key, ([], []))
        if key == "manader":
            count_cols = [c for c in table["columns"] if c.startswith("events")]
        for col in count_cols:
            hidden = np.array([v == HIDDEN for v in _col(table, col)], dtype=bool)
            values = np.array([int(v or 0) for v in _col(truth_table, col)], dtype=np.int64)
            if recoverable_cells(values, hidden, _total_shown(tables, key, col), K):
                leaks.append(f"{name}: {key}.{col} a hidden cell can be worked out")
            for j in np.flatnonzero(hidden):
                row = table["rows"][j]
                for c in derived:
                    if c in table["columns"] and row[table["columns"].index(c)] is not None:
                        leaks.append(f"{name}: {key}.{c} of a hidden {col} ({row[:2]})")
                mean = (
                    row[table["columns"].index("earlier_years_mean")] if key == "manader" else None
                )
                if col != "events" and mean is not None:
                    leaks.append(f"{name}: the earlier years' mean of a hidden month")
    leaks += _check_heat(name, tables, truth, output.meta)
    leaks += _check_derived(name, tables, output)
    leaks += _check_across(name, tables, truth)
    leaks += _check_sentences(name, tables, truth, whole)
    return leaks


def _add_codes(table, truth_table) -> None:
    """The print document leaves the code column (``key``) out: put it back from the report's
    own table when the rows are the same rows (the same names in the same order), so the
    checks that read codes work on it too."""
    if truth_table is None or "key" in table["columns"] or "key" not in truth_table["columns"]:
        return
    if "name" not in table["columns"] or _col(table, "name") != _col(truth_table, "name"):
        return
    codes = _col(truth_table, "key")
    table["columns"] = ["key", *table["columns"]]
    table["rows"] = [[c, *row] for c, row in zip(codes, table["rows"], strict=True)]


def _total_shown(tables, key, col) -> bool:
    """Whether a line's total is shown somewhere: every line adds up to a shown figure (the
    headline, a period of the summary) except the ranked areas' police events, whose total
    is (about) the police row of the sources."""
    if (key, col) == ("prioriteringar", "police_events"):
        sources = tables.get("kallor")
        if sources is None:
            return True
        police = _col(sources, "key").index("police")
        return _is_int(_col(sources, "events")[police])
    return True


def _check_heat(name, tables, truth, meta) -> list[str]:
    heat, open_heat = tables.get("veckodag-timme"), truth.tables["veckodag-timme"]
    if heat is None:
        return []
    leaks = []
    for row, open_row in zip(heat["rows"], open_heat["rows"], strict=True):
        hidden = np.array([v == HIDDEN for v in row[1:25]])
        if recoverable_cells(open_row[1:25], hidden, _is_int(row[25]), K):
            leaks.append(f"{name}: a hidden hour of {row[0]} can be worked out")
    headline = tables["sammanfattning"]["rows"][0][
        tables["sammanfattning"]["columns"].index("events")
    ]
    if _is_int(headline):
        totals = [r[25] for r in open_heat["rows"]]
        hidden = np.array([r[25] == HIDDEN for r in heat["rows"]])
        if recoverable_cells(totals, hidden, True, K):
            leaks.append(f"{name}: a weekday's hidden total follows from the headline")
    return leaks


def _check_derived(name, tables, output) -> list[str]:
    leaks = []
    summary = tables["sammanfattning"]
    cols = summary["columns"]
    own_hidden = summary["rows"][0][cols.index("events")] == HIDDEN
    for j, row in enumerate(summary["rows"]):
        hidden = row[cols.index("events")] == HIDDEN
        if j and (hidden or own_hidden) and row[cols.index("change_text")] is not None:
            leaks.append(f"{name}: the change against a hidden period ({row[0]})")
    if own_hidden and summary["rows"][0][cols.index("rate_per_1000")] is not None:
        leaks.append(f"{name}: the rate of a hidden headline")
    if output.meta is not None:
        h = output.meta["headline"]
        for key in ("events", "previous_events"):
            if _is_int(h[key]) and h[key] < K:
                leaks.append(f"{name}: meta.headline.{key} = {h[key]}")
        if h["events"] == HIDDEN and h["rate_per_1000"] is not None:
            leaks.append(f"{name}: meta.headline's rate of a hidden count")
        if HIDDEN in (h["events"], h["previous_events"]) and h["change_text"] is not None:
            leaks.append(f"{name}: meta.headline's change of a hidden count")
    ref = tables.get("jamforelse")
    if ref is not None:
        for row in ref["rows"]:
            if row[ref["columns"].index("events")] == HIDDEN:
                for c in ("rate", "lower", "upper"):
                    if row[ref["columns"].index(c)] is not None:
                        leaks.append(f"{name}: the reference {c} of a hidden count ({row[:2]})")
    ranking = tables.get("prioriteringar")
    if ranking is not None:
        any_hidden = any(v == HIDDEN for c in ("events", "police_events") for v in _col(ranking, c))
        if any_hidden and any(v is not None for v in _col(ranking, "score")):
            leaks.append(f"{name}: priority scores shown beside hidden counts")
    return leaks


def _check_across(name, tables, truth) -> list[str]:
    """An area is hidden in both the areas' table and the ranking, or in neither, where the
    two count the same."""
    areas, ranking = tables.get("omraden"), tables.get("prioriteringar")
    if areas is None or ranking is None:
        return []
    true_areas = dict(
        zip(
            _col(truth.tables["omraden"], "name"),
            _col(truth.tables["omraden"], "events"),
            strict=True,
        )
    )
    true_ranked = dict(
        zip(
            _col(truth.tables["prioriteringar"], "area"),
            _col(truth.tables["prioriteringar"], "events"),
            strict=True,
        )
    )
    shown = dict(zip(_col(areas, "name"), _col(areas, "events"), strict=True))
    leaks = []
    for area, v in zip(_col(ranking, "area"), _col(ranking, "events"), strict=True):
        if area not in shown or true_areas.get(area) != true_ranked.get(area):
            continue  # not the same count (another layer's area, another placement)
        other = shown[area]
        if (v == HIDDEN) != (other == HIDDEN):
            leaks.append(f"{name}: {area} hidden in one table, shown in the other")
    return leaks


def _check_sentences(name, tables, truth, whole) -> list[str]:
    leaks = []
    ref = tables.get("jamforelse")
    if ref is not None and any(
        row[ref["columns"].index("events")] == HIDDEN for row in ref["rows"][:1]
    ):
        for sentence in truth.reference_sentences:
            if sentence in whole:
                leaks.append(f"{name}: the reference sentence states a hidden count's rate")
    weeks = tables.get("veckor")
    if weeks is not None:
        for start, v in zip(_col(weeks, "week_start"), _col(weeks, "events"), strict=True):
            sentence = truth.week_sentences.get(str(start))
            if v == HIDDEN and sentence and sentence in whole:
                leaks.append(f"{name}: the sentence of hidden week {start}")
    for key, col in (("kategorier", "name"), ("omraden", "name")):
        t = tables.get(key)
        if t is None:
            continue
        for label, v in zip(_col(t, col), _col(t, "events"), strict=True):
            if v == HIDDEN and re.search(re.escape(f"{label} (") + r"\d", whole):
                leaks.append(f"{name}: a sentence gives hidden {label} a number")
    return leaks


# --- the producers -----------------------------------------------------------------------------
def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _page(name, client, code, report) -> Output:
    url = reverse("situation:report_detail", kwargs={"code": code, "pk": report.pk})
    return from_html(name, _get(client, url))


def _json(name, client, code, report) -> Output:
    url = reverse("situation:report_json", kwargs={"code": code, "pk": report.pk})
    return from_json(name, _get(client, url))


def _api(name, client, code, report) -> Output:
    url = reverse("api:situation-report-detail", kwargs={"code": code, "pk": report.pk})
    return from_json(name, _get(client, url))


def _public_page(name, client, code, report) -> Output:
    url = reverse("situation:public_report_detail", kwargs={"code": code, "pk": report.pk})
    return from_html(name, _get(client, url))


def _public_json(name, client, code, report) -> Output:
    url = reverse("situation:public_report_json", kwargs={"code": code, "pk": report.pk})
    return from_json(name, _get(client, url))


def _public_list(name, client, code, report) -> Output:
    return Output(
        name, None, _get(client, reverse("situation:public_reports", kwargs={"code": code}))
    )


def _api_list(name, client, code, report) -> Output:
    url = reverse("api:situation-report-list", kwargs={"code": code})
    return Output(name, None, _get(client, url))


def _print_html(name, client, code, report) -> Output:
    """The PDF's print document (``pdf.render_print_html``), which WeasyPrint lays out: its
    tables carry the column keys like the page's."""
    return from_html(name, render_print_html(report.snapshot, report=report))


def pdf_url(name: str, code, report) -> str:
    return reverse(f"situation:{name}", kwargs={"code": code, "pk": report.pk})


def pdf_text(client, url: str) -> str:
    """The text of a PDF the client downloads."""
    import pypdfium2 as pdfium

    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    doc = pdfium.PdfDocument(content)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


# (name, who, which report, producer)
CRAWL = [
    ("council page", "viewer", "council", _page),
    ("council JSON", "viewer", "council", _json),
    ("council API", "viewer", "council", _api),
    ("public report's page for a member", "viewer", "public", _page),
    ("public report's JSON for a member", "viewer", "public", _json),
    ("public report in the API", "viewer", "public", _api),
    ("API list", "viewer", "public", _api_list),
    ("public page", "anon", "public", _public_page),
    ("public JSON", "anon", "public", _public_json),
    ("public list", "anon", "public", _public_list),
    ("council PDF's print document", "viewer", "council", _print_html),
    ("public PDF's print document", "anon", "public", _print_html),
]


@pytest.fixture
def crawled(world, settings):
    settings.BRYGGA_SITUATION_MIN_COUNT = K
    cw.build(world)
    reports = {a: cw.publish(world, a) for a in ("council", "public")}
    truth = {a: Truth(world, r) for a, r in reports.items()}
    return world, reports, truth


def test_no_audience_without_need_to_know_gets_a_small_or_recoverable_count(crawled, client_for):
    world, reports, truth = crawled
    code = world.sundsvall.code
    leaks, hidden_seen = [], 0
    for name, who, audience, produce in CRAWL:
        output = produce(name, client_for(who), code, reports[audience])
        leaks += check(output, truth[audience])
        if output.tables:
            hidden_seen += sum(
                row.count(HIDDEN) for t in output.tables.values() for row in t["rows"]
            )
    assert not leaks, "\n".join(leaks)
    # the world's small counts were there to be hidden: the crawl saw them hidden, by primary
    # suppression (a count under k) and by complementary suppression (a count of k or more)
    assert hidden_seen > 100
    public = json_tables(reports["public"].snapshot)
    complementary = 0
    for key in ("kategorier", "omraden", "kallor"):
        shown, true = _col(public[key], "events"), _col(truth["public"].tables[key], "events")
        assert HIDDEN in shown, key
        complementary += sum(1 for v, t in zip(shown, true, strict=True) if v == HIDDEN and t >= K)
    assert complementary, "complementary suppression acted somewhere"
    # and the analyst's text of the other sections went out
    for report in reports.values():
        assert report.snapshot["summary"]["text"] == cw.texts()["summary"]


def test_the_pdf_holds_no_free_text_and_no_point(crawled, client_for):
    """The PDFs read as text — a member's download of each report and the public download
    without signing in: no free text of the "other" section, no point, and the hidden label
    where counts are small (their tables are checked in the print document they are laid out
    from, in the crawl above)."""
    world, reports, truth = crawled
    code = world.sundsvall.code
    downloads = [
        ("council PDF", client_for("viewer"), pdf_url("report_pdf", code, reports["council"])),
        ("public PDF", client_for("viewer"), pdf_url("report_pdf", code, reports["public"])),
        (
            "public PDF, no sign-in",
            client_for("anon"),
            pdf_url("public_report_pdf", code, reports["public"]),
        ),
    ]
    leaks = []
    for name, client, url in downloads:
        whole = pdf_text(client, url)
        audience = "council" if name.startswith("council") else "public"
        leaks += check(Output(name, None, whole), truth[audience])
        assert HIDDEN in whole, name
    assert not leaks, "\n".join(leaks)


# --- the checker finds leaks --------------------------------------------------------------------
def test_the_checker_reports_the_partners_figures(crawled, client_for):
    """Negative controls: the partners' snapshot of the same report, as JSON and as its
    rendered page, is reported — small counts, the free text, the scores."""
    world, reports, truth = crawled
    open_snapshot = truth["public"].snapshot
    leaks = check(
        from_json("partners JSON", json.dumps(open_snapshot, ensure_ascii=False)), truth["public"]
    )
    assert any("kategorier.events" in x or "omraden.events" in x for x in leaks), leaks
    assert any("free text" in x for x in leaks)
    # the page of a report published for the partners
    partners = cw.publish(world, "partners")
    page = _page("partners page", client_for("viewer"), world.sundsvall.code, partners)
    leaks = check(page, Truth(world, partners))
    assert any("omraden.events" in x for x in leaks), leaks
    assert any("veckodag-timme" in x for x in leaks), leaks
    assert any("free text" in x for x in leaks)


def test_the_checker_reports_a_recoverable_cell_and_a_point(crawled):
    world, reports, truth = crawled
    snap = json.loads(json.dumps(reports["public"].snapshot))
    areas = json_tables(snap)["omraden"]
    i = areas["columns"].index("events")
    open_areas = truth["public"].tables["omraden"]
    hidden = [j for j, row in enumerate(areas["rows"]) if row[i] == HIDDEN]
    assert len(hidden) >= 2
    # show every hidden area but one, with its true count: the last follows from the total
    for j in hidden[:-1]:
        areas["rows"][j][i] = max(open_areas["rows"][j][i], K)
    snap["meta"]["point"] = {"type": "Point", "coordinates": [17.3, 62.39]}
    leaks = check(from_json("doctored", json.dumps(snap)), truth["public"])
    assert any("omraden.events a hidden cell can be worked out" in x for x in leaks), leaks
    assert any("a point" in x for x in leaks), leaks


# --- regressions: figures derived from hidden counts --------------------------------------------
def test_the_priority_score_is_not_shown_to_protected_audiences(crawled):
    """The score is a weighted sum of z-scores: with the shown areas' rates and the
    populations it gives a hidden area's count back."""
    world, reports, truth = crawled
    for report in reports.values():
        ranking = json_tables(report.snapshot)["prioriteringar"]
        assert ranking["rows"] and all(v is None for v in _col(ranking, "score"))
        assert [r for r in _col(ranking, "rank") if r is not None], "the ranks are still shown"
    assert any(v is not None for v in _col(truth["public"].tables["prioriteringar"], "score"))


def test_the_reference_sentence_is_left_out_where_the_municipalitys_count_is_hidden():
    """Its rate per 1,000 inhabitants times the population is the police count."""

    class Row:
        def __init__(self, events):
            self.events = events

    class Year:
        def __init__(self, events):
            self.rows = {"municipality": Row(events), "county": Row(500)}

    class D:
        class reference:  # noqa: N801
            sentence = "Sundsvall hade 0,0 polisens händelser per 1 000 invånare."
            history = [Year(40), Year(3)]

    assert paragraphs.reference(D, paragraphs.Hidden(k=K)) == []
    assert paragraphs.reference(D, paragraphs.Hidden()) == [D.reference.sentence]
    D.reference.history = [Year(40), Year(12)]
    assert paragraphs.reference(D, paragraphs.Hidden(k=K)) == [D.reference.sentence]
