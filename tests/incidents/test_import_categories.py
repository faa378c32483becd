"""Category values of the CSV/Excel import (brygga/incidents/imports/tabular/categories.py):
matched whatever the case and the diacritics and in the plural or definite form; anything else
only gets a suggestion, which the import never uses on its own."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from brygga.incidents.imports import tabular
from brygga.incidents.imports.tabular.categories import fold, stems
from brygga.incidents.models import ImportJob, Incident

from .factories import CategoryFactory

pytestmark = pytest.mark.usefixtures("default_categories")


@pytest.fixture
def index(world):
    return tabular.category_index(world.sundsvall)


def code(value, index, mapping=None):
    category = tabular.match_category(value, mapping or tabular.Mapping(), index)
    return category.code if category else None


def test_fold_ignores_case_diacritics_and_punctuation_for_the_comparison_only():
    assert fold("  SKADEGÖRELSE ") == "skadegorelse"
    assert fold("Brand i papperskorg/container") == "brand i papperskorg container"
    assert fold("Café–Åsen") == "cafe asen"
    # the value itself is kept as written (the key of a mapping keeps å, ä, ö)
    assert tabular.normalise("Skadegörelse") == "skadegörelse"


def test_inflected_forms_share_a_stem():
    assert stems("skadegorelser") & stems("skadegorelse")
    assert stems("skadegorelserna") & stems("skadegorelse")
    assert stems("klottret") & stems("klotter")
    assert stems("trafikolyckor") & stems("trafikolycka")
    assert not stems("klotter") & stems("brand")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Skadegörelse", "skadegorelse"),  # the name as written
        ("klotter", "klotter"),  # case
        ("Klotter", "klotter"),
        ("SKADEGORELSE", "skadegorelse"),  # case and diacritics
        ("Skadegörelser", "skadegorelse"),  # plural
        ("skadegörelsen", "skadegorelse"),  # definite
        ("Skadegörelserna", "skadegorelse"),  # definite plural
        ("Klottret", "klotter"),  # definite, the e before the r falls away
        ("brand", "brand"),  # the category is called "Bränder"
        ("Branden", "brand"),
        ("Stölder", "stold-inbrott-stold"),
        ("Trafikolyckor", "trafik-olycka"),
        ("Krossade rutor", "skadegorelse-fonster"),
        ("Fordonsbränder", "brand-fordon"),
        ("Övrig skadegörelse", "skadegorelse-ovrig"),  # several words
        ("klotter-stotande", "klotter-stotande"),  # a code
    ],
)
def test_category_names_match_in_other_forms(index, value, expected):
    assert code(value, index) == expected


def test_unlike_values_match_nothing_but_get_a_suggestion(index):
    for value, suggested in [
        ("Klottring", "klotter"),
        ("Skadegörelse på bilar", "skadegorelse-fordon"),
    ]:
        assert code(value, index) is None
        assert tabular.suggest_category(value, index).code == suggested
    assert tabular.suggest_category("Snatteri", index) is None
    assert tabular.suggest_category("", index) is None


def test_a_value_that_fits_two_categories_is_not_matched(world):
    CategoryFactory(municipality=world.sundsvall, code="egen-skada", name="Skadegörelsen")
    index = tabular.category_index(world.sundsvall)
    assert code("skadegörelsen", index) == "egen-skada"  # the exact name still decides
    assert code("Skadegörelserna", index) is None  # a form of both names
    assert tabular.suggest_category("Skadegörelserna", index) is not None


def test_the_mapping_choice_comes_first(index):
    mapping = tabular.Mapping(categories={"skadegörelser": "klotter"})
    assert code("Skadegörelser", index, mapping) == "klotter"


def _import(world, rows: list[str], mapping: tabular.Mapping):
    text = "datum;tid;kategori;lat;lon\n" + "".join(
        f"2024-03-05;21:15;{r};62,3908;17,3069\n" for r in rows
    )
    f = io.BytesIO(text.encode())
    detected = tabular.detect(f, "kategorier.csv")
    actor = world.users["analyst"]
    job = tabular.import_job_create(
        actor=actor, municipality=world.sundsvall, file_name="kategorier.csv", detected=detected
    )
    with translation.override("en"):
        result = tabular.run_import(
            source=f,
            file_name="kategorier.csv",
            municipality=world.sundsvall,
            mapping=mapping,
            job=job,
            actor=actor,
            detected=detected,
        )
    job.refresh_from_db()
    return result, job


def test_the_import_matches_forms_but_never_uses_a_suggestion(world):
    mapping = tabular.Mapping(
        columns={
            "date": "datum",
            "time_of_day": "tid",
            "category": "kategori",
            "lat": "lat",
            "lon": "lon",
        }
    )
    result, job = _import(world, ["Skadegörelser", "klottret", "Klottring"], mapping)
    assert job.state == ImportJob.State.FAILED and not Incident.objects.exists()
    assert result.error_count == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "kategori")]
    assert "Klottring" in job.errors[0]["message"]
    # confirmed on the mapping page, the suggestion is part of the mapping
    mapping.categories = {"klottring": "klotter"}
    _result, job = _import(world, ["Skadegörelser", "klottret", "Klottring"], mapping)
    assert job.state == ImportJob.State.DONE
    assert sorted(Incident.objects.values_list("category__code", flat=True)) == [
        "klotter",
        "klotter",
        "skadegorelse",
    ]
