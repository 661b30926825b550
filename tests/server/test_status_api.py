"""``GET /surveylab/api/status`` and the Prometheus metrics at ``/metrics``, through a real
jupyter server (``jp_fetch``): the status of the demo lab, and the counters moved by a quick
query, a bad query, a query job and a cutout job. A lab whose catalog does not answer:
``test_status_unreachable.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab.demo import M2_DEC, M2_RA
from tests.server.test_jobs_api import api, wait_for
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(fetch: Fetch) -> Samples:
    """The server's ``/metrics``, by sample name and labels."""
    response = await fetch("metrics")
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.body.decode())
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_the_demo_lab_reports_every_part(jp_fetch: Fetch) -> None:
    body = await api(jp_fetch, "status")
    assert_matches_contract("/status", "get", 200, body)
    assert body["state"] == "ok"
    states = {part["name"]: part["state"] for part in body["parts"]}
    assert states == {
        "catalog": "ok",
        "jobs": "ok",
        "cutouts": "ok",
        "hub": "off",
        "platform": "off",
    }


async def test_metrics_count_queries_jobs_and_cutouts(jp_fetch: Fetch) -> None:
    before = await scrape(jp_fetch)
    await api(jp_fetch, "query", method="POST", body={"sql": "SELECT 1 AS ONE"})
    with pytest.raises(HTTPClientError):
        await api(jp_fetch, "query", method="POST", body={"sql": "SELECT NOPE FROM DR1_MAIN"})
    job = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={"type": "query", "sql": "SELECT TILENAME FROM DR1_TILE_INFO", "format": "csv"},
    )
    await wait_for(jp_fetch, job["id"], "COMPLETED")
    cutout = await api(
        jp_fetch,
        "jobs",
        method="POST",
        body={"type": "cutout", "positions": [[M2_RA, M2_DEC]], "bands": "r", "previews": False},
    )
    await wait_for(jp_fetch, cutout["id"], "COMPLETED", timeout=120)
    after = await scrape(jp_fetch)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("surveylab_queries_total", mode="quick", outcome="completed") == 1
    assert moved("surveylab_queries_total", mode="quick", outcome="rejected") == 1
    assert moved("surveylab_queries_total", mode="job", outcome="completed") == 1
    assert moved("surveylab_query_duration_seconds_count", mode="quick") == 2
    assert moved("surveylab_query_duration_seconds_count", mode="job") == 1
    assert moved("surveylab_cutouts_total", outcome="ok") == 1
    # read from this lab's job store at the scrape: exact, not a counter that drifts
    assert value(after, "surveylab_jobs", type="query", phase="COMPLETED") == 1
    assert value(after, "surveylab_jobs", type="cutout", phase="COMPLETED") == 1
    assert value(after, "surveylab_jobs_queued") == 0


async def test_metrics_need_a_login(jp_fetch: Fetch) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("metrics", headers={"Authorization": ""})
    assert refused.value.code == 403
