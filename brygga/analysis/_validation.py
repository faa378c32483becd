"""Input validation shared by the analysis modules.

Every public function in :mod:`brygga.analysis` validates its input with these
helpers and raises :class:`AnalysisInputError` (a :class:`ValueError`) with a
message that says which argument is wrong and how. The UI layer translates
these messages; they are intentionally plain English here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AnalysisInputError",
    "as_1d_float",
    "as_coordinates",
    "check_level",
    "check_positive",
    "check_same_length",
]


class AnalysisInputError(ValueError):
    """Raised when input to an analysis function is invalid.

    Subclasses :class:`ValueError`, so callers that already catch
    ``ValueError`` keep working.
    """


def _describe_nonfinite(arr: NDArray[Any], name: str) -> str:
    bad = ~np.isfinite(arr)
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(bad.sum()) - n_nan
    first = int(np.flatnonzero(bad.ravel())[0])
    return (
        f"{name} contains {int(bad.sum())} non-finite value(s) "
        f"({n_nan} NaN, {n_inf} inf; first at index {first}); "
        "remove or repair those records before the analysis"
    )


def as_1d_float(
    values: ArrayLike,
    name: str,
    *,
    allow_empty: bool = True,
    finite: bool = True,
    nonnegative: bool = False,
) -> NDArray[np.float64]:
    """Convert ``values`` to a 1-D float64 array and validate it.

    Raises :class:`AnalysisInputError` if the input is not one-dimensional,
    cannot be converted to numbers, contains NaN/inf (when ``finite``) or
    negative values (when ``nonnegative``).
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisInputError(f"{name} must be numeric: {exc}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise AnalysisInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise AnalysisInputError(f"{name} must not be empty")
    if finite and arr.size and not np.isfinite(arr).all():
        raise AnalysisInputError(_describe_nonfinite(arr, name))
    if nonnegative and arr.size and (arr < 0).any():
        raise AnalysisInputError(
            f"{name} must be non-negative; found {int((arr < 0).sum())} negative value(s)"
        )
    return arr


def as_coordinates(
    x: ArrayLike, y: ArrayLike, names: tuple[str, str] = ("x", "y")
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a pair of coordinate arrays: 1-D, same length, all finite."""
    xa = as_1d_float(x, names[0])
    ya = as_1d_float(y, names[1])
    check_same_length((xa, names[0]), (ya, names[1]))
    return xa, ya


def check_same_length(*arrays: tuple[Sequence[Any] | NDArray[Any], str]) -> int:
    """Check that all ``(array, name)`` pairs have the same length; return it."""
    lengths = [(len(a), n) for a, n in arrays]
    first_len, first_name = lengths[0]
    for length, name in lengths[1:]:
        if length != first_len:
            raise AnalysisInputError(
                f"length mismatch: {first_name} has {first_len} element(s) but {name} has {length}"
            )
    return first_len


def check_positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Check that a scalar is a finite positive number (or >= 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise AnalysisInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v):
        raise AnalysisInputError(f"{name} must be finite, got {v}")
    if allow_zero:
        if v < 0:
            raise AnalysisInputError(f"{name} must be >= 0, got {v}")
    elif v <= 0:
        raise AnalysisInputError(f"{name} must be > 0, got {v}")
    return v


def check_level(level: float, name: str = "level") -> float:
    """Check a confidence level strictly between 0 and 1 (e.g. 0.95)."""
    try:
        v = float(level)
    except (TypeError, ValueError):
        raise AnalysisInputError(f"{name} must be a number, got {level!r}") from None
    if not 0.0 < v < 1.0:
        raise AnalysisInputError(f"{name} must be between 0 and 1 (e.g. 0.95), got {v}")
    return v


def check_int(value: Any, name: str, *, minimum: int = 0) -> int:
    """Check that ``value`` is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise AnalysisInputError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if v < minimum:
        raise AnalysisInputError(f"{name} must be >= {minimum}, got {v}")
    return v
