"""Expectations for the survey import pages: analysts and those who manage the municipality
may import (the survey app's import abilities); other members get 403, another
municipality's coordinator 404."""

from . import _m, survey_wave

IMPORTERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]


def import_page():
    return _m(s200=IMPORTERS, s403=["viewer", "reporter", "case_worker"], s404=["outsider"])


EXPECTED: dict[str, dict] = {
    f"surveys:{name}": import_page()
    for name in (
        "survey_import_upload",
        "survey_postcodes",
        "survey_import_mapping",
        "survey_import",
    )
}

CSV = "lopnr;deso;klotter\n1;{code}C1010;2\n"


def _preview(municipality, marker):
    from brygga.surveys.models import SurveyImport

    wave = survey_wave(municipality)
    return SurveyImport.objects.create(
        municipality=municipality,
        wave=wave,
        file_name=f"{marker}.csv",
        origin=SurveyImport.Origin.UPLOAD,
        state=SurveyImport.State.PREVIEW,
        content=CSV.format(code=municipality.code).encode(),
        mapping={"columns": {"lopnr": "id", "deso": "", "klotter": "q:klotter"}},
        total_rows=1,
    )


def objects(world) -> dict:
    return {"survey_import": _preview(world.sundsvall, "enkat").pk}


def tenant_objects(world, municipality, marker) -> dict:
    return {"survey_import": _preview(municipality, marker).pk}
