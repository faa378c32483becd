"""Expectations for the result pages of the safety survey: the waves, a wave's results, an
area's profile and the exports are for every member of the municipality (published aggregates,
small cells suppressed)."""

from . import api, members_page

YEAR = 2025  # the matrix wave of Sundsvall (the same as tests/authz/surveys_waves.py's)

EXPECTED: dict[str, dict] = {
    "surveys:index": members_page(),
    "surveys:wave": members_page(),
    "surveys:area": members_page(),
    "surveys:export_csv": members_page(),
    "surveys:export_xlsx": members_page(),
    "api:surveywave-list": api(),
    "api:surveywave-detail": api(s404=["outsider"]),
    "api:surveywave-results": api(s404=["outsider"]),
}


def _wave(world, municipality, year: int, name: str, areas=None):
    """The wave of that year (another module may have made it), else a new one; Sundsvall's
    matrix wave gets respondents in its two areas so the pages show figures."""
    from brygga.core.access import SystemActor
    from brygga.surveys.models import SurveyWave
    from brygga.surveys.services import wave_create, wave_responses_replace

    wave = SurveyWave.objects.filter(municipality=municipality, year=year).first()
    if wave is None:
        wave = wave_create(
            actor=SystemActor("tests"), municipality=municipality, year=year, name=name
        )
    if areas and not wave.responses:
        import numpy as np

        from ..surveys.factories import respondents_for

        rng = np.random.default_rng(7)
        people = [p for area, n in areas for p in respondents_for(area.pk, n, rng)]
        wave_responses_replace(actor=SystemActor("tests"), wave=wave, respondents=people)
        wave.refresh_from_db()
    return wave


def objects(world) -> dict:
    wave = _wave(
        world,
        world.sundsvall,
        YEAR,
        "Trygghetsmätning 2025",
        areas=[(world.areas["centrum"], 40), (world.areas["nacksta"], 35)],
    )
    # ``year``: the value of every route's <int:year> (see kwargs_for in test_authz_matrix);
    # ``surveywave``: the API's wave
    return {"year": wave.year, "surveywave": wave.pk}


def tenant_objects(world, municipality, marker) -> dict:
    # as tests/authz/surveys_waves.py: Timrå's marked wave has the matrix year, Sundsvall's
    # marked wave another year's
    year = YEAR if municipality.code == "2262" else YEAR - 6
    wave = _wave(world, municipality, year, f"{marker} trygghetsmätning")
    return {"year": wave.year, "surveywave": wave.pk}
