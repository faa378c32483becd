"""Writes for Open311: API keys (for municipal administrators) and public service requests.

Public requests have no signed-in user: ``service_request_submit`` validates with the shared
pieces (``location.resolve``, ``check_category``) and writes the incident with
``incident_create`` as the system actor ``open311:<key prefix>`` (the key was checked; the
resolver allows a system actor everything), so the incident gets its derived fields like every
other. The incident and the contact details are written in one transaction, attributed in the
audit trail to ``open311:<key prefix>``.

Two writes deliberately bypass the change tracker (``bulk_create`` sends no signals):

* ``Open311Contact``: a tracked save would copy the e-mail address, names and phone number
  into the append-only audit table, where they could never be erased and would be readable
  without an access-log row. Instead an ``open311_contact_stored`` action row names the
  fields that were left, not their values.
* ``Open311Submission``: rate-limit bookkeeping (a keyed hash of the client address) that is
  pruned after a day; an audit row per attempt would keep the hash forever.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.context import acting_as
from brygga.audit.keys import fingerprint
from brygga.audit.services import log_action
from brygga.core.access import CHANGE, SystemActor, resolver_for
from brygga.core.models import Municipality, Organisation

from ..location import Location, resolve
from ..models import (
    Category,
    Incident,
    Open311Contact,
    Open311Key,
    Open311Request,
    Open311Submission,
    Source,
    Status,
    Visibility,
)
from ..services import check_category, incident_create
from .selectors import service_categories

# --- limits (module constants, no settings) ----------------------------------------------
KEY_LIMIT = 30  # accepted or rejected POSTs per key …
KEY_WINDOW = timedelta(minutes=1)  # … per minute
CLIENT_LIMIT = 10  # POSTs per client address …
CLIENT_WINDOW = timedelta(minutes=10)  # … per ten minutes
SUBMISSION_RETENTION = timedelta(days=1)

DESCRIPTION_MAX = 4000
ADDRESS_MAX = 200  # Incident.place_description
NAME_MAX = 100
PHONE_MAX = 40
API_KEY_MAX = 200
_PHONE = re.compile(r"^\+?[0-9 ()\-]{3,40}$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Open311Error(Exception):
    """A request the API refuses: an HTTP status and one description per problem (each
    description names the parameter it is about)."""

    def __init__(self, status: int, descriptions: list[str]):
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions


def _field_error(name: str, message: str) -> str:
    return f"{name}: {message}"


# --- keys ---------------------------------------------------------------------------------
def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def generate_key() -> str:
    """A new secret: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def _check_organisation(municipality: Municipality, organisation: Organisation | None) -> None:
    if organisation is None:
        return
    if organisation.municipality_id != municipality.pk or not organisation.is_active:
        raise ValidationError(
            {
                "reporting_organisation": _("Choose an active organisation of %(name)s.")
                % {"name": municipality.name}
            }
        )


@transaction.atomic
def open311_key_create(
    *,
    actor,
    municipality: Municipality,
    name: str,
    reporting_organisation: Organisation | None = None,
) -> tuple[Open311Key, str]:
    """Create a key; returns it with the secret, which is shown once and never stored (only
    its SHA-256 and its first eight characters are)."""
    if not resolver_for(actor).can_create_in(Open311Key, municipality):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    _check_organisation(municipality, reporting_organisation)
    raw = generate_key()
    key = Open311Key(
        municipality=municipality,
        name=name,
        key_prefix=raw[:8],
        key_hash=hash_key(raw),
        reporting_organisation=reporting_organisation,
    )
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def open311_key_update(
    *, actor, key: Open311Key, name: str, reporting_organisation: Organisation | None
) -> Open311Key:
    if not resolver_for(actor).can(CHANGE, key):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    _check_organisation(key.municipality, reporting_organisation)
    key.name = name
    key.reporting_organisation = reporting_organisation
    key.full_clean()
    key.save(update_fields=["name", "reporting_organisation", "updated_at"])
    return key


@transaction.atomic
def open311_key_revoke(*, actor, key: Open311Key) -> Open311Key:
    """Revoke for good: the key stops working at once (a new key is created to replace it)."""
    if not resolver_for(actor).can(CHANGE, key):
        raise PermissionDenied
    if key.is_active:
        key.is_active = False
        key.save(update_fields=["is_active", "updated_at"])
        log_action(event_type="open311_key_revoked", subject=key)
    return key


