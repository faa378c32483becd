"""Shared helpers for the brygga.analysis tests (pure numeric; no database)."""

from __future__ import annotations

import numpy as np
import pytest


def mc_tolerance(p: np.ndarray, permutations: int, *, sigmas: float = 5.0) -> np.ndarray:
    """Tolerance for |p1 - p2| between two independent Monte Carlo p-values.

    Each pseudo p-value has binomial standard error sqrt(p (1 - p) / (P + 1));
    the difference of two independent ones has sqrt(2) times that. A wide
    margin (``sigmas``) plus a few counts of slack keeps the fixed-seed tests
    robust while still catching systematic errors.
    """
    p = np.clip(np.asarray(p, dtype=float), 1.0 / (permutations + 1), 1.0)
    se = np.sqrt(2.0 * p * (1.0 - p) / (permutations + 1))
    return sigmas * se + 3.0 / (permutations + 1)


def pytest_configure(config: pytest.Config) -> None:
    # registered by pytest-xdist too; declared here so --strict-markers passes without it
    config.addinivalue_line(
        "markers", "xdist_group(name): run tests of a group on one xdist worker"
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def mc_tol():
    """The :func:`mc_tolerance` helper as a fixture."""
    return mc_tolerance
