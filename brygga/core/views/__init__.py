"""Pages of the core domain, one module per page group. Thin: reads through selectors
(restricted by the resolver), writes through services; the municipality in the URL is resolved
for the user (:mod:`.decorators`), so another municipality's code answers 404.

The one-model pages (organisations, areas, forums, the member list, removing a role) are the
generic class-based views of :mod:`.generic`; the rest are function views. Every name that
urls.py, config/urls.py (error handlers) and other apps import is re-exported here.
"""

from .area_import import area_import
from .areas import area_create, area_delete, area_detail, area_edit, area_list
from .decorators import municipality_view, resolve_municipality
from .errors import bad_request, page_not_found, permission_denied, server_error
from .forums import forum_create, forum_delete, forum_detail, forum_edit, forum_list
from .layers import layer_create, layer_delete, layer_edit
from .members import (
    member_create,
    member_list,
    membership_delete,
    security_policy,
    user_account,
    user_detail,
)
from .organisations import (
    organisation_create,
    organisation_delete,
    organisation_detail,
    organisation_edit,
    organisation_list,
)
from .overview import home, municipality_detail, municipality_list
from .retention import retention_settings

__all__ = [
    "area_create",
    "area_delete",
    "area_detail",
    "area_edit",
    "area_import",
    "area_list",
    "bad_request",
    "forum_create",
    "layer_create",
    "layer_delete",
    "layer_edit",
    "forum_delete",
    "forum_detail",
    "forum_edit",
    "forum_list",
    "home",
    "member_create",
    "member_list",
    "membership_delete",
    "municipality_detail",
    "municipality_list",
    "municipality_view",
    "organisation_create",
    "organisation_delete",
    "organisation_detail",
    "organisation_edit",
    "organisation_list",
    "page_not_found",
    "permission_denied",
    "resolve_municipality",
    "retention_settings",
    "security_policy",
    "server_error",
    "user_account",
    "user_detail",
]
