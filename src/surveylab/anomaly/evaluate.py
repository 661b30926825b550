"""How well scores find known anomalies: recall in the top fraction, precision at k.

Examples
--------
>>> ids, scores = [1, 2, 3, 4], [0.9, 0.1, 0.8, 0.2]
>>> recall_at_fraction(ids, scores, truth=[1, 3], fraction=0.5)
1.0
>>> precision_at_k(ids, scores, truth=[1, 4], k=2)
0.5
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import RequestError

__all__ = ["evaluate", "precision_at_k", "recall_at_fraction", "top_ids"]


def top_ids(ids: Iterable[Any], scores: Iterable[float], k: int) -> list[int]:
    """The ``k`` ids of the highest scores (ties: the earlier row first; NaN scores last)."""
    id_array = np.asarray(list(ids), dtype=np.int64)
    score_array = np.asarray(list(scores), dtype=np.float64)
    if id_array.shape != score_array.shape:
        raise RequestError(f"{len(id_array)} ids but {len(score_array)} scores")
    keys = np.where(np.isnan(score_array), np.inf, -score_array)
    order = np.argsort(keys, kind="stable")
    return [int(i) for i in id_array[order[: max(0, k)]]]


def recall_at_fraction(
    ids: Iterable[Any], scores: Iterable[float], truth: Iterable[Any], fraction: float = 0.01
) -> float:
    """The share of the ``truth`` ids (those among ``ids``) found in the top ``fraction`` of
    rows by score (at least one row)."""
    if not 0 < fraction <= 1:
        raise RequestError(f"fraction must be in (0, 1], not {fraction!r}")
    id_list = list(ids)
    known = {int(i) for i in truth} & {int(i) for i in id_list}
    if not known:
        raise RequestError("none of the truth table's ids is among the scored rows")
    k = max(1, int(np.ceil(fraction * len(id_list))))
    return len(known & set(top_ids(id_list, scores, k))) / len(known)


def precision_at_k(
    ids: Iterable[Any], scores: Iterable[float], truth: Iterable[Any], k: int = 100
) -> float:
    """The share of the ``k`` highest-scored rows whose id is in ``truth``."""
    if k < 1:
        raise RequestError(f"k must be at least 1, not {k!r}")
    top = top_ids(ids, scores, k)
    wanted = {int(i) for i in truth}
    return sum(i in wanted for i in top) / len(top) if top else 0.0


def evaluate(
    ids: Iterable[Any],
    scores: Iterable[float],
    truth: Iterable[Any],
    *,
    fraction: float = 0.01,
    k: int = 100,
) -> dict[str, float]:
    """``recall@top<fraction>`` and ``precision@<k>`` together, for a report."""
    id_list, score_list, truth_list = list(ids), list(scores), list(truth)
    return {
        f"recall@top{fraction:g}": recall_at_fraction(id_list, score_list, truth_list, fraction),
        f"precision@{k}": precision_at_k(id_list, score_list, truth_list, k),
    }
