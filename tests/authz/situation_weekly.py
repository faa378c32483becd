"""Expectations for the EST weekly picture: the page is for every member of the municipality
(aggregated counts, the partners' area assessments, the reporting round); the assessment and
the digest opt-in are POST-only forms."""

from . import MEMBERS, _m, members_page

EXPECTED: dict[str, dict] = {
    "situation:weekly": members_page(),
    "situation:weekly_assess": _m(s405=MEMBERS, s404=["outsider"]),
    "situation:weekly_subscribe": _m(s405=MEMBERS, s404=["outsider"]),
}


def objects(world) -> dict:
    return {}


def tenant_objects(world, municipality, marker) -> dict:
    """A safety group of ``municipality`` named with ``marker`` (the page's ``?forum=``)."""
    from brygga.audit.context import acting_as
    from brygga.core.models import ForumKind

    from ..core.factories import ForumFactory

    with acting_as(label="test setup"):
        forum = ForumFactory(
            municipality=municipality, name=f"{marker} trygghetsgrupp", kind=ForumKind.SAFETY_GROUP
        )
    return {"weekly_forum": forum.pk}


FILTER_PARAMS = {"forum": "weekly_forum"}
