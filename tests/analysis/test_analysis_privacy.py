"""Small-count suppression."""

from __future__ import annotations

import numpy as np
import pytest

from brygga.analysis import AnalysisInputError, suppress_small_counts


def test_counts_below_k_are_shown_as_less_than_k() -> None:
    res = suppress_small_counts(np.array([[0, 3, 5], [12, 4, 7]]), k=5)
    assert res.labels.tolist() == [["<5", "<5", "5"], ["12", "<5", "7"]]
    assert res.suppressed.tolist() == [[True, True, False], [False, True, False]]
    assert np.isnan(res.values[res.suppressed]).all()
    assert res.values[~res.suppressed].tolist() == [5.0, 12.0, 7.0]


def test_values_suppressed_by_respondent_counts() -> None:
    respondents = np.array([40, 2, 0, 9])
    share = np.array([0.126, 0.5, np.nan, 0.3333])
    res = suppress_small_counts(respondents, k=10, values=share, decimals=2, keep_zero=True)
    assert res.labels.tolist() == ["0,13", "<10", "", "<10"]
    assert res.suppressed.tolist() == [False, True, False, True]


def test_bad_input() -> None:
    with pytest.raises(AnalysisInputError, match="k"):
        suppress_small_counts([1, 2], k=0)
    with pytest.raises(AnalysisInputError, match="non-negative"):
        suppress_small_counts([1, -2])
    with pytest.raises(AnalysisInputError, match="shape"):
        suppress_small_counts([1, 2], values=[1.0])
