"""The anomaly core: features, the parallel forest, saving, online scoring, the measures."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from surveylab.anomaly import (
    AnomalyModel,
    AnomalyParameters,
    FeatureError,
    evaluate,
    parse_features,
    precision_at_k,
    recall_at_fraction,
    score_csv,
)
from surveylab.anomaly.model import partitions, score_matrix, train_model
from surveylab.cutouts.executors import (
    CutoutExecutor,
    DaskExecutor,
    InlineExecutor,
    ProcessExecutor,
)
from surveylab.errors import RequestError

BANDS = "GRIZY"


def catalog(rows: int, outliers: int, seed: int = 0) -> tuple[dict[str, Any], npt.NDArray[Any]]:
    """A synthetic catalog: two populations of galaxies and stars in colour, size, shape and
    SPREAD_MODEL, plus ``outliers`` rows far from both; the outliers' row numbers."""
    rng = np.random.default_rng(seed)
    star = rng.random(rows) < 0.3
    colour = np.where(star, 0.3, 0.8)
    mags = {"G": rng.normal(22, 1, rows)}
    for previous, band in itertools.pairwise(BANDS):
        mags[band] = mags[previous] - colour + rng.normal(0, 0.08, rows)
    radius = np.where(star, 1.6, 3.5) + rng.normal(0, 0.3, rows)
    a = np.abs(rng.normal(3, 0.5, rows)) + 0.5
    b = a * np.where(star, 0.95, rng.uniform(0.5, 0.95, rows))
    spread = np.where(star, 0.0, 0.01) + rng.normal(0, 0.002, rows)
    odd = rng.choice(rows, outliers, replace=False)
    mags["G"][odd] += rng.choice([-1, 1], outliers) * rng.uniform(1.5, 3.0, outliers)
    radius[odd] = rng.uniform(6, 12, outliers)
    spread[odd] = rng.uniform(0.03, 0.06, outliers)
    data: dict[str, Any] = {f"MAG_AUTO_{band}": mags[band] for band in BANDS}
    data |= {"FLUX_RADIUS_I": radius, "A_IMAGE": a, "B_IMAGE": b, "SPREAD_MODEL_I": spread}
    data["COADD_OBJECT_ID"] = np.arange(1000, 1000 + rows)
    data["HPIX_32"] = np.sort(rng.integers(0, 40, rows))
    return data, odd


def forest(
    data: dict[str, Any], executor: CutoutExecutor | None = None, **values: Any
) -> tuple[AnomalyModel, npt.NDArray[np.float64]]:
    features = parse_features(None, data)
    from surveylab.anomaly.features import feature_matrix

    matrix = feature_matrix(features, data)
    model = train_model(
        matrix, features, AnomalyParameters.create(**values), executor or InlineExecutor()
    )
    return model, score_matrix(model, matrix, executor or InlineExecutor(), pixels=data["HPIX_32"])


# --- features ---------------------------------------------------------------------------------

COLUMNS = ["MAG_AUTO_G", "MAG_AUTO_R", "MAG_AUTO_I", "SPREAD_MODEL_I", "A_IMAGE", "B_IMAGE", "RA"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (None, ["MAG_AUTO_G-MAG_AUTO_R", "MAG_AUTO_R-MAG_AUTO_I", "ELLIPTICITY", "SPREAD_MODEL_I"]),
        ("mag_auto_g - mag_auto_r, RA", ["MAG_AUTO_G-MAG_AUTO_R", "RA"]),
        (["ellipticity", "SPREAD_MODEL_I"], ["ELLIPTICITY", "SPREAD_MODEL_I"]),
    ],
    ids=["defaults-present", "string-any-case", "list"],
)
def test_features_are_named_by_columns_colours_and_ellipticity(
    names: Any, expected: list[str]
) -> None:
    assert [f.name for f in parse_features(names, COLUMNS)] == expected


@pytest.mark.parametrize(
    ("names", "columns", "message"),
    [
        (["MAG_AUTO_G-MAG_AUTO_Q", "RA"], COLUMNS, "feature 'MAG_AUTO_G-MAG_AUTO_Q' needs column"),
        (["RA"], COLUMNS, "at least 2 features, not 1"),
        (["RA", "ra"], COLUMNS, "feature RA is given twice"),
        (["RA*2", "DEC"], COLUMNS, "is not a column, a difference of two columns"),
        (None, ["RA", "DEC", "MAG_AUTO_G"], "the sample has 0 of the default features"),
    ],
    ids=["unknown-column", "too-few", "twice", "expression", "no-defaults"],
)
def test_a_bad_feature_is_named(names: Any, columns: list[str], message: str) -> None:
    with pytest.raises(FeatureError, match=message.replace("*", r"\*")):
        parse_features(names, columns)


