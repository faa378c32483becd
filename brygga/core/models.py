"""Core domain: geography, organisations, memberships (roles), areas and forums.

Every tenant-scoped table carries ``municipality_id`` (so a national deployment can distribute
by municipality) and every queryset that serves a view or API route is restricted through
``visible_to(user, action)``, which delegates to the one resolver in ``brygga.core.access``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Re-exported: every app's models take ``RestrictedManager`` from here.
from .querysets import RestrictedManager, RestrictedQuerySet  # noqa: F401
from .tenant_keys import TenantForeignKey, TenantRow


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class GeoBounds(models.Model):
    """Bounding box and centre of a stored GeoJSON geometry, for fast prefiltering."""

    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    centre_lon = models.FloatField(null=True, blank=True, editable=False)
    centre_lat = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def set_bounds_from(self, geom) -> None:
        """Fill bbox and centre from a shapely geometry."""
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = (round(v, 7) for v in geom.bounds)
        p = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
        self.centre_lon, self.centre_lat = round(p.x, 7), round(p.y, 7)


class County(models.Model):
    """Län. Reference data shipped with Brygga (21 counties)."""

    code = models.CharField(
        _("county code"), max_length=2, unique=True, validators=[RegexValidator(r"^\d{2}$")]
    )
    name = models.CharField(_("name"), max_length=100)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self) -> str:
        return self.name


class Municipality(GeoBounds):
    """Kommun: the tenant. Reference data for all 290 municipalities ships with Brygga."""

    code = models.CharField(
        _("municipality code"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^\d{4}$", _("A municipality code has four digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("county")
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def municipality_id(self) -> int:  # uniform tenant access for the resolver and audit
        return self.pk


class PoliceArea(models.Model):
    """Lokalpolisområde, covering one or more municipalities."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    police_region = models.CharField(_("police region"), max_length=100, blank=True)
    municipalities = models.ManyToManyField(
        Municipality, related_name="police_areas", verbose_name=_("municipalities")
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("local police area")
        verbose_name_plural = _("local police areas")

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    SOCIAL_SERVICES = "social_services", _("Municipality: social services")
    SCHOOL = "school", _("Municipality: school")
    LEISURE = "leisure", _("Municipality: leisure")
    FIELD_WORK = "field_work", _("Municipality: field workers")
    URBAN_DEVELOPMENT = "urban_development", _("Municipality: urban development")
    MUNICIPAL_OTHER = "municipal_other", _("Municipality: other department")
    POLICE = "police", _("Police")
    INDEPENDENT_SCHOOL = "independent_school", _("Independent school")
    HOUSING = "housing", _("Housing company")
    FAITH = "faith", _("Church or faith community")
    SECURITY = "security", _("Security company")
    CLUB = "club", _("Club or association")
    BUSINESS = "business", _("Business")
    RESCUE = "rescue", _("Rescue service")
    REGION = "region", _("Region")
    OTHER = "other", _("Other")


class Organisation(TenantRow, TimeStamped):
    """Aktör: a municipal department, the police, a school, a housing company, a club…"""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=OrganisationKind.choices)
    parent = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("part of"),
    )
    description = models.TextField(_("description"), blank=True)
    contact_email = models.EmailField(_("contact e-mail (functional address)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="organisation_unique_name_per_municipality"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="organisation_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "kind"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    REPORTER = "reporter", _("Reporter")
    ANALYST = "analyst", _("Analyst")
    COORDINATOR = "coordinator", _("Coordinator")
    CASE_WORKER = "case_worker", _("SSPF case worker")
    MUNICIPAL_ADMIN = "municipal_admin", _("Municipal administrator")


class Membership(TenantRow, TimeStamped):
    """A user's role in an organisation, and through it in a municipality."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="memberships", editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = TenantForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    objects = RestrictedManager()

    class Meta:
        ordering = ["organisation__name", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "organisation", "role"],
                name="membership_unique_role",
            ),
        ]
        indexes = [models.Index(fields=["user", "municipality"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} ({self.organisation})"

    def save(self, *args, **kwargs):
        self.municipality_id = self.organisation.municipality_id
        super().save(*args, **kwargs)


class LayerKind(models.TextChoices):
    OWN = "own", _("The municipality's own areas")
    DESO = "deso", _("Statistical areas (DeSO)")
    REGSO = "regso", _("Statistical areas (RegSO)")
    POLICE = "police", _("Police-designated areas")
    SCHOOL_CATCHMENT = "school_catchment", _("School catchments")
    HOUSING_AREA = "housing_area", _("Housing areas")
    OTHER = "other", _("Other")


# Layers whose areas are SCB's statistical areas: codes are checked, and a municipality has
# at most one layer of each (statistics and register extracts find their areas there).
STATISTICAL_LAYER_KINDS = (LayerKind.DESO, LayerKind.REGSO)


class AreaLayer(TenantRow, TimeStamped):
    """Lager: a set of areas of one municipality (its own districts, DeSO, RegSO, school
    catchments…). Layers may overlap; a point is placed in at most one area per layer."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="area_layers",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=LayerKind.choices)
    description = models.TextField(_("description"), blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("area layer")
        verbose_name_plural = _("area layers")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="area_layer_unique_name"),
            models.UniqueConstraint(
                fields=["municipality", "kind"],
                condition=Q(kind__in=["deso", "regso"]),
                name="area_layer_one_statistical_layer_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_statistical(self) -> bool:
        return self.kind in STATISTICAL_LAYER_KINDS


class Area(TenantRow, TimeStamped, GeoBounds):
    """Område: a named polygon of a layer within a municipality. A statistical area may be
    known by its code alone until its boundary is loaded (``geometry`` empty)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="areas", verbose_name=_("municipality")
    )
    layer = TenantForeignKey(
        AreaLayer, on_delete=models.PROTECT, related_name="areas", verbose_name=_("layer")
    )
    name = models.CharField(_("name"), max_length=150)
    official_code = models.CharField(
        _("official code"),
        max_length=20,
        blank=True,
        help_text=_("For example a DeSO code such as 2281C1010."),
    )
    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)
    is_demo_geometry = models.BooleanField(
        _("approximate demo geometry"),
        default=False,
        help_text=_("The boundary is an approximation made for demonstration."),
    )
    description = models.TextField(_("description"), blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "layer", "name"], name="area_unique_name_per_layer"
            ),
            models.UniqueConstraint(
                fields=["municipality", "layer", "official_code"],
                condition=~Q(official_code=""),
                name="area_unique_code_per_layer",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "layer"]),
            models.Index(fields=["municipality", "official_code"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_boundary(self) -> bool:
        return bool(self.geometry)

    def clean(self):
        from .area_codes import check_area_code

        super().clean()
        if not (self.layer_id and self.municipality_id):
            return  # a form checks its fields before the service sets the municipality
        if self.layer.municipality_id != self.municipality_id:
            raise ValidationError({"layer": _("The layer belongs to another municipality.")})
        check_area_code(
            self.official_code, layer_kind=self.layer.kind, municipality=self.municipality
        )


class ForumKind(models.TextChoices):
    STRATEGIC_COUNCIL = "strategic_council", _("Strategic council")
    CRIME_PREVENTION_COUNCIL = "crime_prevention_council", _("Crime-prevention council (BRÅ)")
    SAFETY_GROUP = "safety_group", _("Local safety group")
    SSPF_STEERING = "sspf_steering", _("SSPF steering group")
    SSPF_WORKING = "sspf_working", _("SSPF working group")
    OTHER = "other", _("Other")


SSPF_FORUM_KINDS = (ForumKind.SSPF_STEERING, ForumKind.SSPF_WORKING)


class Forum(TenantRow, TimeStamped):
    """Samverkansforum: folkhälsoråd, BRÅ, trygghetsgrupp, SSPF group…"""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="forums",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=ForumKind.choices)
    description = models.TextField(_("description"), blank=True)
    organisations = models.ManyToManyField(
        Organisation,
        through="ForumOrganisation",
        related_name="forums",
        blank=True,
        verbose_name=_("member organisations"),
    )
    areas = models.ManyToManyField(
        Area,
        through="ForumArea",
        related_name="forums",
        blank=True,
        verbose_name=_("areas covered"),
    )
    convener = TenantForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="convened_forums",
        verbose_name=_("convener"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="forum_unique_name_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sspf(self) -> bool:
        return self.kind in SSPF_FORUM_KINDS


class _ForumLink(TenantRow, models.Model):
    """A row of a forum's many-to-many table. It carries the forum's municipality, so that the
    table distributes with its forum on a Citus cluster (``core.tenant_keys``); set it with
    ``forum.areas.set(areas, through_defaults=forum_link_defaults(forum))``."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", editable=False
    )
    forum = TenantForeignKey(Forum, on_delete=models.CASCADE)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.municipality_id = self.forum.municipality_id
        super().save(*args, **kwargs)


def forum_link_defaults(forum: Forum) -> dict:
    return {"municipality_id": forum.municipality_id}


class ForumOrganisation(_ForumLink):
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        db_table = "core_forum_organisations"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "forum", "organisation"], name="forum_organisation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.forum_id}: {self.organisation_id}"


class ForumArea(_ForumLink):
    area = TenantForeignKey(Area, on_delete=models.CASCADE)

    class Meta:
        db_table = "core_forum_areas"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "forum", "area"], name="forum_area_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.forum_id}: {self.area_id}"


class RoleSecurityPolicy(TenantRow, models.Model):
    """Whether users holding a role in a municipality must use a TOTP second factor."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="security_policies"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    otp_required = models.BooleanField(_("second factor required"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "role"], name="security_policy_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.role}"


class AccountState(models.Model):
    """What Brygga knows about an account beyond Django's user model: whether its password was
    set by someone else (a manager creating the account or setting a new password) and must be
    changed by its owner before anything else (``brygga.core.middleware``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="account_state",
        verbose_name=_("user"),
    )
    password_change_required = models.BooleanField(_("password change required"), default=False)

    objects = RestrictedManager()  # no rule: nobody reads these rows through visible_to

    class Meta:
        verbose_name = _("account state")
        verbose_name_plural = _("account states")

    def __str__(self) -> str:
        return str(self.user)


class RetentionPeriod(TenantRow, models.Model):
    """A municipality's own period for a retention rule (``brygga.core.retention``); without
    a row the rule's default applies."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="retention_periods"
    )
    rule = models.CharField(_("rule"), max_length=60)
    value = models.PositiveIntegerField(_("kept for"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "rule"], name="retention_period_unique_rule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.rule} = {self.value}"
