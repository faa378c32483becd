"""Expectations for the pages that define survey waves: the questionnaire and its codebook
download for every member; a new wave, its edit, removal and codebook upload for those who may
import (analysts, coordinators, administrators)."""

from . import _m, members_page

DEFINERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]
YEAR = 2025  # the matrix wave of Sundsvall (its page routes take <int:year>)


def define_page():
    return _m(s200=DEFINERS, s403=["viewer", "reporter", "case_worker"], s404=["outsider"])


EXPECTED: dict[str, dict] = {
    "surveys:wave_new": define_page(),
    "surveys:wave_edit": define_page(),
    "surveys:wave_delete": define_page(),
    "surveys:codebook": define_page(),
    "surveys:questionnaire": members_page(),
    "surveys:codebook_export": members_page(),
}


def _wave(municipality, year: int, name: str):
    """The wave of that year (another module may have made it), else a new one."""
    from brygga.core.access import SystemActor
    from brygga.surveys.models import SurveyWave
    from brygga.surveys.services import wave_create

    wave = SurveyWave.objects.filter(municipality=municipality, year=year).first()
    if wave is None:
        wave = wave_create(
            actor=SystemActor("tests"), municipality=municipality, year=year, name=name
        )
    return wave


def objects(world) -> dict:
    # ``year``: the value of every route's <int:year> (see kwargs_for in test_authz_matrix)
    return {"year": _wave(world.sundsvall, YEAR, "Trygghetsmätning 2025").year}


def tenant_objects(world, municipality, marker) -> dict:
    # Timrå's marked wave has the matrix year, so Timrå's coordinator opens it under its own
    # code; Sundsvall's marked wave is another year's (Sundsvall's own pages use the matrix's)
    year = YEAR if municipality.code == "2262" else YEAR - 6
    wave = _wave(municipality, year, f"{marker} trygghetsmätning")
    return {"year": wave.year}
