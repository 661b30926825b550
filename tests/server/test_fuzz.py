"""Fuzz the REST API against its OpenAPI contract: no 5xx, no traceback, responses as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from surveylab_server.handlers import load_openapi
from tests.support.server import RunningServer, jupyter_server
from tests.support.smtp import start_smtp_server

schema = schemathesis.openapi.from_dict(load_openapi())


@pytest.fixture(scope="module")
def server(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    # With an SMTP server, so that the help desk form sends (unconfigured, it answers 503).
    with start_smtp_server() as smtp:
        env = {
            "SURVEYLAB_SMTP_HOST": smtp.host,
            "SURVEYLAB_SMTP_PORT": str(smtp.port),
            "SURVEYLAB_HELPDESK_ADDRESS": "help@survey.example",
        }
        with jupyter_server(demo_data_dir, tmp_path_factory.mktemp("fuzz"), env=env) as running:
            yield running


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_honours_its_contract(case: schemathesis.Case, server: RunningServer) -> None:
    response = case.call(base_url=f"{server.url}/surveylab/api", headers=server.headers, timeout=60)
    assert response.status_code < 500, response.text
    assert b"Traceback" not in response.content  # some answers are binary (FITS)
    # Any string is schema-valid SQL, yet most strings are not valid SQL: a 400 for those is right.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
