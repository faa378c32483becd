"""Survey waves with made-up respondents for the results tests (written through the services)."""

from __future__ import annotations

import numpy as np

from brygga.audit.context import acting_as
from brygga.surveys.services import Respondent, load_template, wave_create, wave_responses_replace

AGE_GROUPS = ("16–29", "30–49", "50–64", "65–84")
GENDERS = ("Kvinna", "Man")


def respondents_for(area_id, n, rng, *, level=0.0, weights=True, groups=True, fixed=None):
    """``n`` respondents of an area answering the national template's questions. ``level``
    shifts the answers towards the worse end (-1..1); ``fixed`` gives every respondent the same
    answer to every question (its value, or the questionnaire's top non-missing answer)."""
    questions = load_template()["questions"]
    out = []
    for _ in range(n):
        answers = {}
        for q in questions:
            missing = set(q.get("missing") or [])
            values = [o["value"] for o in q["scale"] if o["value"] not in missing]
            if fixed is not None:
                answers[q["code"]] = min(fixed, values[-1])
                continue
            if rng.random() < 0.05 and missing:
                answers[q["code"]] = sorted(missing)[0]
                continue
            p = np.linspace(1.0 - level, 1.0 + level, len(values)).clip(0.05)
            answers[q["code"]] = float(rng.choice(values, p=p / p.sum()))
        out.append(
            Respondent(
                answers=answers,
                area_id=area_id,
                age_group=str(rng.choice(AGE_GROUPS)) if groups else "",
                gender=str(rng.choice(GENDERS)) if groups else "",
                weight=float(rng.uniform(0.5, 2.0)) if weights else 1.0,
            )
        )
    return out


def make_wave(actor, municipality, year, per_area: dict, *, seed=1, unplaced=0, **kw):
    """A wave of ``year`` with the national questionnaire and, per area, respondents:
    ``per_area`` maps an Area to n or to a dict of ``respondents_for`` options (with "n")."""
    rng = np.random.default_rng(seed)
    people = []
    for area, spec in per_area.items():
        spec = {"n": spec} if isinstance(spec, int) else dict(spec)
        n = spec.pop("n")
        people += respondents_for(area.pk if area is not None else None, n, rng, **spec)
    if unplaced:
        people += respondents_for(None, unplaced, rng)
    with acting_as(label="test setup"):
        wave = wave_create(
            actor=actor, municipality=municipality, year=year, sample_size=len(people) * 2, **kw
        )
        wave_responses_replace(actor=actor, wave=wave, respondents=people)
    wave.refresh_from_db()
    return wave
