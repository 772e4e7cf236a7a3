"""Two small log-linear models, fitted with L-BFGS on sparse binary features (scipy):

- `fit_classes`: multinomial logistic regression, one weight vector per class;
- `fit_choice`: a conditional logit that picks one candidate of a group (each candidate its own features),
  as a ranker does: the score of a candidate is the sum of its features' weights, the probability its
  softmax within the group.

Both return plain dicts (feature -> weight(s)) that the extractor reads from JSON; features seen fewer than
`min_count` times are dropped, and so are weights that round to zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import optimize, sparse

BIAS = "bias"


def _vocabulary(rows: Sequence[Sequence[str]], min_count: int) -> dict[str, int]:
    counts = Counter(f for row in rows for f in set(row))
    return {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= min_count or f == BIAS))}


def _matrix(rows: Sequence[Sequence[str]], index: dict[str, int]) -> sparse.csr_matrix:
    data_rows, data_cols = [], []
    for r, row in enumerate(rows):
        for c in {index[f] for f in row if f in index}:
            data_rows.append(r)
            data_cols.append(c)
    return sparse.csr_matrix((np.ones(len(data_rows)), (data_rows, data_cols)), shape=(len(rows), len(index)))


def fit_classes(
    rows: Sequence[Sequence[str]],
    labels: Sequence[int],
    classes: int,
    l2: float = 1.0,
    min_count: int = 2,
    sample_weights: Sequence[float] | None = None,
) -> dict[str, list[float]]:
    """Weights per feature, one per class after the first (class 0 scores zero). Every row gets `bias`."""
    rows = [[BIAS, *row] for row in rows]
    index = _vocabulary(rows, min_count)
    x = _matrix(rows, index)
    n, d = x.shape
    y = np.zeros((n, classes))
    y[np.arange(n), list(labels)] = 1.0
    weight = np.ones(n) if sample_weights is None else np.asarray(sample_weights, dtype=float)
    bias = index[BIAS]

    def loss_and_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d, classes)
        scores = x @ w
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        loss = -(weight * np.log((p * y).sum(axis=1) + 1e-12)).sum()
        grad = x.T @ ((p - y) * weight[:, None])
        penalty = w.copy()
        penalty[bias] = 0.0
        return loss + 0.5 * l2 * (penalty**2).sum(), np.asarray(grad + l2 * penalty).ravel()

    result = optimize.minimize(
        loss_and_grad, np.zeros(d * classes), jac=True, method="L-BFGS-B", options={"maxiter": 1000}
    )
    w = result.x.reshape(d, classes)
    w = w[:, 1:] - w[:, :1]
    return {f: [round(float(v), 4) for v in w[i]] for f, i in index.items() if np.abs(w[i]).max() > 1e-4}


def fit_choice(
    groups: Sequence[Sequence[Sequence[str]]], chosen: Sequence[int], l2: float = 1.0, min_count: int = 2
) -> dict[str, float]:
    """Weights per feature for picking candidate `chosen[g]` of each group `groups[g]`."""
    rows = [candidate for group in groups for candidate in group]
    index = _vocabulary(rows, min_count)
    x = _matrix(rows, index)
    sizes = np.array([len(group) for group in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    gold = starts + np.asarray(chosen)
    group_of = np.repeat(np.arange(len(groups)), sizes)

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        scores = x @ w
        top = np.maximum.reduceat(scores, starts)
        e = np.exp(scores - top[group_of])
        totals = np.add.reduceat(e, starts)
        p = e / totals[group_of]
        loss = -(scores[gold] - top - np.log(totals)).sum()
        residual = p.copy()
        residual[gold] -= 1.0
        return loss + 0.5 * l2 * (w**2).sum(), np.asarray(x.T @ residual + l2 * w).ravel()

    result = optimize.minimize(
        loss_and_grad, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 1000}
    )
    return {f: round(float(result.x[i]), 4) for f, i in index.items() if abs(result.x[i]) > 1e-4}
