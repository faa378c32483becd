"""Spatial weights: contiguity on square grids and from neighbour lists.

Weights are ``scipy.sparse.csr_matrix`` objects of shape ``(n, n)`` with
``W[i, j] > 0`` when ``j`` is a neighbour of ``i``. Builders here return binary
weights with a zero diagonal; :func:`brygga.analysis.hotspots.gi_star` adds the
self-weight needed for Gi*.

Cells of a ``(n_rows, n_cols)`` grid are numbered row-major
(``i = row * n_cols + col``), the same order as ``array.ravel()`` and as
libpysal's ``lat2W``.

* rook: cells sharing an edge (up to 4 neighbours);
* queen: cells sharing an edge or a corner (up to 8 neighbours).

Reference: Anselin L. (1988), *Spatial Econometrics: Methods and Models*,
Kluwer, ch. 3 (contiguity weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, check_int

if TYPE_CHECKING:  # pragma: no cover
    from scipy.sparse import csr_matrix

__all__ = ["grid_contiguity", "neighbours_to_sparse"]

_OFFSETS = {
    "rook": ((-1, 0), (0, -1), (0, 1), (1, 0)),
    "queen": ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)),
}


def grid_contiguity(
    n_rows: int,
    n_cols: int,
    kind: str = "queen",
    *,
    mask: ArrayLike | None = None,
) -> csr_matrix:
    """Binary rook or queen contiguity for a regular grid.

    Args:
        n_rows, n_cols: grid shape.
        kind: ``"queen"`` (8-neighbourhood) or ``"rook"`` (4-neighbourhood).
        mask: optional ``(n_rows, n_cols)`` bool array; only True cells take
            part and they are numbered row-major among themselves (the order
            of ``array[mask]``). Cells outside the mask are not neighbours of
            anything.

    Returns:
        ``(n, n)`` CSR matrix of 0/1 weights with zero diagonal, symmetric,
        column indices sorted within each row.
    """
    from scipy import sparse

    check_int(n_rows, "n_rows", minimum=1)
    check_int(n_cols, "n_cols", minimum=1)
    if kind not in _OFFSETS:
        raise AnalysisInputError(f"kind must be 'queen' or 'rook', got {kind!r}")
    n_all = n_rows * n_cols
    if mask is None:
        keep = np.ones((n_rows, n_cols), dtype=bool)
    else:
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != (n_rows, n_cols):
            raise AnalysisInputError(f"mask must have shape {(n_rows, n_cols)}, got {keep.shape}")
    new_id = np.full(n_all, -1, dtype=np.int64)
    new_id[keep.ravel()] = np.arange(int(keep.sum()))
    rr, cc = np.nonzero(keep)
    src_parts = []
    dst_parts = []
    for dr, dc in _OFFSETS[kind]:
        r2 = rr + dr
        c2 = cc + dc
        ok = (r2 >= 0) & (r2 < n_rows) & (c2 >= 0) & (c2 < n_cols)
        i = rr[ok] * n_cols + cc[ok]
        j = r2[ok] * n_cols + c2[ok]
        jj = new_id[j]
        valid = jj >= 0
        src_parts.append(new_id[i][valid])
        dst_parts.append(jj[valid])
    n = int(keep.sum())
    src = np.concatenate(src_parts) if src_parts else np.empty(0, np.int64)
    dst = np.concatenate(dst_parts) if dst_parts else np.empty(0, np.int64)
    w = sparse.csr_matrix((np.ones(src.size, dtype=np.float64), (src, dst)), shape=(n, n))
    w.sum_duplicates()
    w.sort_indices()
    return w


def neighbours_to_sparse(
    neighbours: Sequence[Sequence[int]] | dict[int, Sequence[int]],
    n: int | None = None,
    *,
    weights: Sequence[Sequence[float]] | None = None,
    symmetric: bool = False,
) -> csr_matrix:
    """Build a sparse weights matrix from neighbour lists (e.g. area contiguity).

    Args:
        neighbours: ``neighbours[i]`` lists the indices of the neighbours of
            area ``i`` (a list of lists, or a dict ``{i: [...]}``).
        n: number of areas (default: ``len(neighbours)`` / max key + 1).
        weights: optional per-neighbour weights parallel to ``neighbours``
            (default 1.0, i.e. binary weights).
        symmetric: if True, make the matrix symmetric (``j`` in ``i``'s list
            implies ``i`` is a neighbour of ``j``) by taking the elementwise max.

    Self-references (``i`` in its own list) are rejected; Gi* adds the
    self-weight itself.
    """
    from scipy import sparse

    if isinstance(neighbours, dict):
        keys = [int(k) for k in neighbours]
        size = (max(keys) + 1) if keys else 0
        lists: list[Sequence[int]] = [[] for _ in range(size)]
        wlists: list[Sequence[float]] | None = None
        for k, v in neighbours.items():
            lists[int(k)] = v
        if weights is not None:
            raise AnalysisInputError("weights are only supported with list-of-lists neighbours")
    else:
        lists = list(neighbours)
        wlists = list(weights) if weights is not None else None
        if wlists is not None and len(wlists) != len(lists):
            raise AnalysisInputError(
                f"length mismatch: neighbours has {len(lists)} entries but weights has {len(wlists)}"
            )
    if n is None:
        n = len(lists)
    check_int(n, "n", minimum=0)
    if len(lists) > n:
        raise AnalysisInputError(f"neighbours has {len(lists)} entries but n is {n}")
    rows: list[NDArray[Any]] = []
    cols: list[NDArray[Any]] = []
    vals: list[NDArray[Any]] = []
    for i, nb in enumerate(lists):
        idx = np.asarray(list(nb), dtype=np.int64)
        if idx.size == 0:
            continue
        if (idx < 0).any() or (idx >= n).any():
            raise AnalysisInputError(f"neighbours[{i}] contains an index outside 0..{n - 1}")
        if (idx == i).any():
            raise AnalysisInputError(
                f"neighbours[{i}] lists itself; self-weights are added by gi_star"
            )
        if np.unique(idx).size != idx.size:
            raise AnalysisInputError(f"neighbours[{i}] contains duplicates")
        if wlists is not None:
            wv = np.asarray(list(wlists[i]), dtype=np.float64)
            if wv.shape != idx.shape:
                raise AnalysisInputError(
                    f"weights[{i}] must have the same length as neighbours[{i}]"
                )
            if not np.isfinite(wv).all() or (wv < 0).any():
                raise AnalysisInputError(f"weights[{i}] must be finite and non-negative")
        else:
            wv = np.ones(idx.size)
        rows.append(np.full(idx.size, i, dtype=np.int64))
        cols.append(idx)
        vals.append(wv)
    if rows:
        r_all = np.concatenate(rows)
        c_all = np.concatenate(cols)
        v_all = np.concatenate(vals)
    else:
        r_all = c_all = np.empty(0, np.int64)
        v_all = np.empty(0)
    w = sparse.csr_matrix((v_all, (r_all, c_all)), shape=(n, n))
    if symmetric:
        w = w.maximum(w.T).tocsr()
    w.eliminate_zeros()
    w.sort_indices()
    return w
