"""Similarity search on a release: recall against exact search, query latency, build time, and
the purity of lenses' neighbours.

Usage::

    .venv/bin/python benchmarks/bench_similarity.py [--data-dir DIR] [--build] [--queries 300]
        [--k 50]

On the release in ``--data-dir`` (default ``SURVEYLAB_DATA_DIR``), building its index first if it
has none (or with ``--build``, timing it: seconds per object), it measures in the same run:

- **recall@k** of the release's index against exact (numpy) search, on ``--queries`` seeded
  objects, and of the alternatives over the same embeddings: faiss ``IVF`` at several
  ``nprobe`` and ``HNSW32`` at several ``efSearch``, with their build times;
- **latency**: p50 and p99 of ``Survey.similar(id, k)`` (the whole path: resolving the id,
  searching, making the table) and of the bare faiss search;
- **purity**: with a ``DR1_ANOMALY_TRUTH`` table (the demo's injected anomalies), the mean
  fraction of each lens's ``min(k, lenses - 1)`` nearest neighbours that are lenses, against
  the fraction of lenses in the index (what chance gives).

Limits: recall@50 >= 0.95 and p50 < 50 ms; each is printed as a ratio (>= 1 passes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from surveylab import Settings, Survey
from surveylab.similarity import (
    IndexParameters,
    SimilarityIndex,
    build_similarity_index,
    exact_neighbours,
    neighbour_purity,
    recall_at_k,
)

RECALL_LIMIT = 0.95
P50_LIMIT_MS = 50.0
TRUTH_TABLE = "DR1_ANOMALY_TRUTH"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q * 100)) if values else float("nan")


def alternatives(embeddings: np.ndarray[Any, Any], queries: np.ndarray[Any, Any], k: int,
                 exact: np.ndarray[Any, Any]) -> list[str]:  # fmt: skip
    """Recall and latency of faiss IVF and HNSW over the same embeddings."""
    import faiss

    lines = []
    count, dimension = embeddings.shape
    lists = max(2, min(int(4 * np.sqrt(count)), count // 39))
    started = time.perf_counter()
    quantizer = faiss.IndexFlatL2(dimension)
    ivf: Any = faiss.IndexIVFFlat(quantizer, dimension, lists)
    ivf.train(embeddings)
    ivf.add(embeddings)
    built = time.perf_counter() - started
    for nprobe in (4, 8, 16, 32):
        ivf.nprobe = nprobe
        lines.append(_measure(f"IVF{lists},Flat nprobe {nprobe}", ivf, queries, k, exact, built))
    started = time.perf_counter()
    hnsw: Any = faiss.IndexHNSWFlat(dimension, 32)
    hnsw.hnsw.efConstruction = 100
    hnsw.add(embeddings)
    built = time.perf_counter() - started
    for ef in (64, 128):
        hnsw.hnsw.efSearch = ef
        lines.append(_measure(f"HNSW32 efSearch {ef}", hnsw, queries, k, exact, built))
    return lines


def _measure(name: str, index: Any, queries: np.ndarray[Any, Any], k: int,
             exact: np.ndarray[Any, Any], built: float) -> str:  # fmt: skip
    seconds = []
    found = []
    for query in queries:
        started = time.perf_counter()
        _d, rows = index.search(query[None, :], k)
        seconds.append(time.perf_counter() - started)
        found.append(rows[0])
    recall = recall_at_k(np.asarray(found), exact)
    p50, p99 = percentile(seconds, 0.5) * 1e3, percentile(seconds, 0.99) * 1e3
    return (
        f"  {name:<28} build {built:6.2f} s  recall@{k} {recall:.4f}  "
        f"p50 {p50:6.3f} ms  p99 {p99:6.3f} ms"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="the release folder (default SURVEYLAB_DATA_DIR)")
    parser.add_argument("--build", action="store_true", help="(re)build the index, timed")
    parser.add_argument("--queries", type=int, default=300, help="objects queried")
    parser.add_argument("--k", type=int, default=50, help="neighbours")
    args = parser.parse_args(argv)
    settings = Settings(data_dir=Path(args.data_dir)) if args.data_dir else Settings()
    with Survey(settings) as survey:
        if args.build or not (survey.similarity_dir / "manifest.json").exists():
            print(f"building the similarity index of {survey.settings.data_dir} ...", flush=True)
            build_similarity_index(survey, survey.cutout_executor, IndexParameters())
        index: SimilarityIndex = survey.similarity_index
        manifest = index.manifest
        print(
            f"index: {manifest['objects']:,} objects of {len(manifest['tiles'])} tiles, "
            f"{manifest['kind']}, {len(index.embeddings[0])} components, built in "
            f"{manifest['seconds']:.1f} s ({manifest['seconds_per_object'] * 1e3:.2f} ms/object)"
        )
        k = min(args.k, len(index))
        rng = np.random.default_rng(0)
        rows = rng.choice(len(index), size=min(args.queries, len(index)), replace=False)
        embeddings = np.ascontiguousarray(index.embeddings)
        queries = embeddings[rows]
        _d, exact = exact_neighbours(embeddings, queries, k)
        _f, found = index.search(rows.tolist(), k)
        recall = recall_at_k(found, exact)

        whole = []
        for row in rows:
            started = time.perf_counter()
            survey.similar(int(index.ids[row]), k=k)
            whole.append(time.perf_counter() - started)
        p50 = percentile(whole, 0.5) * 1e3
        print(
            f"release index ({manifest['kind']}): recall@{k} {recall:.4f}  "
            f"Survey.similar p50 {p50:.2f} ms  p99 {percentile(whole, 0.99) * 1e3:.2f} ms"
        )
        print("alternatives over the same embeddings:")
        for line in alternatives(embeddings, queries, k, exact):
            print(line)

        tables = {table.name.upper() for table in survey.tables()}
        if TRUTH_TABLE in tables:
            truth = survey.query_arrow(f"SELECT COADD_OBJECT_ID, ANOMALY_TYPE FROM {TRUTH_TABLE}")
            types = dict(zip(truth["COADD_OBJECT_ID"].to_pylist(),
                             truth["ANOMALY_TYPE"].to_pylist(), strict=True))  # fmt: skip
            lens_rows = [r for r in range(len(index)) if types.get(int(index.ids[r])) == "lens"]
            if len(lens_rows) >= 2:
                depth = min(k, len(lens_rows) - 1) + 1  # the lens itself is first
                _d2, near = index.search(lens_rows, depth)
                neighbours = {int(index.ids[r]): [int(index.ids[n]) for n in found_rows]
                              for r, found_rows in zip(lens_rows, near, strict=True)}  # fmt: skip
                purity = neighbour_purity(types, neighbours, "lens")
                chance = len(lens_rows) / len(index)
                print(
                    f"purity: {len(lens_rows)} lenses indexed; of each one's {depth - 1} nearest "
                    f"neighbours {purity:.1%} are lenses (chance: {chance:.2%})"
                )
            else:
                print(f"purity: {len(lens_rows)} lens(es) in the index: not measured")
        else:
            print(f"purity: the release has no {TRUTH_TABLE} table: not measured")
        print(
            f"ratios (>= 1 passes): recall {recall / RECALL_LIMIT:.3f}  "
            f"p50 latency {P50_LIMIT_MS / max(p50, 1e-9):.1f}"
        )
        return 0 if recall >= RECALL_LIMIT and p50 < P50_LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
