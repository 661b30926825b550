"""The REST API's limits come from the contract (openapi.yaml) shipped in the core package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import surveylab
from surveylab import limits
from surveylab.anomaly import AnomalyParameters
from surveylab.cutouts import labels, request
from surveylab.errors import RequestError
from surveylab.footprint import core
from surveylab.inputs import SimilarRequest
from surveylab.jobs import validation

CONTRACT = Path(surveylab.__file__).with_name("openapi.yaml")


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return document


def test_each_limit_is_the_contracts_keyword(contract: dict[str, Any]) -> None:
    schemas = contract["components"]["schemas"]
    parameters = contract["components"]["parameters"]
    expected = {
        "CUTOUT_SIZE_MIN": schemas["CutoutSize"]["minimum"],
        "CUTOUT_SIZE_MAX": schemas["CutoutSize"]["maximum"],
        "JOB_NAME_MAX_LENGTH": schemas["JobName"]["maxLength"],
        "JOB_PAGE_MAX": parameters["JobPageLimit"]["schema"]["maximum"],
        "MOC_ORDER_MIN": parameters["MOCOrder"]["schema"]["minimum"],
        "MOC_ORDER_MAX": parameters["MOCOrder"]["schema"]["maximum"],
        "LABEL_MIN": schemas["Label"]["minimum"],
        "LABEL_MAX": schemas["Label"]["maximum"],
        "LABELS_MAX": schemas["Labels"]["properties"]["labels"]["maxProperties"],
        "BODY_MAX_BYTES": contract["components"]["responses"]["TooLarge"]["x-max-bytes"],
        "FINDING_CHART_TARGETS_MAX": (
            schemas["FindingChartRequest"]["properties"]["targets"]["maxItems"]
        ),
        "FINDING_CHART_POSITIONS_MAX": (
            schemas["FindingChartRequest"]["properties"]["positions"]["maxItems"]
        ),
        "HELP_SUBJECT_MAX_LENGTH": schemas["HelpRequest"]["properties"]["subject"]["maxLength"],
        "HELP_MESSAGE_MAX_LENGTH": schemas["HelpRequest"]["properties"]["message"]["maxLength"],
        **{
            f"ANOMALY_{key.upper()}_{end[:3].upper()}": schemas["JobRequest"]["properties"][key][
                end
            ]
            for key, ends in (
                ("trees", ("minimum", "maximum")),
                ("sample_size", ("minimum", "maximum")),
                ("ndim", ("maximum",)),
                ("top", ("maximum",)),
            )
            for end in ends
        },
        "SIMILAR_K_MAX": schemas["SimilarRequest"]["properties"]["k"]["maximum"],
    }
    assert set(contract["x-limits"]) == set(expected)
    assert {name: limits.limit(name) for name in expected} == expected
    assert (limits.CUTOUT_SIZE_MIN, limits.CUTOUT_SIZE_MAX) == (0.1, 12)


def test_the_limits_are_used_where_the_core_checks(contract: dict[str, Any]) -> None:
    assert (request.MIN_SIZE, request.MAX_SIZE) == (limits.CUTOUT_SIZE_MIN, limits.CUTOUT_SIZE_MAX)
    assert (core.MIN_MOC_ORDER, core.MAX_MOC_ORDER) == (limits.MOC_ORDER_MIN, limits.MOC_ORDER_MAX)
    assert (labels.MIN_LABEL, labels.MAX_LABEL) == (limits.LABEL_MIN, limits.LABEL_MAX)
    assert labels.MAX_LABELS == limits.LABELS_MAX
    assert validation.MAX_NAME_LENGTH == limits.JOB_NAME_MAX_LENGTH
    with pytest.raises(
        RequestError, match=f"trees must be from 10 to {limits.ANOMALY_TREES_MAX:,}"
    ):
        AnomalyParameters.create(trees=limits.ANOMALY_TREES_MAX + 1)
    assert AnomalyParameters.create(top=limits.ANOMALY_TOP_MAX).top == limits.ANOMALY_TOP_MAX
    with pytest.raises(RequestError, match=f"from 1 to {limits.SIMILAR_K_MAX}, not"):
        SimilarRequest.from_json({"target": 1, "k": limits.SIMILAR_K_MAX + 1})
    assert SimilarRequest.from_json({"target": 1, "k": limits.SIMILAR_K_MAX}).k == 1000


def test_the_contract_references_the_shared_schemas(contract: dict[str, Any]) -> None:
    job_request = contract["components"]["schemas"]["JobRequest"]["properties"]
    assert (
        job_request["xsize"]["$ref"]
        == job_request["ysize"]["$ref"]
        == ("#/components/schemas/CutoutSize")
    )
    jobs = contract["paths"]["/jobs"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/JobPageLimit"} in jobs
    chart = contract["components"]["schemas"]["FindingChartRequest"]["properties"]
    assert chart["size"]["$ref"] == "#/components/schemas/CutoutSize"
    moc = contract["paths"]["/footprint/moc"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/MOCOrder"} in moc


def test_a_pointer_that_leads_nowhere_is_named() -> None:
    document = {"components": {"schemas": {"Label": {"maximum": 9}}}}
    assert limits.resolve_pointer(document, "#/components/schemas/Label/maximum") == 9
    with pytest.raises(KeyError, match="Label/minimum leads nowhere"):
        limits.resolve_pointer(document, "#/components/schemas/Label/minimum")
    with pytest.raises(KeyError, match="no limit 'NO_SUCH_LIMIT'"):
        limits.limit("NO_SUCH_LIMIT")
