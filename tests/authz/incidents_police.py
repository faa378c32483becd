"""Expectations for the police events pages (issue 3, police events import): the summary per
police type, the upload and its job status, and the police type → category mapping."""

from . import _m, members_page

IMPORTERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]
NOT_IMPORTERS = ["viewer", "reporter", "case_worker"]


def import_page():
    """Upload and job pages: those who may add an ImportJob (analyse or manage)."""
    return _m(s200=IMPORTERS, s403=NOT_IMPORTERS, s404=["outsider"])


EXPECTED: dict[str, dict] = {
    "incidents:police_summary": members_page(),
    "incidents:police_upload": import_page(),
    "incidents:police_job": import_page(),
    "incidents:police_job_status": import_page(),
    "incidents:police_mapping_list": members_page(),
    "incidents:police_mapping_edit": _m(
        s200=["system_admin"],
        s403=["viewer", "reporter", "analyst", "coordinator", "case_worker", "municipal_admin"],
        s404=["outsider"],
    ),
}


def objects(world) -> dict:
    from brygga.incidents.models import ImportJob, PoliceTypeMapping

    from ..incidents.factories import ImportJobFactory

    job = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.POLICE,
        file_name="events.json",
        state=ImportJob.State.DONE,
        created_by=world.users["analyst"],
    )
    mapping = PoliceTypeMapping.objects.get(police_type="Brand")
    return {"police_job": job.pk, "police_mapping": mapping.pk}


NO_TENANT_OBJECT = {
    "incidents:police_mapping_edit": "the police type → category mapping is national",
}


def tenant_objects(world, municipality, marker) -> dict:
    from brygga.incidents.models import ImportJob

    from ..incidents.factories import ImportJobFactory

    job = ImportJobFactory(
        municipality=municipality,
        kind=ImportJob.Kind.POLICE,
        file_name=f"{marker}.json",
        state=ImportJob.State.DONE,
    )
    return {"police_job": job.pk}
