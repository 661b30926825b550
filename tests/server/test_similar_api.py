"""Similarity search through a real jupyter server: ``POST /similar`` (its answer, the gallery's
cutout job, refusals and their statuses) and ``similarity-index`` jobs in the job list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from surveylab.limits import SIMILAR_K_MAX
from surveylab.similarity import SimilarityIndex
from tests.conftest import linked_release
from tests.server.test_jobs_api import Fetch, api, api_error, wait_for
from tests.support.openapi import assert_matches_contract


@pytest.fixture
def release(
    request: pytest.FixtureRequest, similarity_release: Path, demo_data_dir: Path, tmp_path: Path
) -> Path:
    """The indexed release; a fresh linked one without an index when parametrized ``"bare"``."""
    if getattr(request, "param", "indexed") == "bare":
        return linked_release(demo_data_dir, tmp_path / "bare")
    return similarity_release


@pytest.fixture
def jp_server_config(release: Path, jobs_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"surveylab_server": True},
            "allow_unauthenticated_access": False,
        },
        "SurveylabApp": {"data_dir": str(release), "jobs_dir": str(jobs_dir)},
    }


@pytest.fixture(scope="module")
def indexed(similarity_release: Path) -> SimilarityIndex:
    return SimilarityIndex.load(similarity_release / "similarity")


async def test_objects_like_one_come_nearest_first_with_itself_first(
    jp_fetch: Fetch, indexed: SimilarityIndex
) -> None:
    object_id = int(indexed.ids[10])
    answer = await api(jp_fetch, "similar", method="POST", body={"target": object_id, "k": 12})
    assert_matches_contract("/similar", "post", 200, answer)
    neighbours = answer["neighbours"]
    assert len(neighbours) == 12 and [n["rank"] for n in neighbours] == list(range(1, 13))
    assert neighbours[0]["COADD_OBJECT_ID"] == object_id and neighbours[0]["distance"] == 0
    assert answer["query"]["COADD_OBJECT_ID"] == object_id and answer["job"] is None
    by_row = await api(
        jp_fetch,
        "similar",
        method="POST",
        body={"target": {"RA": answer["query"]["RA"], "DEC": answer["query"]["DEC"]}, "k": 12},
    )
    assert by_row["neighbours"] == neighbours


async def test_the_answer_opens_as_a_gallery_job(jp_fetch: Fetch, indexed: SimilarityIndex) -> None:
    object_id = int(indexed.ids[20])
    answer = await api(
        jp_fetch, "similar", method="POST", body={"target": object_id, "k": 3, "gallery": True}
    )
    done = await wait_for(jp_fetch, answer["job"], "COMPLETED", "ERROR", timeout=120)
    assert done["phase"] == "COMPLETED" and done["type"] == "cutout", done.get("error")
    assert done["name"] == f"objects like {object_id}"
    names = [f["name"] for f in done["files"]]
    for neighbour in answer["neighbours"]:
        assert any(str(neighbour["COADD_OBJECT_ID"]) in name for name in names)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"target": 1}, 404, "COADD_OBJECT_ID 1 is not in DR1_MAIN"),
        ({"target": [180.0, 60.0]}, 404, "is outside the release's footprint"),
        ({"target": [323.36, -0.5]}, 404, "no indexed object within 3″"),
        ({"target": 5, "k": SIMILAR_K_MAX + 1}, 400, f"from 1 to {SIMILAR_K_MAX}, not"),
        ({"target": 5, "k": 0}, 400, "k must be a whole number"),
        ({"target": 5, "gallery": "yes"}, 400, "gallery must be true or false"),
        ({"target": 5, "colour": 1}, 400, "unknown field(s) of a similarity search: colour"),
        ({}, 400, "missing field(s): target"),
    ],
    ids=["unknown-id", "outside-footprint", "no-object-there", "k-too-large", "k-zero",
         "gallery-not-bool", "unknown-field", "no-target"],
)  # fmt: skip
async def test_bad_searches_are_refused_saying_why(
    jp_fetch: Fetch, body: dict[str, Any], status: int, words: str
) -> None:
    code, reply = await api_error(jp_fetch, "similar", method="POST", body=body)
    assert code == status and words in reply["message"], reply


@pytest.mark.parametrize("release", ["bare"], indirect=True)
async def test_a_release_without_an_index_is_a_conflict_naming_the_command(
    jp_fetch: Fetch, release: Path
) -> None:
    code, reply = await api_error(jp_fetch, "similar", method="POST", body={"target": 5})
    assert code == 409 and "surveylab similarity build" in reply["message"], reply

    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={"type": "similarity-index", "pixels": 8, "components": 8, "pca_sample": 200},
    )
    listed = await api(jp_fetch, "jobs", type="similarity-index")
    assert [j["id"] for j in listed["jobs"]] == [job["id"]]
    done = await wait_for(jp_fetch, job["id"], "COMPLETED", "ERROR", timeout=300)
    assert done["phase"] == "COMPLETED" and done["progress"] == 1.0, done.get("error")
    assert [f["name"] for f in done["files"]] == ["similarity-manifest.json"]
    manifest = json.loads((release / "similarity" / "manifest.json").read_text())
    assert done["files"][0]["rows"] == manifest["objects"] > 0
    built = SimilarityIndex.load(release / "similarity")
    object_id = int(built.ids[0])
    answer = await api(jp_fetch, "similar", method="POST", body={"target": object_id, "k": 2})
    assert answer["neighbours"][0]["COADD_OBJECT_ID"] == object_id  # the new index is used


async def test_a_bad_build_is_refused_before_a_job_exists(jp_fetch: Fetch) -> None:
    code, reply = await api_error(
        jp_fetch, "jobs", method="POST", body={"type": "similarity-index", "pixels": 1000}
    )
    assert code == 400 and "pixels must be a whole number of pixels, 4 to 128" in reply["message"]
    listed = await api(jp_fetch, "jobs", type="similarity-index")
    assert listed["jobs"] == []


def test_a_labs_build_runs_in_the_platform_service(
    demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a hub with a platform service, ``Survey.build_similarity_index`` submits the job
    there (a real jupyter server with surveylab stands in for it, sharing the job store)."""
    from surveylab import Settings, Survey
    from surveylab.jobs import Phase
    from surveylab.jobs._process import process_token
    from tests.support.server import jupyter_server

    release = linked_release(demo_data_dir, tmp_path / "dr1")
    with jupyter_server(release, tmp_path) as service:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", service.token)
        settings = Settings(
            data_dir=release,
            jobs_dir=tmp_path / "home" / "surveylab-jobs",
            platform_url=f"{service.url}/surveylab/",
        )
        with Survey(settings) as lab:
            job = lab.build_similarity_index(pixels=8, components=8, pca_sample=200, name="idx")
            record = job.wait(timeout=300)
            assert record.phase is Phase.COMPLETED, record.error
            assert record.runner is not None and record.runner != process_token()
            assert record.type == "similarity-index" and record.name == "idx"
            object_id = int(lab.similarity_index.ids[0])
            assert lab.similar(object_id, k=3)["COADD_OBJECT_ID"][0] == object_id
