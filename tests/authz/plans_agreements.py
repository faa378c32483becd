"""Expectations for cooperation agreements and citizen promises (plans app, agreements part):
every member of Sundsvall reads the lists, the pages and the signed document; coordinators and
administrators (``manage``) add, edit, renew, set the status, extend and publish; the outsider
from Timrå gets 404 for all of them. The public page of promises is open to everyone, signed in
or not. The API follows the pages (anonymous 403 as everywhere in the API)."""

from ..conftest import ALL_ACTORS
from . import MANAGERS, api, manage_page, members_page

EXPECTED: dict[str, dict] = {
    "plans:agreements": members_page(),
    "plans:agreement_detail": members_page(),
    "plans:agreement_document": members_page(),
    "plans:agreement_new": manage_page(),
    "plans:agreement_edit": manage_page(),
    "plans:agreement_renew": manage_page(),
    "plans:promises": members_page(),
    "plans:promise_detail": members_page(),
    "plans:promise_new": manage_page(),
    "plans:promise_edit": manage_page(),
    "plans:promise_status": manage_page(),
    "plans:promise_extend": manage_page(),
    "plans:promise_publish": manage_page(),
    "plans:public_promises": dict.fromkeys(ALL_ACTORS, 200),
    "api:plans-agreement-list": api(s404=["outsider"]),
    "api:plans-agreement-detail": api(s404=["outsider"]),
    "api:plans-promise-list": api(s404=["outsider"]),
    "api:plans-promise-detail": api(s404=["outsider"]),
}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _rows(world, municipality, title: str) -> dict:
    import datetime as dt

    from brygga.audit.context import acting_as
    from brygga.plans.models import Agreement, AgreementParty, AgreementPriority, CitizenPromise

    org = next(o for o in world.orgs.values() if o.municipality_id == municipality.pk)
    with acting_as(label="test setup"):
        agreement = Agreement.objects.create(
            municipality=municipality,
            title=f"{title} överenskommelse",
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2027, 12, 31),
            signed_document=PDF,
            signed_document_name=f"{title}.pdf",
            signed_document_type="application/pdf",
        )
        AgreementParty.objects.create(
            agreement=agreement, organisation=org, commitments=f"{title} åtagande"
        )
        AgreementPriority.objects.create(agreement=agreement, title=f"{title} prioritering")
        promise = CitizenPromise.objects.create(
            municipality=municipality,
            title=f"{title} löfte",
            text=f"{title} text",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            agreement=agreement,
            published_on=dt.date(2025, 1, 1),
        )
    return {
        "agreement_": agreement.pk,
        "promise_": promise.pk,
        "plans-agreement": agreement.pk,
        "plans-promise": promise.pk,
    }


def objects(world) -> dict:
    return _rows(world, world.sundsvall, "Matris")


def tenant_objects(world, municipality, marker) -> dict:
    return _rows(world, municipality, marker)


def api_writes(world, objs) -> dict:
    create = {
        "title": "API-löfte",
        "text": "Vi lovar mer närvaro.",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    status = {"status": "fulfilled", "status_justification": "Alla kvällar bemannade."}
    return {
        ("api:plans-promise-list", "post"): (MANAGERS, create),
        ("api:plans-promise-detail", "patch"): (MANAGERS, status),
    }
