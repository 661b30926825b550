"""Similarity search: the index against exact search, queries, bad input, atomic builds, jobs,
the Dask build path and the purity measure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surveylab import Survey
from surveylab.cli import main
from surveylab.cutouts import InlineExecutor
from surveylab.errors import (
    ObjectNotFoundError,
    PositionError,
    QueryCancelledError,
    RequestError,
)
from surveylab.inputs import SimilarityIndexJobRequest, SimilarRequest, job_request
from surveylab.jobs import Phase
from surveylab.settings import Settings
from surveylab.similarity import (
    SIMILARITY_INDEX_JOB,
    IndexParameters,
    NotIndexedError,
    SimilarityIndex,
    SimilarityIndexMissingError,
    build_similarity_index,
    exact_neighbours,
    neighbour_purity,
    recall_at_k,
)
from surveylab.similarity.build import ReleaseNotWritableError, check_writable
from surveylab.similarity.index import fit_pca
from tests.conftest import SIMILARITY_TEST_INDEX, linked_release

#: The tile of M2 (imaged) and one far from the imaged block (not imaged).
M2_TILE = "DES2134-0041"


@pytest.fixture(scope="module")
def survey(similarity_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("similarity-jobs")
    with Survey(Settings(data_dir=similarity_release, jobs_dir=jobs)) as opened:
        yield opened


@pytest.fixture(scope="module")
def index(survey: Survey) -> SimilarityIndex:
    return survey.similarity_index


def one(survey: Survey, sql: str) -> Any:
    return survey.query_arrow(sql).column(0)[0].as_py()


# --- the index -----------------------------------------------------------------------------------


def test_the_index_finds_what_exact_search_finds(index: SimilarityIndex) -> None:
    assert index.manifest["kind"].startswith("IVF")  # approximate, so worth measuring
    rows = np.random.default_rng(1).choice(len(index), size=300, replace=False)
    _d, approximate = index.search(rows.tolist(), 50)
    embeddings = np.asarray(index.embeddings)
    _e, exact = exact_neighbours(embeddings, embeddings[rows], 50)
    assert recall_at_k(approximate, exact) >= 0.95
    assert index.manifest["recall"] >= 0.95 and index.manifest["recall_k"] == 50


def test_the_index_holds_every_bright_object_of_the_imaged_tiles(
    survey: Survey, index: SimilarityIndex
) -> None:
    imaged = [tile.name for tile in survey.footprint if tile.images]
    names = ",".join(f"'{name}'" for name in imaged)
    expected = one(
        survey,
        f"SELECT COUNT(*) FROM DR1_MAIN WHERE TILENAME IN ({names}) AND MAG_AUTO_I < 23.5",
    )
    assert len(index) == expected == index.manifest["objects"]
    assert sorted(set(index.tiles)) == sorted(imaged)
    assert index.embeddings.shape == (expected, SIMILARITY_TEST_INDEX["components"])
    assert len(set(index.ids.tolist())) == expected


def test_an_objects_nearest_neighbour_is_itself(survey: Survey, index: SimilarityIndex) -> None:
    for row in (0, len(index) // 2, len(index) - 1):
        object_id = int(index.ids[row])
        table = survey.similar(object_id, k=7)
        assert table.colnames == ["COADD_OBJECT_ID", "RA", "DEC", "TILENAME", "distance", "rank"]
        assert len(table) == 7 and list(table["rank"]) == list(range(1, 8))
        assert int(table["COADD_OBJECT_ID"][0]) == object_id and table["distance"][0] == 0.0
        assert np.all(np.diff(table["distance"]) >= 0)


def isolated(index: SimilarityIndex, arcsec: float = 5.0) -> int:
    """The row of an indexed object with no other within ``arcsec`` (not in M2's crowd)."""
    from scipy.spatial import cKDTree

    ra, dec = np.radians(index.ra), np.radians(index.dec)
    xyz = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)
    distances, _rows = cKDTree(xyz).query(xyz, k=2)
    return int(np.argmax(distances[:, 1] > np.radians(arcsec / 3600)))


def test_a_position_or_a_row_resolves_to_the_nearest_indexed_object(
    survey: Survey, index: SimilarityIndex
) -> None:
    row = isolated(index)
    object_id, ra, dec = int(index.ids[row]), float(index.ra[row]), float(index.dec[row])
    by_id = survey.similar(object_id, k=10)
    nearby = (ra + 1.0 / 3600, dec)  # 1″ away (at Dec ~ 0)
    for target in (nearby, f"{nearby[0]} {nearby[1]}", {"RA": ra, "DEC": dec}):
        answer = survey.similar(target, k=10)
        assert list(answer["COADD_OBJECT_ID"]) == list(by_id["COADD_OBJECT_ID"]), target
    neighbours = survey.similar_neighbours(nearby, k=3)
    assert neighbours.object_id == object_id and neighbours.separation == pytest.approx(1, 0.01)


