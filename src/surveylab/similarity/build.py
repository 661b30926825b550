"""The ``similarity-index`` job: embed every imaged object, fit the PCA, index, write.

The build runs in two passes over the imaged tiles, each a task per tile on the cutout executor
(the local process pool, or the Dask cluster when ``SURVEYLAB_DASK_SCHEDULER`` is set):

1. a seeded sample of ``pca_sample`` objects from at most ``PCA_TILES`` seeded tiles, spread
   over them in proportion to their objects, is embedded as whole normalised stamps and the PCA
   basis is fitted on it;
2. every object brighter than ``mag_limit`` is embedded and projected on the basis in the
   worker, so only ``components`` numbers per object come back.

Memory stays bounded: a worker holds one band's image and ``CHUNK`` objects' stamps at a time,
the parent the sample and the final embeddings. The index is written with
:func:`~surveylab.similarity.index.write_index` (complete, or not at all). The work function
sees only a :class:`SimilaritySource`, not the whole :class:`~surveylab.Survey`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .._version import __version__
from ..errors import ErrorCategory, QueryCancelledError, RequestError, SurveylabError
from ..footprint import MAIN_TABLE
from .embedding import EmbedResult, EmbedTask, StampSpec, embed_tile, image_paths
from .index import MANIFEST, build_faiss, fit_pca, write_index

if TYPE_CHECKING:
    import pyarrow as pa

    from ..cutouts.executors import CutoutExecutor
    from ..footprint import Footprint, TileInfo
    from ..jobs import JobContext

__all__ = [
    "BUILD_COMMAND",
    "SIMILARITY_INDEX_JOB",
    "IndexParameters",
    "ReleaseNotWritableError",
    "SimilaritySource",
    "build_similarity_index",
    "check_writable",
    "similarity_index_work",
]

#: The job type name of similarity-index builds.
SIMILARITY_INDEX_JOB = "similarity-index"
#: The command that builds the index (named by the error for a missing one).
BUILD_COMMAND = "surveylab similarity build"
#: The magnitude the brightness limit applies to.
MAG_COLUMN = "MAG_AUTO_I"
#: Most tiles the PCA sample is drawn from (seeded): the first pass reads only these, so that
#: a release of thousands of tiles is not read twice.
PCA_TILES = 16


@dataclass(frozen=True)
class IndexParameters:
    """How the index is built (each is a job parameter of the same name).

    Attributes
    ----------
    bands : tuple of str, optional
        Bands concatenated; default: the bands every imaged tile has.
    stamp_arcsec : float
        Stamp side on the sky (default 8″: the object and a lens's arc, little of its
        neighbours; 16″ halved the purity of lenses' neighbours on the demo).
    pixels : int
        Resampled stamp side (default 32).
    mag_limit : float
        Objects with ``MAG_AUTO_I`` below this are embedded (default 23.5).
    components : int
        PCA components kept: the embedding's length (default 64).
    pca_sample : int
        Objects the PCA is fitted on (default 8192, seeded).
    seed : int
        The seed of the sample, the PCA and the index's training.
    kind : str
        ``auto``, ``flat`` or ``ivf`` (see :func:`~surveylab.similarity.index.build_faiss`).
    """

    bands: tuple[str, ...] | None = None
    stamp_arcsec: float = 8.0
    pixels: int = 32
    mag_limit: float = 23.5
    components: int = 64
    pca_sample: int = 8192
    seed: int = 0
    kind: str = "auto"

    def __post_init__(self) -> None:
        checks = (
            ("stamp_arcsec", 1.0 <= self.stamp_arcsec <= 120.0, "a number of arcsec, 1 to 120"),
            ("pixels", 4 <= self.pixels <= 128, "a whole number of pixels, 4 to 128"),
            ("mag_limit", 10.0 <= self.mag_limit <= 35.0, "a magnitude, 10 to 35"),
            ("components", 2 <= self.components <= 512, "a whole number, 2 to 512"),
            ("pca_sample", 16 <= self.pca_sample <= 200_000, "a whole number, 16 to 200,000"),
            ("seed", self.seed >= 0, "a whole number >= 0"),
            ("kind", self.kind in ("auto", "flat", "ivf"), "auto, flat or ivf"),
        )
        for name, ok, what in checks:
            if not ok:
                raise RequestError(f"{name} must be {what}, not {getattr(self, name)!r}")

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> IndexParameters:
        """The parameters of a job (or a REST body), checked; unknown keys are refused."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(parameters) - known)
        if unknown:
            raise RequestError(f"unknown parameter(s) of a similarity index: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name in ("stamp_arcsec", "mag_limit"):
            if parameters.get(name) is not None:
                values[name] = _number(parameters[name], name, float)
        for name in ("pixels", "components", "pca_sample", "seed"):
            if parameters.get(name) is not None:
                values[name] = _number(parameters[name], name, int)
        if parameters.get("kind") is not None:
            values["kind"] = str(parameters["kind"])
        bands = parameters.get("bands")
        if bands is not None:
            if isinstance(bands, str):
                bands = list(bands)
            if not isinstance(bands, list | tuple) or not all(isinstance(b, str) for b in bands):
                raise RequestError(f"bands must be a string like 'gri' or a list, not {bands!r}")
            values["bands"] = tuple(bands)
        return cls(**values)

    def to_parameters(self) -> dict[str, Any]:
        """The job parameters (JSON)."""
        data = asdict(self)
        data["bands"] = list(self.bands) if self.bands is not None else None
        return data


def _number(value: Any, name: str, kind: type[int] | type[float]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"{name} must be a number, not {value!r}")
    if kind is int and int(value) != value:
        raise RequestError(f"{name} must be a whole number, not {value!r}")
    return kind(value)


class ReleaseNotWritableError(SurveylabError):
    """The index cannot be written where it belongs: building it is the release owner's job."""

    category = ErrorCategory.FORBIDDEN


def check_writable(target: Path) -> None:
    """Refuse, before any work, to build an index whose folder cannot be written (a release
    mounted read-only for the users, as a deployment does)."""
    parent = Path(target).parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ReleaseNotWritableError(
            f"the release folder {parent} is not writable here: the similarity index is built by "
            f"the release's operator (`{BUILD_COMMAND}` where the release is writable)"
        )


class SimilaritySource(Protocol):
    """What a similarity-index build needs of the release (a :class:`~surveylab.Survey` is one)."""

    @property
    def footprint(self) -> Footprint:
        """The release's tiles and their images."""
        ...

    @property
    def release(self) -> str:
        """The release's name, written into the manifest."""
        ...

    @property
    def similarity_dir(self) -> Path:
        """Where the index is written."""
        ...

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        """Run ``sql`` on the catalog (the objects of a tile)."""
        ...


Progress = Callable[[float, str], None]


def _bands(tiles: list[TileInfo], wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    imaged = [tile for tile in tiles if tile.images]
    if not imaged:
        raise SurveylabError("the release has no tile images: there is nothing to embed")
    everywhere = [b for b in imaged[0].images if all(b in t.images for t in imaged)]
    if wanted is None:
        if not everywhere:
            raise SurveylabError("no band has images in every imaged tile; name the bands")
        return tuple(everywhere)
    have = list(dict.fromkeys(b for t in imaged for b in t.images))
    unknown = [b for b in wanted if b not in have]
    if unknown or not wanted:
        raise RequestError(
            f"bands: {', '.join(unknown) or 'none given'} not imaged; the images have "
            f"{', '.join(have)}"
        )
    return tuple(wanted)


def _tile_objects(source: SimilaritySource, tile: str, mag_limit: float) -> pa.Table:
    return source.query_arrow(
        f"SELECT COADD_OBJECT_ID, RA, DEC FROM {MAIN_TABLE} WHERE TILENAME = '{tile}' "
        f"AND {MAG_COLUMN} < {mag_limit!r} ORDER BY COADD_OBJECT_ID"
    )


def build_similarity_index(
    source: SimilaritySource,
    executor: CutoutExecutor,
    parameters: IndexParameters,
    *,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Build the release's similarity index into ``source.similarity_dir``; its manifest.

    ``progress(fraction, message)`` is called per tile of each pass; a true ``cancelled()``
    stops the build between tiles (raising :class:`QueryCancelledError`), leaving no index.
    """
    import pyarrow as pa

    check_writable(source.similarity_dir)
    started = time.perf_counter()
    report = progress or (lambda _fraction, _message: None)
    say = log or (lambda _message: None)
    tiles = [tile for tile in source.footprint if tile.images]
    bands = _bands(tiles, parameters.bands)
    tiles = [tile for tile in tiles if all(band in tile.images for band in bands)]
    stamp = StampSpec(parameters.stamp_arcsec, parameters.pixels, bands)
    objects = {tile.name: _tile_objects(source, tile.name, parameters.mag_limit) for tile in tiles}
    total = sum(table.num_rows for table in objects.values())
    if total == 0:
        raise SurveylabError(
            f"no object of the {len(tiles)} imaged tile(s) is brighter than "
            f"{MAG_COLUMN} {parameters.mag_limit}: there is nothing to index"
        )
    say(
        f"embedding {total:,} objects ({MAG_COLUMN} < {parameters.mag_limit}) of {len(tiles)} "
        f"tile(s) in bands {''.join(bands)}: {stamp.arcsec:g}″ stamps at {stamp.pixels}² pixels, "
        f"on {type(executor).__name__} ({executor.workers} worker(s))"
    )
    rng = np.random.default_rng(parameters.seed)
    picked = np.sort(rng.choice(len(tiles), size=min(PCA_TILES, len(tiles)), replace=False))
    sample_tiles = [tiles[k] for k in picked]
    sample_total = sum(objects[tile.name].num_rows for tile in sample_tiles)
    steps = len(sample_tiles) + len(tiles)
    done = 0

    def run(tasks: list[EmbedTask], what: str) -> list[EmbedResult]:
        nonlocal done
        results = []
        for result in executor.map_unordered(embed_tile, tasks, cancelled):
            results.append(result)
            done += 1
            report(done / steps, f"{what}: tile {result.tile} ({done}/{steps} tile passes)")
        if cancelled():
            raise QueryCancelledError("the similarity-index build was cancelled")
        return results

    # pass 1: the PCA sample, from at most PCA_TILES tiles
    sample_tasks = []
    for k, tile in zip(picked.tolist(), sample_tiles, strict=True):
        table = objects[tile.name]
        share = min(table.num_rows, round(parameters.pca_sample * table.num_rows / sample_total))
        if share == 0:
            done += 1
            continue
        rng = np.random.default_rng([parameters.seed, k])
        rows = np.sort(rng.choice(table.num_rows, size=share, replace=False))
        sample_tasks.append(_task(tile, table.take(pa.array(rows)), stamp))
    sampled = {result.tile: result.vectors for result in run(sample_tasks, "PCA sample")}
    sample = np.concatenate([sampled[task.tile] for task in sample_tasks])  # in tile order
    del sampled
    fitting = time.perf_counter()
    mean, components, explained = fit_pca(sample, parameters.components, parameters.seed)
    say(
        f"PCA on {len(sample):,} stamps of {stamp.size:,} values: {len(components)} components "
        f"keep {float(explained.sum()):.1%} of the variance ({time.perf_counter() - fitting:.1f} s)"
    )
    del sample

    # pass 2: every object, projected in the workers
    tasks = [_task(t, objects[t.name], stamp, mean, components) for t in tiles]
    tasks = [task for task in tasks if len(task.ids)]
    done = len(sample_tiles) + len(tiles) - len(tasks)
    by_tile = {result.tile: result for result in run(tasks, "embedding")}
    order = [task.tile for task in tasks]
    embeddings = np.ascontiguousarray(np.concatenate([by_tile[t].vectors for t in order]))
    indexed = pa.concat_tables(
        [
            objects[t].append_column("TILENAME", pa.array([t] * objects[t].num_rows, pa.string()))
            for t in order
        ]
    )
    indexing = time.perf_counter()
    index, measured = build_faiss(embeddings, parameters.seed, parameters.kind)
    say(
        f"faiss {measured['kind']} over {len(embeddings):,} objects"
        + (f", nprobe {measured['nprobe']}: recall@{measured['recall_k']} {measured['recall']}"
           if measured.get("nprobe") else "")
        + f" ({time.perf_counter() - indexing:.1f} s)"
    )  # fmt: skip
    seconds = time.perf_counter() - started
    manifest = {
        "release": source.release,
        "version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {**parameters.to_parameters(), "bands": list(bands)},
        "mag_column": MAG_COLUMN,
        "objects": len(embeddings),
        "tiles": order,
        "explained_variance": round(float(explained.sum()), 5),
        **measured,
        "seconds": round(seconds, 3),
        "seconds_per_object": round(seconds / max(len(embeddings), 1), 7),
    }
    write_index(
        source.similarity_dir,
        manifest=manifest,
        objects=indexed,
        embeddings=embeddings,
        pca={"mean": mean, "components": components, "explained": explained},
        index=index,
    )
    say(f"wrote the index of {len(embeddings):,} objects to {source.similarity_dir}")
    return manifest


def _task(
    tile: TileInfo,
    table: pa.Table,
    stamp: StampSpec,
    mean: np.ndarray[Any, Any] | None = None,
    components: np.ndarray[Any, Any] | None = None,
) -> EmbedTask:
    return EmbedTask(
        tile=tile.name,
        images=image_paths({band: tile.images[band] for band in stamp.bands}),
        ids=table["COADD_OBJECT_ID"].to_numpy().astype(np.int64),
        ra=table["RA"].to_numpy().astype(np.float64),
        dec=table["DEC"].to_numpy().astype(np.float64),
        stamp=stamp,
        mean=mean,
        components=components,
    )


def similarity_index_work(
    source: SimilaritySource, context: JobContext, executor: CutoutExecutor
) -> None:
    """Build the index the job's parameters describe, with progress per tile; the manifest is
    the job's result (``similarity-manifest.json``)."""
    parameters = IndexParameters.from_parameters(
        {k: v for k, v in context.job.parameters.items() if k != "email"}
    )
    context.progress(fraction=0.0, message="listing the imaged objects")
    manifest = build_similarity_index(
        source,
        executor,
        parameters,
        progress=lambda fraction, message: context.progress(
            fraction=min(fraction, 0.99), message=message
        ),
        log=context.log,
        cancelled=context.cancelled,
    )
    name = f"similarity-{MANIFEST}"
    temp = context.result_path(name)
    temp.write_text(json.dumps(manifest, indent=1) + "\n")
    context.publish(temp, name, format="json", rows=int(manifest["objects"]))
    context.progress(
        rows=int(manifest["objects"]),
        fraction=1.0,
        message=f"{manifest['objects']:,} objects indexed in {manifest['seconds']:.1f} s",
    )