def active_key(raw: str) -> Open311Key | None:
    if not raw:
        return None
    return (
        Open311Key.objects.select_related("municipality", "reporting_organisation")
        .filter(key_hash=hash_key(raw), is_active=True)
        .first()
    )


# --- jurisdiction -------------------------------------------------------------------------
def open311_municipalities():
    """Municipalities that take part: those with at least one active key."""
    return Municipality.objects.filter(
        pk__in=Open311Key.objects.filter(is_active=True).values("municipality_id")
    ).select_related("county")


def jurisdiction_for(raw: str | None) -> Municipality:
    """``jurisdiction_id`` is the kommunkod. Without it the installation's only taking-part
    municipality is used; with several it is required."""
    candidates = open311_municipalities()
    raw = (raw or "").strip()
    if raw:
        found = candidates.filter(code=raw[:10]).first()
        if found is None:
            raise Open311Error(
                404,
                [
                    _field_error(
                        "jurisdiction_id",
                        _("No municipality with that code takes Open311 requests here."),
                    )
                ],
            )
        return found
    found = list(candidates.order_by("code")[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise Open311Error(404, [_("No municipality takes Open311 requests here.")])
    raise Open311Error(
        400,
        [
            _field_error(
                "jurisdiction_id",
                _("Required: give the municipality code (kommunkod, four digits)."),
            )
        ],
    )


# --- rate limits --------------------------------------------------------------------------
def client_hash(address: str | None) -> str:
    """HMAC-SHA256 of the client address under SECRET_KEY: comparable, never reversible
    without the key, and the address itself is never stored."""
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), (address or "").encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _too_many() -> Open311Error:
    return Open311Error(429, [_("Too many requests. Wait a few minutes and try again.")])


def check_client_limit(client: str) -> None:
    since = timezone.now() - CLIENT_WINDOW
    if (
        Open311Submission.objects.filter(client_hash=client, created_at__gte=since).count()
        >= CLIENT_LIMIT
    ):
        raise _too_many()


def _check_key_limit(key: Open311Key) -> None:
    since = timezone.now() - KEY_WINDOW
    if Open311Submission.objects.filter(key=key, created_at__gte=since).count() >= KEY_LIMIT:
        raise _too_many()


def record_submission(*, key: Open311Key | None, client: str, accepted: bool) -> None:
    """One row per POST that reached validation (refusals for rate limits are not counted, so
    a waiting client is let in again). Not audited: see the module docstring."""
    Open311Submission.objects.bulk_create(
        [Open311Submission(key=key, client_hash=client, accepted=accepted)]
    )


def prune_submissions(*, now=None) -> int:
    """Remove rate-limit rows older than a day (raw delete: no audit rows, see above)."""
    cutoff = (now or timezone.now()) - SUBMISSION_RETENTION
    table = connection.ops.quote_name(Open311Submission._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {table} WHERE created_at < %s",  # noqa: S608 (quoted table name)
            [connection.ops.adapt_datetimefield_value(cutoff)],
        )
        return cur.rowcount


# --- parsing ------------------------------------------------------------------------------
@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.items.append(_field_error(name, message))


def clean_text(data: Mapping, name: str, problems: _Problems, *, max_length: int) -> str:
    """A text parameter: absent → "", numbers accepted, anything else refused by name."""
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(name, _("Must be text."))
        return ""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.add(name, _("Contains characters that are not valid UTF-8."))
        return ""
    text = _CONTROL.sub("", text).strip()
    if len(text) > max_length:
        problems.add(
            name,
            _("At most %(max)d characters (this one has %(n)d).")
            % {"max": max_length, "n": len(text)},
        )
        return ""
    return text


def _clean_coordinate(data: Mapping, name: str, problems: _Problems) -> float | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        problems.add(name, _("Must be a decimal number in WGS84 degrees, e.g. 62.3908."))
        return None
    if not math.isfinite(number):
        problems.add(name, _("Must be a decimal number in WGS84 degrees, e.g. 62.3908."))
        return None
    return number


def _find_category(municipality: Municipality, code: str) -> Category | None:
    matches = [c for c in service_categories(municipality) if c.code == code]
    # A municipality's own category wins over a national one with the same code.
    matches.sort(key=lambda c: c.municipality_id is None)
    return matches[0] if matches else None


@dataclass(frozen=True)
class _Cleaned:
    category: Category
    location: Location
    description: str
    address: str
    contact: dict


def _validate(municipality: Municipality, data: Mapping) -> _Cleaned:
    problems = _Problems()
    code = clean_text(data, "service_code", problems, max_length=60)
    category = None
    if not code and not problems.items:
        problems.add("service_code", _("Required: choose a service from services.json/xml."))
    elif code:
        category = _find_category(municipality, code)
        if category is None:
            problems.add(
                "service_code",
                _("Unknown service code “%(code)s” in %(name)s.")
                % {"code": code, "name": municipality.name},
            )
        else:
            try:
                check_category(municipality, category)
            except ValidationError:
                problems.add("service_code", _("The service cannot be used here."))
                category = None

    description = clean_text(data, "description", problems, max_length=DESCRIPTION_MAX)
    address = clean_text(data, "address_string", problems, max_length=ADDRESS_MAX)
    lat_given = _present(data.get("lat"))
    lon_given = _present(data.get("long"))
    lat = _clean_coordinate(data, "lat", problems)
    lon = _clean_coordinate(data, "long", problems)
    location = None
    if lat_given or lon_given:
        if lat_given != lon_given:
            missing = "long" if lat_given else "lat"
            problems.add(missing, _("Give both lat and long (WGS84 decimal degrees)."))
        elif lat is not None and lon is not None:
            try:
                location = resolve(municipality, lat=lat, lon=lon)
            except ValidationError as exc:
                for messages in _as_dict(exc).values():
                    for message in messages:
                        problems.add("lat/long", message)
    elif address:
        location = Location()  # address only: no point, no area
    elif "address_string" not in _names(problems):
        problems.add("lat/long", _("Say where: give lat and long (WGS84), or an address_string."))

    contact = {
        "email": clean_text(data, "email", problems, max_length=254),
        "first_name": clean_text(data, "first_name", problems, max_length=NAME_MAX),
        "last_name": clean_text(data, "last_name", problems, max_length=NAME_MAX),
        "phone": clean_text(data, "phone", problems, max_length=PHONE_MAX),
    }
    if contact["email"]:
        try:
            validate_email(contact["email"])
        except ValidationError:
            problems.add("email", _("Not a valid e-mail address."))
    if contact["phone"] and not _PHONE.match(contact["phone"]):
        problems.add("phone", _("Digits, spaces, +, - and parentheses only."))

    if problems.items:
        raise Open311Error(400, problems.items)
    assert category is not None and location is not None
    return _Cleaned(category, location, description, address, contact)


def _names(problems: _Problems) -> set[str]:
    return {p.split(":", 1)[0] for p in problems.items}


def _present(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# --- the public POST ----------------------------------------------------------------------
def _attributed_to(key: Open311Key, municipality: Municipality) -> Organisation | None:
    org = key.reporting_organisation
    if org is None or org.municipality_id != municipality.pk or not org.is_active:
        return None
    return org


@transaction.atomic
def _create(key: Open311Key, municipality: Municipality, cleaned: _Cleaned, client: str):
    # Lock the key row: concurrent POSTs with one key are counted one after the other.
    Open311Key.objects.select_for_update().get(municipality_id=key.municipality_id, pk=key.pk)
    _check_key_limit(key)
    actor = SystemActor(f"open311:{key.key_prefix}")
    with acting_as(actor):
        incident = incident_create(
            actor=actor,
            municipality=municipality,
            category=cleaned.category,
            occurred_from=timezone.now(),
            location=cleaned.location,
            place_description=cleaned.address,
            description=cleaned.description,
            reporting_organisation=_attributed_to(key, municipality),
            source=Source.OPEN311,
            visibility=Visibility.SHARED,
            # Free text from the public may name or describe people: personal data until a
            # coordinator decides otherwise (need-to-know, every read logged). What the public
            # API shows is the separately published text (``open311_tip_publish``).
            has_personal_data=True,
        )
        Open311Request.objects.create(incident=incident, municipality=municipality)
        left = [name for name, value in cleaned.contact.items() if value]
        if left:
            contact = Open311Contact(
                incident=incident, municipality=municipality, **cleaned.contact
            )
            contact.full_clean()
            Open311Contact.objects.bulk_create([contact])
            log_action(
                event_type="open311_contact_stored", subject=incident, details={"fields": left}
            )
    record_submission(key=key, client=client, accepted=True)
    return incident


# --- moderation: publishing a tip's text on the public lists -------------------------------
PUBLISHED_TEXT_MAX = 5000


def _publishable(*, actor, incident: Incident) -> Open311Request:
    from ..access import can_publish_tip

    if not can_publish_tip(resolver_for(actor), incident):
        raise PermissionDenied(_("Your role may not publish public tips."))
    request, _created = Open311Request.objects.select_for_update().get_or_create(
        municipality_id=incident.municipality_id, incident=incident
    )
    return request


@transaction.atomic
def open311_tip_publish(*, actor, incident: Incident, text: str) -> Open311Request:
    """Publish ``text`` as the public text of a reviewed, shared tip on the open Open311
    lists (``requests.json|xml``). A moderation step of its own, apart from the status: the
    tip's description stays personal data; the moderator publishes a text fit for the world
    (edited if need be). Writes an ``open311_tip_published`` action row with a fingerprint of
    the text, never the text."""
    request = _publishable(actor=actor, incident=incident)
    text = (text or "").strip()
    if incident.deleted_at is not None:
        raise ValidationError({"text": [_("A removed tip cannot be published.")]})
    if incident.status != Status.REVIEWED:
        raise ValidationError(
            {"text": [_("Review the tip (status “Reviewed”) before publishing it.")]}
        )
    if incident.visibility != Visibility.SHARED:
        raise ValidationError(
            {"text": [_("A tip visible to the organisation only cannot be published.")]}
        )
    if not text:
        raise ValidationError({"text": [_("Write the text to publish.")]})
    if len(text) > PUBLISHED_TEXT_MAX:
        raise ValidationError(
            {"text": [_("At most %(n)d characters.") % {"n": PUBLISHED_TEXT_MAX}]}
        )
    request.published_text = text
    request.published_at = timezone.now()
    request.published_by = actor if getattr(actor, "pk", None) else None
    request.save(update_fields=["published_text", "published_at", "published_by"])
    log_action(
        event_type="open311_tip_published",
        subject=incident,
        details={"text": fingerprint(text), "length": len(text)},
    )
    return request


@transaction.atomic
def open311_tip_unpublish(*, actor, incident: Incident) -> Open311Request:
    """Withdraw a tip's text from the public lists (``open311_tip_unpublished``)."""
    request = _publishable(actor=actor, incident=incident)
    if request.published_at is None:
        return request
    request.published_text = ""
    request.published_at = None
    request.published_by = None
    request.save(update_fields=["published_text", "published_at", "published_by"])
    log_action(event_type="open311_tip_unpublished", subject=incident)
    return request


def service_request_submit(
    *, data: Mapping, client: str, jurisdiction_id: str | None = None
) -> Incident:
    """Validate and store one public service request. Raises :class:`Open311Error` (403 bad
    key, 400 bad input, 429 over a limit); nothing is written except the rate-limit row."""
    key = None
    try:
        problems = _Problems()
        raw_key = clean_text(data, "api_key", problems, max_length=API_KEY_MAX)
        if problems.items:
            raise Open311Error(403, problems.items)
        if not raw_key:
            raise Open311Error(
                403, [_field_error("api_key", _("Required: the API key you were given."))]
            )
        key = active_key(raw_key)
        if key is None:
            raise Open311Error(403, [_field_error("api_key", _("Unknown or revoked API key."))])
        municipality = key.municipality
        if jurisdiction_id and jurisdiction_id.strip() != municipality.code:
            raise Open311Error(
                403,
                [
                    _field_error(
                        "jurisdiction_id",
                        _("The API key belongs to another municipality (%(code)s).")
                        % {"code": municipality.code},
                    )
                ],
            )
        cleaned = _validate(municipality, data)
        return _create(key, municipality, cleaned, client)
    except Open311Error as exc:
        if exc.status != 429:
            record_submission(key=key, client=client, accepted=False)
        raise
    except ValidationError as exc:  # a model check the parsing above did not foresee
        record_submission(key=key, client=client, accepted=False)
        raise Open311Error(
            400,
            [_field_error(k, m) for k, ms in _as_dict(exc).items() for m in ms],
        ) from None


def _as_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"request": exc.messages}