def bad_targets(survey: Survey) -> list[tuple[str, Any, type[Exception], str]]:
    unimaged = one(
        survey,
        "SELECT MIN(COADD_OBJECT_ID) FROM DR1_MAIN WHERE TILENAME NOT IN "
        "(SELECT TILENAME FROM DR1_TILE_INFO WHERE FITS_I IS NOT NULL)",
    )
    data = survey.query_arrow(f"SELECT RA, DEC FROM DR1_MAIN WHERE COADD_OBJECT_ID = {unimaged}")
    position = (data["RA"][0].as_py(), data["DEC"][0].as_py())
    faint = one(
        survey,
        f"SELECT MIN(COADD_OBJECT_ID) FROM DR1_MAIN WHERE TILENAME = '{M2_TILE}' "
        "AND MAG_AUTO_I >= 23.5",
    )
    return [
        ("unknown-id", 999, ObjectNotFoundError, "COADD_OBJECT_ID 999 is not in DR1_MAIN"),
        ("unimaged-tile", unimaged, NotIndexedError, "is not imaged in bands gri"),
        ("too-faint", faint, NotIndexedError, "is not brighter than the index's limit 23.5"),
        ("outside-footprint", (180.0, 60.0), NotIndexedError, "outside the release's footprint"),
        ("no-object-there", (323.36, -0.5), NotIndexedError, "no indexed object within 3″"),
        ("unimaged-position", position, NotIndexedError, "which is not in the similarity index"),
        ("not-a-target", True, PositionError, "not an object id, a name or a position"),
    ]


def test_targets_that_cannot_be_searched_are_refused_saying_why(survey: Survey) -> None:
    for case, target, error, message in bad_targets(survey):
        with pytest.raises(error, match=message):
            survey.similar(target, k=5)
        assert case


