"""An Extended Isolation Forest (isotree) trained and applied in parallel, saved with its job.

Training: the trees are fitted in chunks of :data:`TREE_CHUNK` trees, one task per chunk, on
the cutouts' executor (the local process pool or the Dask cluster); chunk ``i`` draws its rows
and grows its trees with seed ``seed + i``, and the chunks are merged in order
(``append_trees``), so the forest depends on the seed only, never on the number of workers.
Scoring: the rows are cut into partitions of whole HEALPix pixels (``HPIX_32``, when the sample
has it) of at most :data:`PARTITION_ROWS` rows, one task each. A row's score does not depend
on its partition.

The saved model is isotree's own binary format (``model.isotree``, no pickle: loading it runs
no code) and ``model.json`` (the features, the parameters, the score distribution).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..errors import RequestError, SurveylabError
from ..limits import (
    ANOMALY_NDIM_MAX,
    ANOMALY_SAMPLE_SIZE_MAX,
    ANOMALY_SAMPLE_SIZE_MIN,
    ANOMALY_TOP_MAX,
    ANOMALY_TREES_MAX,
    ANOMALY_TREES_MIN,
)
from .features import ELLIPTICITY, Feature, FeatureError, feature_matrix, parse_features

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..cutouts.executors import CutoutExecutor

__all__ = [
    "MODEL_FILE",
    "MODEL_META",
    "PARTITION_ROWS",
    "ROWS_PER_TREE",
    "TREE_CHUNK",
    "AnomalyModel",
    "AnomalyParameters",
    "partitions",
    "score_matrix",
    "train_model",
]

#: Trees fitted per task.
TREE_CHUNK = 25
#: A chunk of trees is fitted on its own random draw of this many times ``sample_size`` complete
#: rows per tree (or all of them, if fewer): a few MB per task, whatever the sample's size.
ROWS_PER_TREE = 4
#: Most rows scored per task.
PARTITION_ROWS = 100_000
#: The model's files in the job's folder.
MODEL_FILE = "model.isotree"
MODEL_META = "model.json"


@dataclass(frozen=True)
class AnomalyParameters:
    """The model's parameters, checked against the limits of the REST contract.

    trees : number of isolation trees; sample_size : rows each tree is grown on; ndim : features
    combined at each split (1 is the classic Isolation Forest, 2 or more the Extended one);
    top : rows in the top list and the cutout gallery; seed : the random seed.
    """

    trees: int = 100
    sample_size: int = 256
    ndim: int = 2
    top: int = 100
    seed: int = 1

    @classmethod
    def create(cls, **values: Any) -> AnomalyParameters:
        """Parameters from keyword values (None: the default), each checked.

        Raises
        ------
        RequestError
            Naming the parameter, its bounds and the value given.
        """
        bounds = {
            "trees": (ANOMALY_TREES_MIN, ANOMALY_TREES_MAX),
            "sample_size": (ANOMALY_SAMPLE_SIZE_MIN, ANOMALY_SAMPLE_SIZE_MAX),
            "ndim": (1, ANOMALY_NDIM_MAX),
            "top": (1, ANOMALY_TOP_MAX),
            "seed": (0, 2**31 - 1),
        }
        unknown = sorted(set(values) - set(bounds))
        if unknown:
            raise RequestError(f"unknown anomaly parameter(s): {', '.join(unknown)}")
        checked: dict[str, int] = {}
        for name, (low, high) in bounds.items():
            value = values.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise RequestError(
                    f"{name} must be a whole number from {low} to {high}, not {value!r}"
                )
            if not low <= int(value) <= high:
                raise RequestError(f"{name} must be from {low:,} to {high:,}, not {int(value):,}")
            checked[name] = int(value)
        return cls(**checked)

    def to_json(self) -> dict[str, int]:
        """The parameters as a JSON object."""
        return asdict(self)


def _forest(parameters: AnomalyParameters, trees: int, seed: int, nthreads: int = 1) -> Any:
    from isotree import IsolationForest

    return IsolationForest(
        ndim=parameters.ndim,
        ntrees=trees,
        sample_size=parameters.sample_size,
        missing_action="impute",
        scoring_metric="depth",
        random_seed=seed,
        nthreads=nthreads,
    )


@dataclass(frozen=True)
class _FitTask:
    index: int
    parameters: AnomalyParameters
    trees: int
    rows: npt.NDArray[np.float64]


def _fit_chunk(task: _FitTask) -> tuple[int, bytes]:
    """Fit one chunk of trees; the fitted forest, pickled (it goes back to the caller only)."""
    seed = task.parameters.seed + task.index
    forest = _forest(task.parameters, task.trees, seed).fit(task.rows)
    return task.index, pickle.dumps(forest)


@dataclass(frozen=True)
class _ScoreTask:
    index: int
    forest: bytes
    rows: npt.NDArray[np.float64]


def _score_part(task: _ScoreTask) -> tuple[int, npt.NDArray[np.float64]]:
    """Score one partition (the forest is the caller's own, pickled a moment ago)."""
    forest = pickle.loads(task.forest)  # made by this job, never read from a file
    forest.set_params(nthreads=1)
    return task.index, np.asarray(forest.predict(task.rows), dtype=np.float64)


def _never() -> bool:
    return False


def train_model(
    rows: npt.NDArray[np.float64],
    features: Sequence[Feature],
    parameters: AnomalyParameters,
    executor: CutoutExecutor,
    *,
    cancelled: Callable[[], bool] = _never,
) -> AnomalyModel:
    """Train a forest on the complete rows of ``rows`` (rows x features), in chunks of
    :data:`TREE_CHUNK` trees on ``executor``, each on its own draw of rows (chunk ``i`` draws and
    grows with seed ``seed + i``); the same seed gives the same forest on any executor.

    Raises
    ------
    SurveylabError
        If fewer complete rows than the sample size remain.
    """
    complete = rows[np.isfinite(rows).all(axis=1)]
    if len(complete) < max(parameters.sample_size, 2):
        raise SurveylabError(
            f"{len(complete):,} rows of the sample have every feature; training needs at least "
            f"sample_size={parameters.sample_size:,}: select more rows or lower sample_size"
        )
    chunks = []
    for index, start in enumerate(range(0, parameters.trees, TREE_CHUNK)):
        trees = min(TREE_CHUNK, parameters.trees - start)
        wanted = ROWS_PER_TREE * trees * parameters.sample_size
        if wanted < len(complete):  # the chunk's own draw: small tasks, the same on any executor
            generator = np.random.default_rng(parameters.seed + index)
            chosen = np.sort(generator.choice(len(complete), wanted, replace=False))
            chunks.append(_FitTask(index, parameters, trees, complete[chosen]))
        else:
            chunks.append(_FitTask(index, parameters, trees, complete))
    fitted = dict(executor.map_unordered(_fit_chunk, chunks, cancelled))
    if len(fitted) != len(chunks):
        raise SurveylabError("training was cancelled")
    forest = pickle.loads(fitted[0])  # fitted by this process's own tasks
    for index in range(1, len(chunks)):
        forest.append_trees(pickle.loads(fitted[index]))  # as above
    return AnomalyModel(forest, list(features), parameters)


def partitions(
    count: int, pixels: npt.NDArray[Any] | None, size: int = PARTITION_ROWS
) -> list[npt.NDArray[np.int64]]:
    """Row indices cut into partitions of at most ``size`` rows, each of whole HEALPix
    ``pixels`` (one value per row) where a pixel fits, else in row order."""
    if pixels is None:
        order = np.arange(count, dtype=np.int64)
        return [order[start : start + size] for start in range(0, count, size)]
    order = np.argsort(np.asarray(pixels), kind="stable").astype(np.int64)
    sorted_pixels = np.asarray(pixels)[order]
    bounds = np.flatnonzero(np.diff(sorted_pixels)) + 1  # where a new pixel starts
    parts: list[npt.NDArray[np.int64]] = []
    start = 0
    while start < count:
        end = min(start + size, count)
        if end < count:
            inside = bounds[(bounds > start) & (bounds <= end)]
            if len(inside):
                end = int(inside[-1])
        parts.append(order[start:end])
        start = end
    return parts


def score_matrix(
    model: AnomalyModel,
    rows: npt.NDArray[np.float64],
    executor: CutoutExecutor,
    *,
    pixels: npt.NDArray[Any] | None = None,
    cancelled: Callable[[], bool] = _never,
    progress: Callable[[int], None] | None = None,
) -> npt.NDArray[np.float64]:
    """The score of every row, partitioned by HEALPix ``pixels`` on ``executor``."""
    parts = partitions(len(rows), pixels)
    forest = pickle.dumps(model.forest)
    tasks = [_ScoreTask(i, forest, rows[part]) for i, part in enumerate(parts)]
    scores = np.full(len(rows), np.nan)
    done = 0
    for index, values in executor.map_unordered(_score_part, tasks, cancelled):
        scores[parts[index]] = values
        done += len(values)
        if progress is not None:
            progress(done)
    if done != len(rows):
        raise SurveylabError("scoring was cancelled")
    return scores


@dataclass
class AnomalyModel:
    """A trained forest with its features; scores rows, saves and loads itself."""

    forest: Any
    features: list[Feature]
    parameters: AnomalyParameters
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        """The features' names, in the model's order."""
        return [feature.name for feature in self.features]

    @property
    def columns(self) -> list[str]:
        """The columns the features read (upper case, each once)."""
        return list(dict.fromkeys(c for feature in self.features for c in feature.columns))

    def score(self, data: Mapping[str, npt.NDArray[Any]]) -> npt.NDArray[np.float64]:
        """Scores (higher: more anomalous, around 0.5 for ordinary rows) of the rows of
        ``data``, columns by upper-case name, in this process."""
        matrix = feature_matrix(self.features, data)
        if not len(matrix):
            return np.zeros(0)
        return np.asarray(self.forest.predict(matrix), dtype=np.float64)

    def score_rows(
        self, rows: Iterable[Mapping[str, Any]], batch: int = 1
    ) -> Iterator[tuple[Mapping[str, Any], float]]:
        """Score rows as they arrive: yield ``(row, score)`` for each row of ``rows`` (mappings
        of column name to value, any case), ``batch`` rows at a time (1: each at once).

        Raises
        ------
        FeatureError
            For a row that lacks a column the features need (naming it and the row's number).
        """
        pending: list[Mapping[str, Any]] = []
        for number, row in enumerate(rows, start=1):
            upper = {str(key).upper() for key in row}
            lacking = [column for column in self.columns if column not in upper]
            if lacking:
                raise FeatureError(f"row {number} has no column(s) {', '.join(lacking)}")
            pending.append(row)
            if len(pending) >= batch:
                yield from self._score_batch(pending)
                pending = []
        if pending:
            yield from self._score_batch(pending)

    def _score_batch(
        self, rows: list[Mapping[str, Any]]
    ) -> Iterator[tuple[Mapping[str, Any], float]]:
        data: dict[str, npt.NDArray[Any]] = {}
        for column in self.columns:
            values = [_value(row, column) for row in rows]
            data[column] = np.array(values, dtype=np.float64)
        for row, score in zip(rows, self.score(data), strict=True):
            yield row, float(score)

    def save(self, model_path: Path, meta_path: Path) -> None:
        """Write the forest (isotree's format) to ``model_path`` and the features, parameters
        and :attr:`info` (JSON) to ``meta_path``; :meth:`load` reads them as ``model.isotree``
        and ``model.json`` of a folder."""
        self.forest.export_model(str(model_path))
        meta = {
            "format": "surveylab-anomaly-model/1",
            "version": __version__,
            "algorithm": "isotree Extended Isolation Forest",
            "features": [feature.name for feature in self.features],
            "parameters": self.parameters.to_json(),
            **self.info,
        }
        meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> AnomalyModel:
        """The model saved in ``folder`` (a job's folder) by :meth:`save`.

        Raises
        ------
        SurveylabError
            If the folder holds no model, or an unreadable one.
        """
        from isotree import IsolationForest

        meta_path = folder / MODEL_META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            names = [str(name) for name in meta["features"]]
            parameters = AnomalyParameters(**meta["parameters"])
        except FileNotFoundError:
            raise SurveylabError(f"{folder} holds no anomaly model ({MODEL_META})") from None
        except (ValueError, KeyError, TypeError) as err:
            raise SurveylabError(f"{meta_path} is not a surveylab anomaly model: {err}") from None
        columns = {column for name in names for column in _columns_of(name)}
        features = parse_features(names, columns)
        try:
            forest = IsolationForest.import_model(str(folder / MODEL_FILE))
        except (OSError, RuntimeError, ValueError) as err:
            raise SurveylabError(f"cannot read {folder / MODEL_FILE}: {err}") from None
        forest.set_params(nthreads=1)
        info = {k: v for k, v in meta.items() if k not in ("features", "parameters")}
        return cls(forest, features, parameters, info)


def _columns_of(name: str) -> tuple[str, ...]:
    return ("A_IMAGE", "B_IMAGE") if name == ELLIPTICITY else tuple(name.split("-"))


def _value(row: Mapping[str, Any], column: str) -> float:
    """A row's value of ``column`` (any case) as a float; empty or NULL is NaN."""
    value = row.get(column)
    if value is None:
        for key, item in row.items():
            if str(key).upper() == column:
                value = item
                break
    if value is None or value == "":
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FeatureError(f"column {column} must be a number, not {value!r}") from None
