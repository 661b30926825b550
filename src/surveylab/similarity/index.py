"""The similarity index: a PCA basis, the objects' embeddings, and a faiss index over them.

A built index is a folder (``<release>/similarity/`` by default)::

    manifest.json     parameters, counts, the measured recall, the time it took
    objects.parquet   COADD_OBJECT_ID, RA, DEC, TILENAME of each embedded object, in index order
    embeddings.npy    float32 (objects, components): each object's PCA coordinates
    pca.npz           mean, components, explained (the basis the stamps are projected on)
    index.faiss       the faiss index over the embeddings

It is written into a hidden sibling folder and renamed into place only when complete
(:func:`write_index`), so a build that fails or is interrupted presents nothing, and one that
replaces an older index swaps it whole.

The faiss index is exact (``Flat``) for small releases and an inverted file (``IVF<n>,Flat``)
above ``IVF_FROM`` objects; its ``nprobe`` is chosen at build time as the smallest that reaches
``RECALL_TARGET`` recall@k against exact search on a seeded sample of queries, and the recall
measured is written in the manifest.
"""

from __future__ import annotations

import json
import math
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ErrorCategory, SurveylabError

__all__ = [
    "INDEX_DIR",
    "IVF_FROM",
    "MANIFEST",
    "RECALL_TARGET",
    "SimilarityIndex",
    "SimilarityIndexMissingError",
    "build_faiss",
    "exact_neighbours",
    "fit_pca",
    "neighbour_purity",
    "recall_at_k",
    "write_index",
]

#: The index folder's name inside the release folder.
INDEX_DIR = "similarity"
#: Files of an index folder.
MANIFEST = "manifest.json"
OBJECTS = "objects.parquet"
EMBEDDINGS = "embeddings.npy"
PCA = "pca.npz"
FAISS = "index.faiss"
#: Objects from which the index is an inverted file (below: exact search, which is fast enough).
IVF_FROM = 20_000
#: Recall@k against exact search the build tunes ``nprobe`` for.
RECALL_TARGET = 0.99
#: ``k`` and query count of the build's recall measurement.
RECALL_K = 50
RECALL_QUERIES = 500
#: ``nprobe`` values tried, in order.
NPROBES = (4, 8, 16, 32, 64, 128, 256)

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]


class SimilarityIndexMissingError(SurveylabError):
    """The release has no similarity index yet; the message names the command that builds it."""

    category = ErrorCategory.CONFLICT


# --- PCA ---------------------------------------------------------------------------------------


def fit_pca(
    sample: Floats, components: int, seed: int, power_iterations: int = 4
) -> tuple[Floats, Floats, Floats]:
    """The mean, the first ``components`` principal axes (rows) and their explained variance
    ratios of ``sample`` (objects x values), by a seeded randomized SVD (Halko et al. 2011):
    a few passes over the sample instead of a full SVD of a 5,000-column matrix."""
    rows, columns = sample.shape
    components = min(components, rows, columns)
    mean = sample.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = sample - mean
    rng = np.random.default_rng(seed)
    width = min(columns, components + 16)
    basis = centred @ rng.standard_normal((columns, width)).astype(np.float32)
    for _ in range(power_iterations):
        basis, _r = np.linalg.qr(basis)
        basis, _r = np.linalg.qr(centred.T @ basis)
        basis = centred @ basis
    q, _r = np.linalg.qr(basis)
    small = q.T @ centred
    _u, singular, axes = np.linalg.svd(small, full_matrices=False)
    total = float(np.einsum("ij,ij->", centred, centred, dtype=np.float64))
    explained = singular[:components] ** 2 / total if total > 0 else singular[:components] * 0
    axes = axes[:components]
    largest = np.argmax(np.abs(axes), axis=1)  # an axis's sign is arbitrary: fix it
    axes *= np.sign(axes[np.arange(len(axes)), largest])[:, None]
    return mean, axes.astype(np.float32), explained.astype(np.float32)


# --- search ------------------------------------------------------------------------------------