def test_missing_values_and_sentinels_are_nan() -> None:
    (colour, ellipticity) = parse_features(["MAG_AUTO_G-MAG_AUTO_R", "ELLIPTICITY"], COLUMNS)
    data = {
        "MAG_AUTO_G": np.array([21.0, 99.0, np.nan, 22.0]),
        "MAG_AUTO_R": np.array([20.5, 20.0, 20.0, 21.0]),
        "A_IMAGE": np.array([2.0, 2.0, 0.0, -99.0]),
        "B_IMAGE": np.array([1.0, 1.0, 1.0, 1.0]),
    }
    np.testing.assert_array_equal(colour.values(data), [0.5, np.nan, np.nan, 1.0])
    np.testing.assert_array_equal(ellipticity.values(data), [0.5, 0.5, np.nan, np.nan])


# --- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"trees": 100_000}, "trees must be from 10 to 1,000, not 100,000"),
        ({"sample_size": 2}, "sample_size must be from 16 to 8,192, not 2"),
        ({"ndim": 0}, "ndim must be from 1 to 10"),
        ({"top": 1.5}, "top must be a whole number"),
        ({"trees": True}, "trees must be a whole number"),
        ({"depth": 3}, "unknown anomaly parameter"),
    ],
    ids=["too-many-trees", "sample-size", "ndim", "top-float", "bool", "unknown"],
)
def test_parameters_out_of_bounds_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError, match=message):
        AnomalyParameters.create(**values)


# --- training and scoring ---------------------------------------------------------------------


def test_planted_outliers_are_found_in_the_top_percent() -> None:
    data, odd = catalog(20_000, 200)
    model, scores = forest(data, trees=100)
    ids = data["COADD_OBJECT_ID"]
    truth = ids[odd]
    assert recall_at_fraction(ids, scores, truth, 0.01) >= 0.8
    assert precision_at_k(ids, scores, truth, 100) >= 0.8
    assert model.forest.predict(np.zeros((1, len(model.features)))).shape == (1,)


def test_the_forest_depends_on_the_seed_not_the_workers() -> None:
    data, _ = catalog(3000, 30)
    _, once = forest(data, trees=60, seed=7, sample_size=16)
    pool = ProcessExecutor(2)
    try:
        _, again = forest(data, pool, trees=60, seed=7, sample_size=16)
    finally:
        pool.close()
    _, other = forest(data, trees=60, seed=8, sample_size=16)
    np.testing.assert_array_equal(once, again)
    assert not np.array_equal(once, other)


def test_the_dask_cluster_gives_the_local_scores() -> None:
    from distributed import LocalCluster

    data, _ = catalog(5000, 50)
    _, local = forest(data, trees=60, seed=3, sample_size=32)  # each chunk draws 3,200 rows
    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed is untyped
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            _, remote = forest(data, executor, trees=60, seed=3, sample_size=32)
            assert executor.workers == 2
        finally:
            executor.close()
    np.testing.assert_array_equal(local, remote)


def test_partitions_hold_whole_healpix_pixels() -> None:
    pixels = np.array([5, 1, 1, 2, 2, 2, 5, 9, 1])
    parts = partitions(len(pixels), pixels, size=4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(pixels)))
    assert [sorted(set(pixels[p].tolist())) for p in parts] == [[1], [2], [5, 9]]
    assert [len(p) for p in partitions(10, None, size=4)] == [4, 4, 2]


def test_too_few_complete_rows_to_train_is_an_error() -> None:
    data, _ = catalog(300, 3)
    data["MAG_AUTO_G"][:200] = 99.0
    with pytest.raises(Exception, match="100 rows of the sample have every feature"):
        forest(data, sample_size=256)


# --- the saved model and online scoring -------------------------------------------------------


def saved(model: AnomalyModel, folder: Path) -> AnomalyModel:
    model.save(folder / "model.isotree", folder / "model.json")
    return AnomalyModel.load(folder)


def test_a_saved_model_scores_as_before(tmp_path: Path) -> None:
    data, _ = catalog(3000, 30)
    model, scores = forest(data, trees=40)
    loaded = saved(model, tmp_path)
    assert loaded.feature_names == model.feature_names
    assert loaded.parameters == model.parameters
    np.testing.assert_array_equal(loaded.score(data), scores)
    assert "pickle" not in (tmp_path / "model.json").read_text()


