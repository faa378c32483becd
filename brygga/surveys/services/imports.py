"""The import of survey responses (the one writer of ``SurveyImport``): a file is kept as a
preview with a suggested column mapping, checked row by row against the wave, confirmed (a wave
that already has responses is replaced only once ``replace_confirmed``), queued for the worker
and imported through ``wave_responses_replace`` — all or nothing.

States: preview → queued → running → done | failed. Each move is one conditional UPDATE, so two
clicks or two workers cannot both move a job. The stored file is emptied when the import ends
(done or failed) unless a municipal administrator chose to keep it until ``keep_until``;
gallring (``brygga.surveys.retention``) clears kept files after their time and drops previews
left unconfirmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.core.access import resolver_for
from brygga.core.area_codes import normalise_code
from brygga.core.models import Area, Municipality
from brygga.core.retention import periods_for

from ..mapping import (
    CheckContext,
    Checked,
    QuestionSpec,
    check_rows,
    fold_label,
    suggest_mapping,
)
from ..models import PostcodeArea, SurveyImport, SurveyQuestion, SurveyWave
from ..readers import ParsedFile, SurveyReadError, read_file
from ..selectors import min_cell
from .waves import ReplaceSummary, wave_responses_replace

PREVIEW_KEPT = timedelta(days=1)
FILE_RULE = "surveys.import_files"
KEEP_DEFAULT_DAYS = 90
State = SurveyImport.State


class SurveyImportError(Exception):
    """The file cannot be imported; ``problems`` are Swedish sentences (file, row, column)."""

    def __init__(self, problems: Sequence):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems[:20]))


def _require(actor, municipality) -> None:
    if not resolver_for(actor).can_create_in(SurveyImport, municipality):
        raise PermissionDenied


def can_keep_file(actor, municipality) -> bool:
    """Only a municipal administrator may keep the original file after the import."""
    return resolver_for(actor).has_ability("administer", municipality)


def _user(actor):
    return actor if getattr(actor, "_meta", None) and getattr(actor, "pk", None) else None


def keep_days(municipality) -> int:
    return periods_for(municipality).get(FILE_RULE, KEEP_DEFAULT_DAYS)


# --- what the rows are checked against ----------------------------------------------------
def question_codes(wave: SurveyWave) -> list[str]:
    return list(
        SurveyQuestion.objects.filter(municipality_id=wave.municipality_id, wave=wave).values_list(
            "code", flat=True
        )
    )


def check_context(wave: SurveyWave) -> CheckContext:
    """The wave's questions, and the areas a respondent may be placed in: the areas of the
    wave's layer (all the municipality's areas when the wave has none), by official code and
    by name, and the postcode table of that layer."""
    mid = wave.municipality_id
    questions = SurveyQuestion.objects.filter(municipality_id=mid, wave=wave)
    areas = Area.objects.filter(municipality_id=mid)
    if wave.layer_id:
        areas = areas.filter(layer_id=wave.layer_id)
    by_code: dict[str, int] = {}
    by_name: dict[str, int] = {}
    names: dict[int, str] = {}
    for pk, name, code in areas.order_by("pk").values_list("pk", "name", "official_code"):
        names[pk] = name
        if code:
            by_code.setdefault(normalise_code(code), pk)
        by_name.setdefault(fold_label(name), pk)
    postcodes = {}
    if wave.layer_id:
        postcodes = dict(
            PostcodeArea.objects.filter(municipality_id=mid, layer_id=wave.layer_id).values_list(
                "postcode", "area_id"
            )
        )
    municipality = wave.municipality
    return CheckContext(
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        year=wave.year,
        questions={q.code: QuestionSpec.of(q) for q in questions},
        areas_by_code=by_code,
        areas_by_name=by_name,
        postcodes=postcodes,
        area_names=names if wave.layer_id else {},
        layer_name=wave.layer.name if wave.layer_id else municipality.name,
    )


def check_file(*, wave: SurveyWave, parsed: ParsedFile, mapping: dict[str, str]) -> Checked:
    """Every row of ``parsed`` checked against the wave (reads only)."""
    return check_rows(parsed, mapping, check_context(wave))


def read_job(job: SurveyImport) -> ParsedFile:
    return read_file(bytes(job.content), job.file_name, sheet=job.mapping.get("sheet") or None)


def job_columns(job: SurveyImport) -> dict[str, str]:
    return dict(job.mapping.get("columns") or {})


@dataclass
class Preview:
    parsed: ParsedFile | None
    checked: Checked | None
    problems: list[str]
    per_area: list[tuple[str, str]]
    replaces: int


def preview_of(job: SurveyImport) -> Preview:
    """What the import of ``job`` would do (the preview page and ``--dry-run``)."""
    try:
        parsed = read_job(job)
    except SurveyReadError as exc:
        return Preview(None, None, [str(exc)], [], 0)
    checked = check_file(wave=job.wave, parsed=parsed, mapping=job_columns(job))
    return Preview(
        parsed,
        checked,
        [str(p) for p in checked.problems],
        per_area_names(job.wave, checked),
        job.wave.responses,
    )


def per_area_names(wave: SurveyWave, checked: Checked) -> list[tuple[str, str]]:
    """Respondents per area as shown in the preview, the job's summary and the command: a count
    under the suppression threshold shows as "<30", as everywhere else in the app (the area's
    results will be suppressed)."""
    limit = min_cell()

    def shown(n: int) -> str:
        return str(n) if n >= limit else f"<{limit}"

    ids = [pk for pk in checked.per_area if pk is not None]
    names = dict(
        Area.objects.filter(municipality_id=wave.municipality_id, pk__in=ids).values_list(
            "pk", "name"
        )
    )
    rows = sorted((names.get(pk, str(pk)), shown(n)) for pk, n in checked.per_area.items() if pk)
    if checked.per_area.get(None):
        rows.append((_("No area"), shown(checked.per_area[None])))
    return rows


# --- the job ------------------------------------------------------------------------------
@transaction.atomic
def survey_import_preview(
    *,
    actor,
    wave: SurveyWave,
    file_name: str,
    content: bytes,
    parsed: ParsedFile,
    sheet: str = "",
    origin: str = SurveyImport.Origin.UPLOAD,
) -> SurveyImport:
    """Keep a read file with a suggested mapping until it is confirmed or cancelled.
    Previews left unconfirmed for a day are dropped here too (gallring does it otherwise)."""
    _require(actor, wave.municipality)
    SurveyImport.objects.filter(
        municipality_id=wave.municipality_id,
        state=State.PREVIEW,
        created_at__lt=timezone.now() - PREVIEW_KEPT,
    ).delete()
    return SurveyImport.objects.create(
        municipality_id=wave.municipality_id,
        wave=wave,
        file_name=file_name[:255],
        origin=origin,
        state=State.PREVIEW,
        content=content,
        mapping={
            "columns": suggest_mapping(parsed.columns, question_codes(wave)),
            "sheet": sheet,
        },
        total_rows=len(parsed.rows),
        created_by=_user(actor),
    )


@transaction.atomic
def survey_import_map(
    *, actor, job: SurveyImport, columns: dict[str, str], keep_file: bool = False
) -> SurveyImport:
    """Set the column mapping of a preview (and whether the file is kept after the import:
    municipal administrators only)."""
    _require(actor, job.municipality)
    if job.state != State.PREVIEW:
        raise SurveyImportError([_("The import has already been confirmed.")])
    job.mapping = {**job.mapping, "columns": dict(columns)}
    if keep_file and not can_keep_file(actor, job.municipality):
        raise PermissionDenied
    job.keep_until = (
        timezone.localdate() + timedelta(days=keep_days(job.municipality)) if keep_file else None
    )
    job.save(update_fields=["mapping", "keep_until", "updated_at"])
    return job


def survey_import_queue(*, actor, job: SurveyImport, replace_confirmed: bool = False) -> bool:
    """A checked preview waits for the worker (``tasks.run_survey_import``). A wave with
    responses is replaced only with ``replace_confirmed``. ``False`` when the job was no
    longer a preview (a second click)."""
    _require(actor, job.municipality)
    wave = SurveyWave.objects.filter(municipality_id=job.municipality_id, pk=job.wave_id).first()
    if wave is None:
        raise SurveyImportError([_("The wave of this import no longer exists.")])
    job.wave = wave
    preview = preview_of(job)
    if preview.problems:
        raise SurveyImportError(preview.problems)
    if wave.responses and not replace_confirmed:
        raise SurveyImportError(
            [
                _(
                    "The wave already has %(n)s responses. Confirm that they are to be replaced "
                    "by the file's."
                )
                % {"n": wave.responses}
            ]
        )
    moved = SurveyImport.objects.filter(
        pk=job.pk, municipality_id=job.municipality_id, state=State.PREVIEW
    ).update(
        state=State.QUEUED,
        replace_confirmed=bool(replace_confirmed),
        total_rows=len(preview.checked.respondents),
        done_rows=0,
        updated_at=timezone.now(),
    )
    if moved:
        job.state = State.QUEUED
        job.replace_confirmed = bool(replace_confirmed)
    return bool(moved)


def _move(job: SurveyImport, source: str, target: str, **fields) -> bool:
    moved = SurveyImport.objects.filter(
        pk=job.pk, municipality_id=job.municipality_id, state=source
    ).update(state=target, updated_at=timezone.now(), **fields)
    if moved:
        job.state = target
    return bool(moved)


def survey_import_start(job: SurveyImport) -> bool:
    """The worker takes a queued job; only one can."""
    return _move(job, State.QUEUED, State.RUNNING)


def _progress(job: SurveyImport):
    def on_progress(rows: int) -> None:
        SurveyImport.objects.filter(pk=job.pk, municipality_id=job.municipality_id).update(
            done_rows=rows, updated_at=timezone.now()
        )

    return on_progress


def survey_import_run(*, actor, job: SurveyImport) -> ReplaceSummary:
    """Import a running job: read and check the file again, replace the wave's respondents
    (one transaction, one audit row) and finish the job. Raises ``SurveyImportError`` /
    ``SurveyReadError`` (nothing written) for the caller to fail the job."""
    _require(actor, job.municipality)
    wave = SurveyWave.objects.get(municipality_id=job.municipality_id, pk=job.wave_id)
    parsed = read_job(job)
    checked = check_file(wave=wave, parsed=parsed, mapping=job_columns(job))
    if checked.problems:
        raise SurveyImportError(checked.problems)
    if wave.responses and not job.replace_confirmed:
        raise SurveyImportError([_("Replacing the wave's responses was not confirmed.")])
    with transaction.atomic():
        summary = wave_responses_replace(
            actor=actor,
            wave=wave,
            respondents=checked.respondents,
            job=job,
            on_progress=_progress(job),
        )
        fields = {
            "done_rows": summary.responses,
            "counts": {
                "responses": summary.responses,
                "replaced": summary.replaced,
                "per_area": per_area_names(wave, checked),
                "warnings": checked.warnings,
            },
            "message": "",
        }
        if job.keep_until is None:
            fields["content"] = b""
        _move(job, State.RUNNING, State.DONE, **fields)
    return summary


def survey_import_fail(job: SurveyImport, *, message: str) -> None:
    """A running job failed: nothing was imported; the file goes unless it is kept."""
    fields = {"message": message}
    if job.keep_until is None:
        fields["content"] = b""
    _move(job, State.RUNNING, State.FAILED, **fields)


def recover_stale_imports() -> list[int]:
    """Fail the running imports not touched for ``BRYGGA_IMPORT_STALE_MINUTES`` (an
    interrupted worker's: the import is one transaction, so nothing was written)."""
    from django.conf import settings

    limit = timedelta(minutes=int(getattr(settings, "BRYGGA_IMPORT_STALE_MINUTES", 30)))
    stale = SurveyImport.objects.filter(state=State.RUNNING, updated_at__lt=timezone.now() - limit)
    ids = list(stale.values_list("pk", flat=True))
    message = _(
        "The import stopped without finishing (the worker was interrupted). Nothing was "
        "imported; upload the file again."
    )
    SurveyImport.objects.filter(pk__in=ids, keep_until__isnull=True).update(content=b"")
    SurveyImport.objects.filter(pk__in=ids).update(
        state=State.FAILED, message=message, updated_at=timezone.now()
    )
    return ids


@transaction.atomic
def survey_import_discard(*, actor, job: SurveyImport) -> None:
    """Drop a preview that was not confirmed (with its file)."""
    _require(actor, job.municipality)
    if job.state == State.PREVIEW:
        job.delete()


# --- the command line -----------------------------------------------------------------------
def import_survey_file(
    *,
    actor,
    municipality: Municipality,
    year: int,
    file_name: str,
    content: bytes,
    columns: dict[str, str] | None = None,
    sheet: str = "",
    replace: bool = False,
    dry_run: bool = False,
) -> tuple[Preview, ReplaceSummary | None]:
    """``brygga import-survey``: read, map (suggested, then ``columns`` over it), check and —
    unless ``dry_run`` — import at once. Raises ``SurveyImportError`` with the problems."""
    _require(actor, municipality)
    wave = SurveyWave.objects.filter(municipality=municipality, year=year).first()
    if wave is None:
        raise SurveyImportError(
            [
                _("%(name)s has no survey wave for %(year)s. Create the wave first.")
                % {"name": municipality.name, "year": year}
            ]
        )
    try:
        parsed = read_file(content, file_name, sheet=sheet or None)
    except SurveyReadError as exc:
        raise SurveyImportError([str(exc)]) from None
    mapping = suggest_mapping(parsed.columns, question_codes(wave))
    unknown = [c for c in columns or {} if c not in parsed.columns]
    if unknown:
        raise SurveyImportError(
            [
                _("%(file)s has no column “%(column)s”.") % {"file": file_name, "column": c}
                for c in unknown
            ]
        )
    mapping.update(columns or {})
    checked = check_file(wave=wave, parsed=parsed, mapping=mapping)
    preview = Preview(
        parsed,
        checked,
        [str(p) for p in checked.problems],
        per_area_names(wave, checked) if not checked.problems else [],
        wave.responses,
    )
    if preview.problems:
        raise SurveyImportError(preview.problems)
    if dry_run:
        return preview, None
    if wave.responses and not replace:
        raise SurveyImportError(
            [
                _(
                    "The wave of %(year)s already has %(n)s responses; give --replace to "
                    "replace them."
                )
                % {"year": year, "n": wave.responses}
            ]
        )
    with transaction.atomic():
        job = SurveyImport.objects.create(
            municipality=municipality,
            wave=wave,
            file_name=file_name[:255],
            origin=SurveyImport.Origin.COMMAND,
            state=State.RUNNING,
            content=content,
            mapping={"columns": mapping, "sheet": sheet},
            replace_confirmed=replace,
            total_rows=len(checked.respondents),
            created_by=_user(actor),
        )
        summary = survey_import_run(actor=actor, job=job)
    return preview, summary


# --- gallring -------------------------------------------------------------------------------
def dispose_survey_imports(items, now) -> None:
    """Remove what ``brygga.surveys.retention`` planned: kept files cleared, unconfirmed
    previews deleted (inside the run's transaction)."""
    from brygga.core.retention import CLEAR, DELETE

    clear = [int(i.object_id) for i in items if i.action == CLEAR]
    delete = [int(i.object_id) for i in items if i.action == DELETE]
    if clear:
        SurveyImport.objects.filter(pk__in=clear).update(content=b"", keep_until=None)
    if delete:
        for job in SurveyImport.objects.filter(pk__in=delete, state=State.PREVIEW):
            job.delete()
