"""Small-count protection for audiences without need-to-know: every count under k hidden, and
no hidden cell recoverable from a shown total (random lines and two-way tables)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from brygga.situation.audiences import (
    hidden_label,
    need_to_know,
    protect_line,
    protect_table,
    recoverable_cells,
)

K = 5
counts = st.integers(min_value=0, max_value=40)


def test_only_the_partners_have_need_to_know():
    assert need_to_know("partners")
    assert not need_to_know("council") and not need_to_know("public")
    assert hidden_label(5) == "<5"


def test_one_small_cell_takes_the_next_smallest_with_it():
    p = protect_line([40, 3, 12, 9], K)
    assert p.hidden.tolist() == [False, True, False, True]  # 3 alone = total − 61
    assert not p.total_hidden


def test_hidden_cells_that_add_up_to_a_small_number_hide_more():
    # 1 + 2 = 3 could be worked out from the total: the 6 is hidden too (sum 9 ≥ 5)
    p = protect_line([1, 2, 6, 30], K)
    assert p.hidden.tolist() == [True, True, True, False]


def test_zero_cells_are_hidden_but_a_zero_remainder_reveals_nobody():
    p = protect_line([0, 0, 20], K)
    assert p.hidden.tolist() == [True, True, False] and not p.total_hidden


def test_a_small_total_is_hidden():
    p = protect_line([1, 2], K)
    assert p.hidden.all() and p.total_hidden


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=15))
def test_no_line_reveals_a_small_or_recoverable_cell(values):
    p = protect_line(values, K)
    v = np.asarray(values)
    assert p.hidden[v < K].all()  # every small cell hidden
    assert recoverable_cells(v, p.hidden, not p.total_hidden, K) == []
    if not p.total_hidden:
        assert v.sum() >= K


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=7).flatmap(
        lambda r: st.lists(st.lists(counts, min_size=r, max_size=r), min_size=1, max_size=8)
    )
)
def test_no_row_or_column_of_a_table_reveals_a_cell(rows):
    m = np.asarray(rows)
    p = protect_table(m, K)
    rows_hidden, cols_hidden = p.total_hidden
    assert p.hidden[m < K].all()
    for i in range(m.shape[0]):
        assert recoverable_cells(m[i], p.hidden[i], not rows_hidden[i], K) == []
    for j in range(m.shape[1]):
        assert recoverable_cells(m[:, j], p.hidden[:, j], not cols_hidden[j], K) == []
    assert rows_hidden[m.sum(axis=1) < K].all() and cols_hidden[m.sum(axis=0) < K].all()
