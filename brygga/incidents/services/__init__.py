"""Writes of the incidents app (the HackSoft style: keyword-only, typed, ``@transaction.atomic``,
the permission check first). One module per part, everything importable from here:

* :mod:`.incidents` — incidents: one (:func:`incident_create`, …) and many
  (:class:`IncidentBulkWriter`); every new incident passes through :func:`set_derived_fields`;
* :mod:`.categories` — a municipality's own categories;
* :mod:`.nil_reports` — "nothing to report" in the weekly round;
* :mod:`.imports` — import profiles, new import jobs, the police type mapping.
"""

from .categories import (
    CODE_MAX_LENGTH,
    SORT_ORDER_MAX,
    category_code_for,
    create_category,
    set_category_active,
    update_category,
)
from .imports import (
    import_job_create,
    import_profile_delete,
    import_profile_save,
    police_cli_job_create,
    police_job_create,
    police_mapping_update,
)
from .incidents import (
    FUTURE_SLACK,
    PLACE_COLUMNS,
    IncidentBulkWriter,
    categories_for,
    category_usable,
    check_category,
    check_when,
    incident_create,
    incident_delete,
    incident_set_status,
    incident_update,
    incidents_create_bulk,
    reporting_organisations_for,
    set_derived_fields,
)
from .nil_reports import may_set_nil_report, nil_organisations_for, set_nil_report

__all__ = [
    "CODE_MAX_LENGTH",
    "FUTURE_SLACK",
    "PLACE_COLUMNS",
    "SORT_ORDER_MAX",
    "IncidentBulkWriter",
    "categories_for",
    "category_code_for",
    "category_usable",
    "check_category",
    "check_when",
    "create_category",
    "import_job_create",
    "import_profile_delete",
    "import_profile_save",
    "incident_create",
    "incident_delete",
    "incident_set_status",
    "incident_update",
    "incidents_create_bulk",
    "may_set_nil_report",
    "nil_organisations_for",
    "police_cli_job_create",
    "police_job_create",
    "police_mapping_update",
    "reporting_organisations_for",
    "set_category_active",
    "set_derived_fields",
    "set_nil_report",
    "update_category",
]
