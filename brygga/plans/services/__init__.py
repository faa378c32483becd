"""The plans app's services, one module per part; everything is importable from here."""

from .agreements import *  # noqa: F403
from .followup import *  # noqa: F403
from .meetings import *  # noqa: F403
from .plans import *  # noqa: F403
from .work import *  # noqa: F403