def test_loading_a_folder_without_a_model_says_so(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="holds no anomaly model"):
        AnomalyModel.load(tmp_path)


def rows_of(data: dict[str, Any], count: int) -> list[dict[str, Any]]:
    return [{key: values[i] for key, values in data.items()} for i in range(count)]


def test_the_online_generator_scores_rows_as_they_arrive(tmp_path: Path) -> None:
    data, _ = catalog(2000, 20)
    model, scores = forest(data, trees=40)
    seen: list[int] = []

    def arriving() -> Any:
        for row in rows_of(data, 5):
            seen.append(int(row["COADD_OBJECT_ID"]))
            yield row

    stream = saved(model, tmp_path).score_rows(arriving())
    row, first = next(stream)
    assert seen == [1000] and row["COADD_OBJECT_ID"] == 1000  # scored before the next arrives
    rest = [score for _, score in stream]
    np.testing.assert_allclose([first, *rest], scores[:5])
    lowercase = [{k.lower(): v for k, v in row.items()} for row in rows_of(data, 3)]
    np.testing.assert_allclose([s for _, s in model.score_rows(lowercase, batch=2)], scores[:3])
    with pytest.raises(FeatureError, match="row 1 has no column"):
        list(model.score_rows([{"MAG_AUTO_G": 1.0}]))


def csv_text(data: dict[str, Any], count: int, columns: list[str]) -> str:
    lines = [",".join(columns)]
    lines += [",".join(str(data[c][i]) for c in columns) for i in range(count)]
    return "\n".join(lines) + "\n"


def test_score_csv_writes_each_row_with_its_score() -> None:
    data, _ = catalog(2000, 20)
    model, scores = forest(data, trees=40)
    columns = ["COADD_OBJECT_ID", *model.columns]
    out = io.StringIO()
    assert score_csv(model, io.StringIO(csv_text(data, 4, columns)), out) == 4
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join([*columns, "ANOMALY_SCORE"])
    assert [float(line.rsplit(",", 1)[1]) for line in lines[1:]] == pytest.approx(
        scores[:4], abs=1e-6
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda cols: "COADD_OBJECT_ID,MAG_AUTO_G\n1,2\n", "the CSV header has no column"),
        (lambda cols: "", "the CSV input is empty"),
        (lambda cols: ",".join(cols) + "\n" + ",".join(["x"] * len(cols)) + "\n", "line 2: "),
    ],
    ids=["missing-column", "empty", "not-a-number"],
)
def test_score_csv_refuses_bad_input(make: Callable[[list[str]], str], message: str) -> None:
    data, _ = catalog(1000, 10)
    model, _ = forest(data, trees=20)
    with pytest.raises(FeatureError, match=message):
        score_csv(model, io.StringIO(make(model.columns)), io.StringIO())


# --- measures against a truth table ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "truth", "fraction", "k", "recall", "precision"),
    [
        ([9, 8, 7, 1, 2, 3, 4, 5, 6, 0], [1, 2], 0.2, 2, 1.0, 1.0),
        ([9, 8, 7, 1, 2, 3, 4, 5, 6, 0], [1, 4], 0.2, 4, 0.5, 0.25),
        ([0, 8, 7, 1, 2, 3, 4, 5, 6, 9], [1, 10], 0.1, 1, 0.5, 1.0),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 99], 0.1, 10, 1.0, 0.1),
    ],
    ids=["perfect", "half", "last-row", "ties-and-unknown-truth"],
)
def test_recall_and_precision_against_truth(
    scores: list[float], truth: list[int], fraction: float, k: int, recall: float, precision: float
) -> None:
    ids = list(range(1, 11))
    assert recall_at_fraction(ids, scores, truth, fraction) == recall
    assert precision_at_k(ids, scores, truth, k) == precision
    assert evaluate(ids, scores, truth, fraction=fraction, k=k) == {
        f"recall@top{fraction:g}": recall,
        f"precision@{k}": precision,
    }


def test_measures_refuse_truth_outside_the_rows() -> None:
    with pytest.raises(RequestError, match="none of the truth table's ids"):
        recall_at_fraction([1, 2], [0.1, 0.2], [7])
    with pytest.raises(RequestError, match="fraction must be in"):
        recall_at_fraction([1, 2], [0.1, 0.2], [1], fraction=0)
