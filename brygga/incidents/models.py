"""Händelser: incident reports from every partner, the police events feed, imports and Open311.

Every incident belongs to one municipality (``municipality_id``, the key a Citus cluster
distributes by). A police event that the police place only in a county (``location.name`` is a
län) is stored once per municipality of that county (``Incident.county_event``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brygga.core.models import (
    Area,
    County,
    Forum,
    Municipality,
    Organisation,
    RestrictedManager,
    RestrictedQuerySet,
    TimeStamped,
)
from brygga.core.tenant_keys import TenantForeignKey, TenantOneToOneField, TenantRow


class Category(models.Model):
    """A two-level taxonomy: the national default set (municipality empty) plus each
    municipality's own additions."""

    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="incident_categories",
        verbose_name=_("municipality"),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("main category"),
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(municipality__isnull=True),
                name="category_unique_national_code",
            ),
            models.UniqueConstraint(
                fields=["municipality", "code"], name="category_unique_code_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} – {self.name}" if self.parent_id else self.name

    @property
    def top(self) -> Category:
        return self.parent if self.parent_id else self


class Source(models.TextChoices):
    MANUAL = "manual", _("Reported in Brygga")
    IMPORT = "import", _("Imported file")
    POLICE = "police", _("Police events feed")
    OPEN311 = "open311", _("Public tip (Open311)")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    REVIEWED = "reviewed", _("Reviewed")
    REJECTED = "rejected", _("Rejected")


class Visibility(models.TextChoices):
    SHARED = "shared", _("Shared with the municipality's partners")
    ORGANISATION = "organisation", _("Own organisation and coordinators only")


class IncidentQuerySet(RestrictedQuerySet):
    def alive(self) -> IncidentQuerySet:
        return self.filter(deleted_at__isnull=True)

    def in_scope_of(self, municipality_ids, county_ids) -> IncidentQuerySet:
        """Incidents of the given municipalities, county-level police events included (each
        municipality of a county holds its own copy of them: see ``Incident.county_event``).

        Written ``county IN (...) AND municipality IN (...)``: the county is the condition an
        index can start from, so both databases walk ``incident_scope_time_idx`` newest first,
        testing the municipality on the index entry, until a page is full; on a Citus cluster
        the municipality routes a one-municipality query to one shard.
        """
        return self.filter(
            county_id__in=list(county_ids), municipality_id__in=list(municipality_ids)
        )

    def one_copy_per_event(self, municipality_ids) -> IncidentQuerySet:
        """For a list that spans several municipalities: each county-level event once (the
        copy of the first of the listed municipalities in its county), as if it were stored
        once. Counts per county or for the whole country use this too."""
        first: dict[int, int] = {}
        for pk, county in (
            Municipality.objects.filter(pk__in=list(municipality_ids))
            .order_by("pk")
            .values_list("pk", "county_id")
        ):
            first.setdefault(county, pk)
        return self.filter(Q(county_event=False) | Q(municipality_id__in=list(first.values())))


class Incident(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("municipality"),
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("county")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("category")
    )
    occurred_from = models.DateTimeField(_("when (from)"), db_index=True)
    occurred_to = models.DateTimeField(
        _("when (to)"), null=True, blank=True, help_text=_("Only when the exact time is unknown.")
    )
    lat = models.FloatField(_("latitude (WGS84)"), null=True, blank=True)
    lon = models.FloatField(_("longitude (WGS84)"), null=True, blank=True)
    sweref_e = models.FloatField(_("easting (SWEREF 99 TM)"), null=True, blank=True)
    sweref_n = models.FloatField(_("northing (SWEREF 99 TM)"), null=True, blank=True)
    area = TenantForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        verbose_name=_("area"),
    )
    place_description = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    count = models.PositiveIntegerField(_("number of events"), default=1)
    reporting_organisation = TenantForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_incidents",
        verbose_name=_("reporting organisation"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_incidents",
        verbose_name=_("reported by"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    source_id = models.CharField(_("source id"), max_length=100, blank=True)
    # The register an imported id belongs to (the import profile's register or name): two
    # registers may both have an id "1". Empty for every other source.
    source_register = models.CharField(_("source register"), max_length=100, blank=True)
    source_url = models.CharField(_("source link"), max_length=300, blank=True)
    source_type = models.CharField(_("type at the source"), max_length=120, blank=True)
    # The columns of an imported row that no field was chosen for, {column header: value}:
    # shown and exported where the description is (withheld with personal data).
    attributes = models.JSONField(_("details from the source"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.SHARED
    )
    has_personal_data = models.BooleanField(
        _("the text contains personal data"),
        default=False,
        help_text=_(
            "Then only the reporting organisation and coordinators can read it, and "
            "every read is logged."
        ),
    )
    is_summary = models.BooleanField(
        _("summary of several events"),
        default=False,
        help_text=_(
            "Police summaries (“Sammanfattning natt”) bundle many events; they are "
            "not counted as single incidents."
        ),
    )
    # A police event the police place only in a county (``location.name`` is a län) is
    # stored once per municipality of that county, each copy marked ``county_event``: every
    # row belongs to one municipality (the key a Citus cluster distributes by), and a
    # municipality's lists, maps and counts read its own rows only. Lists over several
    # municipalities show each such event once (``IncidentQuerySet.one_copy_per_event``).
    county_event = models.BooleanField(_("county-level police event"), default=False)
    import_job = models.ForeignKey(
        "ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When gallring cleared the free text of a report with personal data (see retention.py).
    text_disposed_at = models.DateTimeField(
        _("text disposed of"), null=True, blank=True, editable=False
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = models.Manager.from_queryset(IncidentQuerySet)()

    class Meta:
        ordering = ["-occurred_from", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "source_id"],
                condition=Q(source="police"),
                name="incident_unique_police_id",
            ),
            models.UniqueConstraint(
                fields=["municipality", "source", "source_register", "source_id"],
                condition=~Q(source_id="") & ~Q(source="police"),
                name="incident_unique_source_id_per_municipality",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="incident_count_positive"),
            models.CheckConstraint(
                condition=Q(occurred_to__isnull=True)
                | Q(occurred_to__gte=models.F("occurred_from")),
                name="incident_interval_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | (Q(lat__gte=-90) & Q(lat__lte=90) & Q(lon__gte=-180) & Q(lon__lte=180)),
                name="incident_coordinates_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "occurred_from"]),
            models.Index(fields=["municipality", "category", "occurred_from"]),
            models.Index(fields=["municipality", "area", "occurred_from"]),
            # Lists, counts and the API walk a municipality's incidents (and its county's
            # county-level police events) newest first and apply the resolver's need-to-know
            # rule and the list filters (category, area, source, status): every column they
            # test is in this index, so rows that do not match are skipped without reading
            # the table (see IncidentQuerySet.in_scope_of).
            models.Index(
                fields=[
                    "county",
                    "occurred_from",
                    "municipality",
                    "deleted_at",
                    "has_personal_data",
                    "visibility",
                    "status",
                    "source",
                    "reporting_organisation",
                    "category",
                    "area",
                ],
                name="incident_scope_time_idx",
            ),
            models.Index(fields=["lat", "lon"]),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_from).strftime("%Y-%m-%d %H:%M")
        return f"{self.category} {when}"

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class PoliceTypeMapping(models.Model):
    """Police event type → Brygga category. Unknown types are imported as "övrigt" and get a
    row here without a reviewed mapping, so an administrator can map them."""

    police_type = models.CharField(_("police event type"), max_length=120, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    is_summary = models.BooleanField(_("summary of several events"), default=False)
    reviewed = models.BooleanField(_("reviewed"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["police_type"]
        verbose_name = _("police type mapping")
        verbose_name_plural = _("police type mappings")

    def __str__(self) -> str:
        return f"{self.police_type} → {self.category}"


class ImportProfile(TenantRow, TimeStamped):
    """A saved column mapping for a recurring CSV/XLSX export."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="import_profiles"
    )
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="import_profile_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(TimeStamped):
    """One import of a file: its progress, outcome and row errors."""

    class Kind(models.TextChoices):
        POLICE = "police", _("Police events")
        TABULAR = "tabular", _("CSV/Excel")
        PLACEMENT = "placement", _("Placement in a layer")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file_name = models.CharField(_("file"), max_length=255)
    stored_file = models.CharField(max_length=500, blank=True)
    # no database constraint: jobs are a reference table on a Citus cluster, profiles are
    # distributed (Django clears the link when a profile is deleted)
    profile = models.ForeignKey(
        ImportProfile, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    options = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # When gallring removed the row errors (which quote the file's cells); the counts stay.
    details_disposed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class NilReport(TenantRow, TimeStamped):
    """ "Inget att rapportera": an organisation's explicit empty report for a week in a forum's
    weekly reporting round."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, editable=False, related_name="+"
    )
    forum = TenantForeignKey(Forum, on_delete=models.CASCADE, related_name="nil_reports")
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week (Monday)"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "forum", "organisation", "week_start"],
                name="nil_report_unique_week",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.week_start}"

    def save(self, *args, **kwargs):
        self.municipality_id = self.forum.municipality_id
        super().save(*args, **kwargs)


class Open311Key(TenantRow, TimeStamped):
    """An API key for public Open311 intake (e.g. the municipality's web form or app)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="open311_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, db_index=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    reporting_organisation = TenantForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("incidents are attributed to"),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        constraints = [
            # a key is found by its hash alone; 256 random bits do not repeat
            models.UniqueConstraint(fields=["municipality", "key_hash"], name="open311_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Open311Contact(TenantRow, models.Model):
    """Contact details a member of the public left with a tip: personal data, kept apart from
    the incident, never shown in Open311 responses, readable only by coordinators (logged)."""

    # one per incident: (municipality_id, incident_id) is unique and a composite foreign key
    # on PostgreSQL (core.tenant_keys)
    incident = TenantOneToOneField(
        Incident, on_delete=models.CASCADE, related_name="public_contact"
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    objects = RestrictedManager()

    def __str__(self) -> str:
        return f"contact for incident {self.incident_id}"


def new_public_token() -> str:
    """A public id for a tip: 128 random bits, URL-safe (22 characters). Unlike the incident's
    sequential id it says nothing about how many tips or incidents there are."""
    import secrets

    return secrets.token_urlsafe(16)


class Open311Request(TenantRow, models.Model):
    """What the public Open311 API knows of a tip: its public id (``token``, the GeoReport
    ``service_request_id``) and, once a moderator has published it, the text shown to the
    world (``published_text``, which the moderator may have edited: the tip's own description
    is personal data and never leaves Brygga). Unpublished tips are not in the public API."""

    incident = TenantOneToOneField(
        Incident, on_delete=models.CASCADE, related_name="open311_request"
    )
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(
        _("public id"), max_length=32, db_index=True, default=new_public_token, editable=False
    )
    published_text = models.TextField(_("published text"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("public Open311 request")
        verbose_name_plural = _("public Open311 requests")
        constraints = [
            # looked up by the token alone; 128 random bits do not repeat
            models.UniqueConstraint(
                fields=["municipality", "token"], name="open311_request_unique_token"
            )
        ]

    def __str__(self) -> str:
        return f"open311 request for incident {self.incident_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Open311Submission(models.Model):
    """One public POST, for rate limiting per key and per client address. The address is kept
    only as a keyed hash (never in clear) and rows older than a day can be pruned."""

    # throttling data on the coordinator of a Citus cluster (like sign-in attempts), so no
    # database constraint to the distributed keys
    key = models.ForeignKey(
        Open311Key,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="submissions",
    )
    client_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    accepted = models.BooleanField(default=True)

    objects = RestrictedManager()

    def __str__(self) -> str:
        return f"submission {self.pk}"


class DisposedSource(models.Model):
    """The source id of an incident that a user deleted and gallring then removed for good
    (``incidents.deleted``). Imports skip these ids as they skip ids already imported, so a
    re-import of the same file or police data does not bring back what was deleted. The id is
    the source's (a police event id, a row id of a file), not personal data."""

    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    source_id = models.CharField(max_length=100)
    disposed_at = models.DateTimeField()

    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "source", "source_id"],
                name="disposed_source_unique",
            ),
        ]
        indexes = [models.Index(fields=["source", "source_id"])]

    def __str__(self) -> str:
        return f"disposed {self.source}:{self.source_id}"


# Placements of incidents in areas: a module of their own (this one is at its size limit).
from .placement_models import IncidentPlacement  # noqa: E402, F401
from .rollup_models import IncidentCount, IncidentDayCount, Stream  # noqa: E402, F401