def exact_neighbours(embeddings: Floats, queries: Floats, k: int) -> tuple[Floats, Ints]:
    """The ``k`` nearest rows of ``embeddings`` to each query by brute force (squared L2
    distances, row numbers), the reference the index is measured against."""
    k = min(k, len(embeddings))
    norms = np.einsum("ij,ij->i", embeddings, embeddings)
    found_d = np.empty((len(queries), k), dtype=np.float32)
    found_i = np.empty((len(queries), k), dtype=np.int64)
    for first in range(0, len(queries), 256):
        block = queries[first : first + 256]
        d2 = (
            norms[None, :] - 2 * block @ embeddings.T + np.einsum("ij,ij->i", block, block)[:, None]
        )
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        taken = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(taken, axis=1, kind="stable")
        found_i[first : first + len(block)] = np.take_along_axis(part, order, axis=1)
        found_d[first : first + len(block)] = np.maximum(
            np.take_along_axis(taken, order, axis=1), 0
        )
    return found_d, found_i


def recall_at_k(approximate: Ints, exact: Ints) -> float:
    """The mean fraction of each query's exact ``k`` neighbours the approximate search found."""
    if approximate.size == 0:
        return 1.0
    hits = [len(set(a.tolist()) & set(e.tolist())) for a, e in zip(approximate, exact, strict=True)]
    return float(np.sum(hits) / exact.size)