@pytest.mark.parametrize(
    ("k", "message"),
    [
        pytest.param(0, "k must be a whole number from 1 to 1000, not 0", id="zero"),
        pytest.param(1001, "from 1 to 1000, not 1001", id="too-many"),
        pytest.param("5", "not '5'", id="text"),
        pytest.param(2.5, "not 2.5", id="fraction"),
    ],
)
def test_a_bad_k_is_refused(survey: Survey, index: SimilarityIndex, k: Any, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        survey.similar(int(index.ids[0]), k=k)


def test_a_release_without_an_index_names_the_command_that_builds_it(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    release = linked_release(demo_data_dir, tmp_path / "dr1")  # the shared one may get an index
    missing = pytest.raises(SimilarityIndexMissingError, match="surveylab similarity build")
    with Survey(Settings(data_dir=release, jobs_dir=tmp_path / "jobs")) as bare, missing:
        bare.similar(1, k=5)


def test_the_answer_opens_as_a_cutout_gallery(survey: Survey, index: SimilarityIndex) -> None:
    object_id = int(index.ids[5])
    job = survey.similar_cutouts(object_id, k=4)
    record = job.wait(120)
    assert record.phase is Phase.COMPLETED, record.error
    assert record.name == f"objects like {object_id}"
    summary = job.summary()
    ids = [entry["id"] for entry in summary["positions"]]
    assert ids == list(survey.similar(object_id, k=4)["COADD_OBJECT_ID"])
    assert summary["counts"]["ok"] == 4
    assert any(name.endswith(".png") and str(object_id) in name for name in
               (p.name for p in job.files))  # fmt: skip


# --- building ------------------------------------------------------------------------------------


def test_an_interrupted_build_leaves_nothing_and_keeps_the_old_index(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    release = linked_release(demo_data_dir, tmp_path / "dr1")
    parameters = IndexParameters(pixels=8, components=8, pca_sample=200)

    def interrupt(fraction: float, message: str) -> None:
        if message.startswith("embedding"):
            raise KeyboardInterrupt

    with Survey(Settings(data_dir=release, jobs_dir=tmp_path / "jobs")) as survey:
        with pytest.raises(KeyboardInterrupt):
            build_similarity_index(survey, InlineExecutor(), parameters, progress=interrupt)
        assert sorted(p.name for p in release.iterdir()) == [
            "catalog.duckdb",
            "images",
            "release.json",
        ]
        first = build_similarity_index(survey, InlineExecutor(), parameters)
        with pytest.raises(KeyboardInterrupt):
            build_similarity_index(
                survey,
                InlineExecutor(),
                IndexParameters(pixels=8, components=4),
                progress=interrupt,
            )
        entries = sorted(p.name for p in release.iterdir())
        assert entries == ["catalog.duckdb", "images", "release.json", "similarity"]
        kept = json.loads((release / "similarity" / "manifest.json").read_text())
        assert kept == first and kept["parameters"]["components"] == 8


def test_the_build_job_reports_progress_per_tile_and_can_be_cancelled(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    release = linked_release(demo_data_dir, tmp_path / "dr1")
    with Survey(Settings(data_dir=release, jobs_dir=tmp_path / "jobs")) as survey:
        job = survey.build_similarity_index(pixels=8, components=8, pca_sample=200)
        record = job.wait(300)
        assert record.phase is Phase.COMPLETED, record.error
        assert record.type == SIMILARITY_INDEX_JOB and record.progress == 1.0
        assert record.rows == len(SimilarityIndex.load(release / "similarity"))
        manifest = json.loads((release / "similarity" / "manifest.json").read_text())
        assert [p.name for p in job.files] == ["similarity-manifest.json"]
        assert json.loads(job.files[0].read_text()) == manifest
        log = survey.job_service.log(job.id)
        assert "PCA on" in log and f"wrote the index of {manifest['objects']:,} objects" in log

        cancelled = survey.build_similarity_index(pixels=8, components=4, pca_sample=200)
        survey.job_service.cancel(cancelled.id)
        assert cancelled.wait(300).phase is Phase.ABORTED
        after = json.loads((release / "similarity" / "manifest.json").read_text())
        assert after == manifest  # the old index stays whole
        assert not [p for p in release.iterdir() if p.name.startswith(".")]


def test_the_cancel_flag_stops_a_build_between_tiles(demo_data_dir: Path, tmp_path: Path) -> None:
    release = linked_release(demo_data_dir, tmp_path / "dr1")
    seen: list[str] = []
    settings = Settings(data_dir=release, jobs_dir=tmp_path / "jobs")
    with Survey(settings) as survey, pytest.raises(QueryCancelledError, match="cancelled"):
        build_similarity_index(
            survey,
            InlineExecutor(),
            IndexParameters(pixels=8, components=4, pca_sample=200),
            progress=lambda _f, message: seen.append(message),
            cancelled=lambda: len(seen) >= 2,
        )
    import re

    passes = [re.fullmatch(r"PCA sample: tile DES\S+ \((\d+)/20 tile passes\)", m) for m in seen]
    assert len(seen) == 2 and all(passes)
    assert int(passes[0].group(1)) < int(passes[1].group(1))  # type: ignore[union-attr]
    assert not (release / "similarity").exists()


def test_the_dask_build_from_the_command_line_gives_the_same_index(
    demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    made = {}
    arguments = ["--pixels", "8", "--components", "8", "--pca-sample", "300", "--kind", "flat"]
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        for kind in ("dask", "pool"):
            release = linked_release(demo_data_dir, tmp_path / kind)
            monkeypatch.setenv("SURVEYLAB_JOBS_DIR", str(tmp_path / f"jobs-{kind}"))
            if kind == "dask":
                monkeypatch.setenv("SURVEYLAB_DASK_SCHEDULER", cluster.scheduler_address)
            else:
                monkeypatch.delenv("SURVEYLAB_DASK_SCHEDULER")
            assert main(["similarity", "build", "--data-dir", str(release), *arguments]) == 0
            made[kind] = SimilarityIndex.load(release / "similarity")
    np.testing.assert_array_equal(made["dask"].ids, made["pool"].ids)
    np.testing.assert_allclose(made["dask"].embeddings, made["pool"].embeddings, atol=1e-5)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        pytest.param({"pixels": 2}, "pixels must be a whole number of pixels, 4 to 128", id="tiny"),
        pytest.param({"components": 1.5}, "components must be a whole number", id="fraction"),
        pytest.param({"mag_limit": "23"}, "mag_limit must be a number, not '23'", id="text"),
        pytest.param({"kind": "hnsw"}, "kind must be auto, flat or ivf", id="kind"),
        pytest.param({"bands": 5}, "bands must be a string like 'gri'", id="bands-type"),
        pytest.param(
            {"depth": 3}, "unknown parameter\\(s\\) of a similarity index: depth", id="unknown"
        ),
    ],
)
def test_bad_build_parameters_are_refused_naming_the_field(
    parameters: dict[str, Any], message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        job_request({"type": SIMILARITY_INDEX_JOB, **parameters})


def test_an_unimaged_band_is_refused_before_any_work(survey: Survey) -> None:
    with pytest.raises(RequestError, match="bands: z not imaged; the images have g, r, i"):
        build_similarity_index(survey, InlineExecutor(), IndexParameters(bands=("g", "z")))


def test_the_rest_bodies_become_requests() -> None:
    request = job_request({"type": "similarity-index", "bands": "gr", "name": "idx"})
    assert isinstance(request, SimilarityIndexJobRequest)
    assert request.parameters.bands == ("g", "r") and request.name == "idx"
    assert SimilarRequest.from_json({"target": 5}) == SimilarRequest(5, 50, False)
    with pytest.raises(RequestError, match="unknown field\\(s\\) of a similarity search: kk"):
        SimilarRequest.from_json({"target": 5, "kk": 3})
    with pytest.raises(RequestError, match="gallery must be true or false"):
        SimilarRequest.from_json({"target": 5, "gallery": "yes"})
    with pytest.raises(RequestError, match="missing field\\(s\\): target"):
        SimilarRequest.from_json({"k": 3})


# --- pieces --------------------------------------------------------------------------------------

PURITY = [
    pytest.param(
        {1: ["lens"], 2: ["lens"]}, {1: [1, 2, 3, 4], 2: [2, 1, 5, 6]}, 1 / 3, id="a-third"
    ),
    pytest.param({1: ["lens"], 2: ["lens"]}, {1: [1, 2], 2: [2, 1]}, 1.0, id="pure"),
    pytest.param({1: ["lens"]}, {1: [1, 7, 8], 7: [7, 1, 8]}, 0.0, id="only-lens-queries-count"),
    pytest.param({1: ["trail"]}, {1: [1, 7]}, None, id="no-lens"),
]


@pytest.mark.parametrize(("types", "neighbours", "expected"), PURITY)
def test_the_purity_of_lens_neighbours(
    types: dict[int, list[str]], neighbours: dict[int, list[int]], expected: float | None
) -> None:
    kinds = {object_id: kind for object_id, (kind,) in types.items()}
    assert neighbour_purity(kinds, neighbours) == (
        expected if expected is None else pytest.approx(expected)
    )


def test_lenses_embedded_apart_have_lens_neighbours() -> None:
    """Synthetic embeddings: 20 'lenses' near one point, 500 others elsewhere; exact search
    finds the lenses' neighbours among the lenses."""
    rng = np.random.default_rng(3)
    others = rng.normal(0, 1, (500, 8)).astype(np.float32)
    lenses = (rng.normal(0, 0.1, (20, 8)) + 5).astype(np.float32)
    embeddings = np.concatenate([others, lenses])
    ids = np.arange(1000, 1520)
    _d, found = exact_neighbours(embeddings, lenses, 10)
    neighbours = {int(ids[500 + q]): [int(ids[r]) for r in row] for q, row in enumerate(found)}
    kinds = {int(i): "lens" for i in ids[500:]}
    assert neighbour_purity(kinds, neighbours) == 1.0


def test_the_pca_finds_the_axes_of_a_known_sample() -> None:
    rng = np.random.default_rng(0)
    axes = np.linalg.qr(rng.normal(size=(50, 3)))[0].T  # 3 orthonormal directions in 50-d
    sample = (rng.normal(size=(2000, 3)) * [10.0, 5.0, 2.0]) @ axes + 7.0
    sample += rng.normal(0, 0.01, sample.shape)
    mean, components, explained = fit_pca(sample.astype(np.float32), 3, seed=1)
    np.testing.assert_allclose(mean, 7.0, atol=0.6)
    overlap = np.abs(components @ axes.T)  # each found axis is one of the true ones
    np.testing.assert_allclose(np.sort(overlap.max(axis=1)), 1.0, atol=1e-3)
    assert explained[0] > explained[1] > explained[2] and explained.sum() > 0.99


def test_a_release_folder_that_cannot_be_written_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "release.fits"
    not_a_folder.write_bytes(b"")
    with pytest.raises(ReleaseNotWritableError, match=r"is not writable here: .* operator"):
        check_writable(not_a_folder / "similarity")
    check_writable(tmp_path / "similarity")  # a writable folder passes


def test_the_pca_sample_reads_at_most_pca_tiles_tiles(
    demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from surveylab.similarity import build

    monkeypatch.setattr(build, "PCA_TILES", 3)
    release = linked_release(demo_data_dir, tmp_path / "dr1")
    seen: list[str] = []
    with Survey(Settings(data_dir=release, jobs_dir=tmp_path / "jobs")) as survey:
        manifest = build_similarity_index(
            survey,
            InlineExecutor(),
            IndexParameters(pixels=8, components=4, pca_sample=300),
            progress=lambda _f, message: seen.append(message),
        )
    sampled = [m for m in seen if m.startswith("PCA sample")]
    embedded = [m for m in seen if m.startswith("embedding")]
    assert len(sampled) == 3 and len(embedded) == len(manifest["tiles"]) == 10
    assert seen[-1].endswith("(13/13 tile passes)")
