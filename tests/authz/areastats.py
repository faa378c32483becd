"""Expectations for the area statistics pages: the stored series and their exports for every
member, the upload and its preview for those who may manage areas."""

from . import manage_page, members_page

EXPECTED: dict[str, dict] = {
    "areastats:index": members_page(),
    "areastats:export_csv": members_page(),
    "areastats:export_xlsx": members_page(),
    "areastats:upload": manage_page(),
    "areastats:preview": manage_page(),
}

CSV = (
    "Folkmängden per region efter region och år\n\n"
    '"region";"år";"Folkmängd, totalt"\n"{code} X";"2023";"100"\n'
)


def _preview(municipality, marker):
    from brygga.areastats.models import StatImport

    return StatImport.objects.create(
        municipality=municipality,
        file_name=f"{marker}.csv",
        origin=StatImport.Origin.UPLOAD,
        state=StatImport.State.PREVIEW,
        content=CSV.format(code=f"{municipality.code}C1010").encode(),
    )


def objects(world) -> dict:
    return {"preview": _preview(world.sundsvall, "statistik").pk}


def tenant_objects(world, municipality, marker) -> dict:
    return {"preview": _preview(municipality, marker).pk}