def build_faiss(embeddings: Floats, seed: int, kind: str = "auto") -> tuple[Any, dict[str, Any]]:
    """A faiss index over ``embeddings`` and what was measured of it.

    ``kind``: ``"flat"`` (exact), ``"ivf"`` (an inverted file of about ``4 √n`` lists), or
    ``"auto"`` (``ivf`` from ``IVF_FROM`` objects). An IVF index gets the smallest ``nprobe``
    of ``NPROBES`` whose recall@``RECALL_K`` against exact search, on ``RECALL_QUERIES``
    seeded queries, reaches ``RECALL_TARGET``.
    """
    import faiss

    count, dimension = embeddings.shape
    if kind not in ("auto", "flat", "ivf"):
        raise SurveylabError(f"index kind must be auto, flat or ivf, not {kind!r}")
    if kind == "auto":
        kind = "ivf" if count >= IVF_FROM else "flat"
    lists = max(1, min(int(4 * math.sqrt(count)), count // 39))
    if kind == "flat" or lists < 2:
        flat = faiss.IndexFlatL2(dimension)
        flat.add(embeddings)
        return flat, {"kind": "Flat", "recall": 1.0, "nprobe": None, "lists": None}
    quantizer = faiss.IndexFlatL2(dimension)
    index: Any = faiss.IndexIVFFlat(quantizer, dimension, lists)
    index.cp.seed = seed
    index.train(embeddings)
    index.add(embeddings)
    rng = np.random.default_rng(seed)
    queries = embeddings[rng.choice(count, size=min(RECALL_QUERIES, count), replace=False)]
    k = min(RECALL_K, count)
    _d, exact = exact_neighbours(embeddings, queries, k)
    recall = 0.0
    for nprobe in NPROBES:
        index.nprobe = min(nprobe, lists)
        _found_d, found = index.search(queries, k)
        recall = recall_at_k(found, exact)
        if recall >= RECALL_TARGET or nprobe >= lists:
            break
    return index, {
        "kind": f"IVF{lists},Flat",
        "lists": lists,
        "nprobe": int(index.nprobe),
        "recall": round(recall, 5),
        "recall_k": k,
        "recall_queries": len(queries),
    }


def neighbour_purity(
    types: Mapping[int, str], neighbours: Mapping[int, Sequence[int]], kind: str = "lens"
) -> float | None:
    """The mean fraction of each ``kind`` object's neighbours (itself left out) that are of
    ``kind`` too, over the objects of ``kind`` that have neighbours; None if there are none.

    ``types`` maps object ids to their injected type (objects not in it are ordinary);
    ``neighbours`` maps a query object's id to its neighbours' ids, nearest first.
    """
    fractions = []
    for query, found in neighbours.items():
        if types.get(query) != kind:
            continue
        others = [int(n) for n in found if int(n) != int(query)]
        if others:
            fractions.append(sum(types.get(n) == kind for n in others) / len(others))
    return float(np.mean(fractions)) if fractions else None


# --- the folder --------------------------------------------------------------------------------


def write_index(
    target: Path,
    *,
    manifest: dict[str, Any],
    objects: Any,
    embeddings: Floats,
    pca: Mapping[str, Floats],
    index: Any,
) -> Path:
    """Write an index folder at ``target``: into a hidden sibling first, renamed into place when
    complete (an older index at ``target`` is replaced whole); nothing is left on failure."""
    import faiss
    import pyarrow.parquet as pq

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".tmp-{target.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        pq.write_table(objects, staging / OBJECTS)
        np.save(staging / EMBEDDINGS, embeddings)
        np.savez(staging / PCA, **dict(pca))  # type: ignore[arg-type]  # numpy's stub
        faiss.write_index(index, str(staging / FAISS))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        old = None
        if target.exists():
            old = target.parent / f".old-{target.name}-{secrets.token_hex(4)}"
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@dataclass
class SimilarityIndex:
    """A built index, loaded: search it by object or by vector.

    Attributes
    ----------
    path : Path
        The index folder.
    manifest : dict
        Its parameters and measurements (``manifest.json``).
    ids, ra, dec : arrays
        The embedded objects, in index order.
    tiles : list of str
        Each object's tile.
    embeddings : array
        Their PCA coordinates (memory-mapped).
    index : faiss.Index
    """

    path: Path
    manifest: dict[str, Any]
    ids: Ints
    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    tiles: list[str]
    embeddings: Floats
    index: Any
    _order: Ints | None = None
    _tree: Any = None

    @classmethod
    def load(cls, path: Path, command: str = "surveylab similarity build") -> SimilarityIndex:
        """The index in folder ``path``; :class:`SimilarityIndexMissingError` (naming
        ``command``) if there is none."""
        import faiss
        import pyarrow.parquet as pq

        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise SimilarityIndexMissingError(
                f"this release has no similarity index (no {path / MANIFEST}); an operator "
                f"builds it with `{command}` (or a similarity-index job)"
            )
        manifest = json.loads((path / MANIFEST).read_text())
        objects = pq.read_table(path / OBJECTS)
        index: Any = faiss.read_index(str(path / FAISS))
        if manifest.get("nprobe"):
            index.nprobe = int(manifest["nprobe"])
        return cls(
            path=path,
            manifest=manifest,
            ids=objects["COADD_OBJECT_ID"].to_numpy().astype(np.int64),
            ra=objects["RA"].to_numpy().astype(np.float64),
            dec=objects["DEC"].to_numpy().astype(np.float64),
            tiles=[str(t) for t in objects["TILENAME"].to_pylist()],
            embeddings=np.load(path / EMBEDDINGS, mmap_mode="r"),
            index=index,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, object_id: int) -> int | None:
        """The row of object ``object_id`` in the index, or None if it was not embedded."""
        if self._order is None:
            self._order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[self._order]
        at = int(np.searchsorted(sorted_ids, object_id))
        if at < len(sorted_ids) and sorted_ids[at] == object_id:
            return int(self._order[at])
        return None

    def nearest_object(self, ra: float, dec: float) -> tuple[int, float]:
        """The row of the indexed object nearest to ``(ra, dec)`` and its separation (arcsec)."""
        from scipy.spatial import cKDTree

        if self._tree is None:
            self._tree = cKDTree(_unit_vectors(self.ra, self.dec))
        chord, row = self._tree.query(_unit_vectors(np.array([ra]), np.array([dec]))[0])
        separation = math.degrees(2 * math.asin(min(1.0, float(chord) / 2))) * 3600
        return int(row), separation

    def search(self, rows: Sequence[int], k: int) -> tuple[Floats, Ints]:
        """The ``k`` nearest objects to each of the objects at ``rows``: distances (L2 in the
        embedding) and rows, nearest first (an object's nearest is itself, at distance 0)."""
        queries = np.ascontiguousarray(self.embeddings[np.asarray(rows, dtype=np.int64)])
        distances, found = self.index.search(queries, min(k, len(self)))
        return np.sqrt(np.maximum(distances, 0)), found.astype(np.int64)


def _unit_vectors(ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64]) -> Any:
    r, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=-1)
