"""The plans app's work part (services): the work log (``work_operations``), indicators and
evaluations (``work_indicators``)."""

from .work_indicators import *  # noqa: F403
from .work_indicators import __all__ as _indicators
from .work_operations import *  # noqa: F403
from .work_operations import __all__ as _operations

__all__ = [*_operations, *_indicators]
