"""Forms of the incident pages, one module per page group (``report``: report, status, weekly
round; ``categories``; ``police``; ``tabular``: the CSV/Excel import). The public names are
re-exported here (``from brygga.incidents.forms import IncidentForm``); the Open311 key form is
in ``brygga.incidents.open311.forms``."""

from .categories import CategoryCreateForm, CategoryEditForm
from .police import PoliceMappingForm, PoliceUploadForm
from .report import (
    IncidentForm,
    LenientFloatField,
    NilReportForm,
    StatusForm,
    WeekForm,
)
from .tabular import MappingForm, UploadForm

__all__ = [
    "CategoryCreateForm",
    "CategoryEditForm",
    "IncidentForm",
    "LenientFloatField",
    "MappingForm",
    "NilReportForm",
    "PoliceMappingForm",
    "PoliceUploadForm",
    "StatusForm",
    "UploadForm",
    "WeekForm",
]
