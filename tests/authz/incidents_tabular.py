"""Expectations for the CSV/Excel import pages: analysts and those who manage the municipality
may import; other members get 403, another municipality's coordinator 404."""

from . import _m

IMPORTERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]


def import_page():
    return _m(s200=IMPORTERS, s403=["viewer", "reporter", "case_worker"], s404=["outsider"])


EXPECTED: dict[str, dict] = {
    f"incidents:{name}": import_page()
    for name in (
        "import_list",
        "import_upload",
        "import_detail",
        "import_mapping",
        "import_progress",
        "import_errors",
        "import_profile_list",
        "import_profile_delete",
        "import_profile_file",
    )
}


def objects(world) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from brygga.incidents.imports import tabular
    from brygga.incidents.models import ImportJob

    from ..incidents.factories import ImportJobFactory, ImportProfileFactory

    content = b"Tid;Kategori;Lat;Lon\n2024-03-05 21:30;Klotter;62,3908;17,3069\n"
    upload = SimpleUploadedFile("matris.csv", content)
    detected = tabular.detect(upload, "matris.csv")
    stored = tabular.store_upload(world.sundsvall, upload)
    profile = ImportProfileFactory(
        municipality=world.sundsvall,
        name="Matris",
        mapping=tabular.Mapping(columns={"occurred_at": "Tid", "category": "Kategori"}).to_json(),
    )
    pending = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.TABULAR,
        file_name="matris.csv",
        stored_file=stored,
        options={"detected": detected.to_json()},
    )
    done = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.TABULAR,
        state=ImportJob.State.DONE,
        file_name="klar.csv",
        options={"detected": detected.to_json(), "started": True},
        errors=[{"row": 3, "column": "Tid", "message": '=HYPERLINK("x")'}],
        error_count=1,
    )
    return {"import_profile": profile.pk, "import_mapping": pending.pk, "import_": done.pk}


def tenant_objects(world, municipality, marker) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from brygga.incidents.imports import tabular
    from brygga.incidents.models import ImportJob

    from ..incidents.factories import ImportJobFactory, ImportProfileFactory

    content = b"Tid;Kategori;Lat;Lon\n2024-03-05 21:30;Klotter;62,4870;17,3250\n"
    upload = SimpleUploadedFile(f"{marker}.csv", content)
    detected = tabular.detect(upload, f"{marker}.csv")
    stored = tabular.store_upload(municipality, upload)
    profile = ImportProfileFactory(municipality=municipality, name=f"{marker} importprofil")
    pending = ImportJobFactory(
        municipality=municipality,
        file_name=f"{marker}-vantar.csv",
        stored_file=stored,
        options={"detected": detected.to_json()},
    )
    done = ImportJobFactory(
        municipality=municipality,
        state=ImportJob.State.DONE,
        file_name=f"{marker}-klar.csv",
        options={"detected": detected.to_json(), "started": True},
        errors=[{"row": 3, "column": "Tid", "message": f"{marker} fel"}],
        error_count=1,
    )
    return {"import_profile": profile.pk, "import_mapping": pending.pk, "import_": done.pk}
