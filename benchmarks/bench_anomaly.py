"""Anomaly scoring: a million rows of ten features against the 60 s limit, and Dask's speed-up.

Usage::

    .venv/bin/python benchmarks/bench_anomaly.py [--rows 1000000] [--trees 100] [--no-dask]

It draws ``--rows`` rows of 10 features (a mixture of five populations, 1% planted outliers),
trains the forest (``--trees`` trees, 256 rows each, 2 features per split) and scores every row
with surveylab's own path (:func:`surveylab.anomaly.model.score_matrix`, partitions of 100,000
rows by HEALPix pixel), timing:

- **local pool**: the process pool of 2 workers the jobs use by default;
- **Dask, 1 worker** and **Dask, 2 workers**: a ``LocalCluster`` of single-threaded worker
  processes (unless ``--no-dask``).

It prints the seconds of each, the scoring time's ratio to the 60 s limit (target < 1), the
ratio of Dask's 2 workers to 1 worker (the speed-up, at most 2), and recall@top1% of the planted
outliers (a check that the work is real). Exit status 1 if the local pool misses the limit.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from surveylab.anomaly import AnomalyParameters, Feature, recall_at_fraction
from surveylab.anomaly.model import score_matrix, train_model
from surveylab.cutouts.executors import CutoutExecutor, DaskExecutor, ProcessExecutor

#: Seconds allowed to score a million rows of ten features on 2 cores.
LIMIT_SECONDS = 60.0
FEATURES = 10


def sample(rows: int, seed: int = 0) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Rows x 10 features (five Gaussian populations, 1% uniform outliers) and the outliers."""
    rng = np.random.default_rng(seed)
    odd = rng.random(rows) < 0.01
    means = rng.normal(0, 4, (5, FEATURES))
    scales = rng.uniform(0.5, 1.5, (5, FEATURES))
    population = rng.integers(0, 5, rows)
    matrix = means[population] + rng.normal(size=(rows, FEATURES)) * scales[population]
    matrix[odd] = rng.uniform(-15, 15, (int(odd.sum()), FEATURES))
    return matrix, odd


def timed(
    executor: CutoutExecutor, matrix: npt.NDArray[np.float64], pixels: npt.NDArray[Any], trees: int
) -> tuple[float, float, npt.NDArray[np.float64]]:
    """Seconds to train, seconds to score, and the scores."""
    features = [Feature(f"F{i}", (f"F{i}",)) for i in range(FEATURES)]
    started = time.perf_counter()
    model = train_model(matrix, features, AnomalyParameters(trees=trees), executor)
    trained = time.perf_counter()
    scores = score_matrix(model, matrix, executor, pixels=pixels)
    return trained - started, time.perf_counter() - trained, scores


def report(label: str, train: float, score: float) -> None:
    print(f"{label:<18} train {train:7.2f} s   score {score:7.2f} s", flush=True)


def with_dask(workers: int, run: Callable[[CutoutExecutor], Any]) -> Any:
    from distributed import LocalCluster

    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed is untyped
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            return run(executor)
        finally:
            executor.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--no-dask", action="store_true", help="time the local pool only")
    args = parser.parse_args(argv)
    matrix, odd = sample(args.rows)
    pixels = np.sort(np.random.default_rng(1).integers(0, 12 * 32 * 32, args.rows))
    ids = np.arange(args.rows)
    print(
        f"{args.rows:,} rows x {FEATURES} features, {args.trees} trees; limit {LIMIT_SECONDS:g} s"
    )
    pool = ProcessExecutor(2)
    try:
        train, score, scores = timed(pool, matrix, pixels, args.trees)
    finally:
        pool.close()
    report("local pool (2)", train, score)
    recall = recall_at_fraction(ids, scores, ids[odd], 0.01)
    print(f"recall@top1% of the planted outliers: {recall:.3f}")
    ratio = score / LIMIT_SECONDS * 1_000_000 / args.rows
    print(f"{ratio:.2f} of the time limit (scoring, scaled to 1M rows)")
    if not args.no_dask:
        seconds = {}
        for workers in (1, 2):
            train_d, score_d, dask_scores = with_dask(
                workers, lambda executor: timed(executor, matrix, pixels, args.trees)
            )
            report(f"Dask, {workers} worker(s)", train_d, score_d)
            assert np.array_equal(dask_scores, scores), "Dask's scores differ from the pool's"
            seconds[workers] = score_d
        print(f"Dask speed-up, 2 workers vs 1: {seconds[1] / seconds[2]:.2f}x")
    return 0 if ratio < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
