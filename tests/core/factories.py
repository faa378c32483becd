"""factory_boy factories for core: users, organisations, memberships (a user's role), areas,
forums and local police areas.

Every factory writes its rows as test setup: inside ``acting_as(label="test setup")``, unless
the caller already acts as someone, so the change history names them as it names the rows of
the ``world`` fixture (which is built with these factories). Without a ``municipality`` a row
belongs to Sundsvall (2281), a reference row the migrations load.
"""

from __future__ import annotations

import copy

import factory
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from shapely.geometry import shape

from brygga.audit.context import acting_as, get_actor
from brygga.core.models import (
    Area,
    AreaLayer,
    Forum,
    ForumKind,
    LayerKind,
    Membership,
    Municipality,
    Organisation,
    OrganisationKind,
    PoliceArea,
    Role,
    forum_link_defaults,
)

PASSWORD = "correct-horse-battery-9"  # every factory user's password

# A small square in central Sundsvall (WGS84 lon/lat), the default geometry of an area.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[17.30, 62.39], [17.31, 62.39], [17.31, 62.395], [17.30, 62.395], [17.30, 62.39]]
    ],
}


def municipality(code: str = "2281") -> Municipality:
    """A municipality of the reference data (Sundsvall unless ``code`` says otherwise)."""
    return Municipality.objects.get(code=code)


class SetupFactory(factory.django.DjangoModelFactory):
    """Base of every factory here: rows (and what their post-generation hooks add) are
    written as test setup."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _generate(cls, strategy, params):
        if strategy != factory.CREATE_STRATEGY or get_actor() is not None:
            return super()._generate(strategy, params)
        with acting_as(label="test setup"):
            return super()._generate(strategy, params)


class UserFactory(SetupFactory):
    """A user who signs in with ``PASSWORD``; ``superuser=True`` makes a system administrator,
    ``otp=True`` gives the user a confirmed TOTP device (their second factor)."""

    class Meta:
        model = get_user_model()

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)

    username = factory.Sequence(lambda n: f"user{n}")
    password = PASSWORD
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    is_superuser = False
    is_staff = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_user(*args, **kwargs)

    @factory.post_generation
    def otp(self, create, extracted, **kwargs):
        if create and extracted:
            TOTPDevice.objects.create(user=self, name="test", confirmed=True)


class OrganisationFactory(SetupFactory):
    class Meta:
        model = Organisation

    municipality = factory.LazyFunction(municipality)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.OTHER


class MembershipFactory(SetupFactory):
    """A role in an organisation (the municipality follows the organisation's)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VIEWER


class AreaLayerFactory(SetupFactory):
    class Meta:
        model = AreaLayer
        django_get_or_create = ("municipality", "name")

    municipality = factory.LazyFunction(municipality)
    name = "Egna områden"
    kind = LayerKind.OWN


class AreaFactory(SetupFactory):
    """An area with its bounding box and centre filled from the geometry, as the services
    fill them."""

    class Meta:
        model = Area

    municipality = factory.LazyFunction(municipality)
    name = factory.Sequence(lambda n: f"Område {n}")
    layer = factory.LazyAttribute(lambda o: AreaLayerFactory(municipality=o.municipality))
    geometry = factory.LazyFunction(lambda: copy.deepcopy(SQUARE))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        area = model_class(*args, **kwargs)
        if area.geometry:
            area.set_bounds_from(shape(area.geometry))
        area.save()
        return area


class ForumFactory(SetupFactory):
    """A forum; ``organisations=[...]`` and ``areas=[...]`` set its members and the areas it
    covers."""

    class Meta:
        model = Forum

    municipality = factory.LazyFunction(municipality)
    name = factory.Sequence(lambda n: f"Forum {n}")
    kind = ForumKind.SAFETY_GROUP

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted, through_defaults=forum_link_defaults(self))

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.areas.set(extracted, through_defaults=forum_link_defaults(self))


class PoliceAreaFactory(SetupFactory):
    """A local police area; ``municipalities=[...]`` are the municipalities it covers."""

    class Meta:
        model = PoliceArea

    name = factory.Sequence(lambda n: f"LPO {n}")

    @factory.post_generation
    def municipalities(self, create, extracted, **kwargs):
        if create and extracted:
            self.municipalities.set(extracted)
