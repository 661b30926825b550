"""Request bodies and arguments are checked in the core, with messages that name the field."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from typing import Any

import pytest

from surveylab import inputs
from surveylab.errors import (
    ErrorCategory,
    FootprintError,
    NsideError,
    PositionError,
    RequestError,
    SurveylabError,
)
from surveylab.inputs import (
    AnomalyJobRequest,
    CutoutJobRequest,
    JobChanges,
    QueryJobRequest,
    QuickQueryRequest,
    job_request,
    json_object,
    labels_of,
    parse_degrees,
    parse_int,
    parse_moc_format,
    parse_moc_order,
    parse_nside,
    parse_phase,
    sql_of,
)
from surveylab.jobs import Phase

#: (case id, call, expected value)
ACCEPTED: list[tuple[str, Callable[[], Any], Any]] = [
    ("empty-body-is-an-object", lambda: json_object(b""), {}),
    ("body-with-required", lambda: json_object(b'{"sql": "SELECT 1"}', "sql"), {"sql": "SELECT 1"}),
    ("sql-as-text", lambda: sql_of({"sql": 5}), "5"),
    (
        "quick-query",
        lambda: QuickQueryRequest.from_json({"sql": "SELECT 1", "timeout": 2, "max_rows": 10.0}),
        QuickQueryRequest("SELECT 1", 2.0, 10),
    ),
    (
        "query-job",
        lambda: job_request({"type": "query", "sql": "SELECT 1", "format": "fits", "name": "a"}),
        QueryJobRequest("SELECT 1", format="fits", name="a"),
    ),
    (
        "anomaly-job",
        lambda: job_request(
            {"type": "anomaly", "sql": "S", "features": ["A", "B"], "top": 5, "seed": None}
        ),
        AnomalyJobRequest("S", options={"features": ["A", "B"], "top": 5}),
    ),
    (
        "anomaly-retrain-without-sql",
        lambda: job_request({"type": "anomaly", "retrain": "j1", "exclude_labels": [0, 3]}),
        AnomalyJobRequest(options={"retrain": "j1", "exclude_labels": [0, 3]}),
    ),
    (
        "cutout-job-drops-null-options",
        lambda: job_request(
            {"type": "cutout", "positions": [[1, 2], "21:33:27 -0:49:24"], "xsize": 2, "rgb": None}
        ),
        CutoutJobRequest(positions=[[1, 2], "21:33:27 -0:49:24"], options={"xsize": 2}),
    ),
    (
        "cutout-job-by-ids",
        lambda: job_request({"type": "cutout", "ids": [7]}),
        CutoutJobRequest(ids=[7]),
    ),
    ("rename", lambda: JobChanges.from_json({"name": "m2"}), JobChanges("m2")),
    ("renew-default", lambda: JobChanges.from_json({"renew": True}), JobChanges(None, True)),
    ("renew-days", lambda: JobChanges.from_json({"renew": 30}), JobChanges(None, True, 30.0)),
    ("renew-false-is-no-change", lambda: JobChanges.from_json({"renew": False}), JobChanges()),
    ("labels", lambda: labels_of({"labels": {"A": 1}}), {"A": 1}),
    ("int-default-bounds", lambda: parse_int("offset", "0"), 0),
    ("phase", lambda: parse_phase("COMPLETED"), Phase.COMPLETED),
    ("no-phase", lambda: parse_phase(None), None),
    ("degrees", lambda: parse_degrees("ra", " 12.5 "), 12.5),
    ("nside", lambda: parse_nside("32"), 32),
    ("moc-order", lambda: parse_moc_order("10"), 10),
    ("moc-format", lambda: parse_moc_format("json"), "json"),
]

#: (case id, call, error class, exact message)
REFUSED: list[tuple[str, Callable[[], Any], type[SurveylabError], str]] = [
    ("not-json", lambda: json_object(b"{"), RequestError, "the body is not JSON: "),
    ("not-utf8", lambda: json_object(b"\xff"), RequestError, "the body is not JSON: "),
    ("not-an-object", lambda: json_object(b"[1]"), RequestError, "the body must be a JSON object"),
    (
        "missing-fields",
        lambda: json_object(b"{}", "sql", "type"),
        RequestError,
        "missing field(s): sql, type",
    ),
    ("no-sql", lambda: QuickQueryRequest.from_json({}), RequestError, "missing field(s): sql"),
    (
        "timeout-not-a-number",
        lambda: QuickQueryRequest.from_json({"sql": "S", "timeout": "soon"}),
        RequestError,
        "timeout must be a positive number, not 'soon'",
    ),
    (
        "timeout-boolean",
        lambda: QuickQueryRequest.from_json({"sql": "S", "timeout": True}),
        RequestError,
        "timeout must be a positive number, not True",
    ),
    (
        "max-rows-fraction",
        lambda: QuickQueryRequest.from_json({"sql": "S", "max_rows": 2.5}),
        RequestError,
        "max_rows must be a whole number, not 2.5",
    ),
    ("job-no-type", lambda: job_request({}), RequestError, "missing field(s): type"),
    (
        "job-unknown-type",
        lambda: job_request({"type": "telescope"}),
        RequestError,
        "unknown job type 'telescope'; known: query, cutout, similarity-index, anomaly",
    ),
    (
        "anomaly-job-no-sql",
        lambda: job_request({"type": "anomaly", "top": 3}),
        RequestError,
        "an anomaly job needs 'sql' (or 'retrain': an earlier job's id)",
    ),
    (
        "anomaly-unknown-field",
        lambda: job_request({"type": "anomaly", "sql": "S", "depth": 3}),
        RequestError,
        "unknown field(s) of an anomaly job: depth",
    ),
    (
        "anomaly-features-not-text",
        lambda: job_request({"type": "anomaly", "sql": "S", "features": [1, 2]}),
        RequestError,
        "features must be a list of strings or a comma-separated string",
    ),
    (
        "anomaly-labels-not-a-list",
        lambda: job_request({"type": "anomaly", "sql": "S", "exclude_labels": 0}),
        RequestError,
        "exclude_labels must be a list of labels 0-9",
    ),
    (
        "query-job-no-sql",
        lambda: job_request({"type": "query"}),
        RequestError,
        "a query job needs 'sql'",
    ),
    (
        "query-job-name-not-text",
        lambda: job_request({"type": "query", "sql": "S", "name": 5}),
        RequestError,
        "name must be a string, not 5",
    ),
    (
        "cutout-unknown-fields",
        lambda: job_request({"type": "cutout", "size": 1, "sql": "S"}),
        RequestError,
        "unknown field(s) of a cutout job: size, sql",
    ),
    (
        "cutout-positions-not-a-list",
        lambda: job_request({"type": "cutout", "positions": "1 2"}),
        RequestError,
        "positions must be a list",
    ),
    (
        "cutout-ids-not-a-list",
        lambda: job_request({"type": "cutout", "ids": 7}),
        RequestError,
        "ids must be a list",
    ),
    (
        "cutout-ids-as-positions",
        lambda: job_request({"type": "cutout", "positions": [7, 8]}),
        RequestError,
        "positions must be [ra, dec] pairs or position strings like '21:33:27 -0:49:24'; "
        "object ids go in 'ids'",
    ),
    (
        "cutout-csv-not-text",
        lambda: job_request({"type": "cutout", "csv": ["RA,DEC"]}),
        RequestError,
        "csv must be a string, not ['RA,DEC']",
    ),
    (
        "renew-negative",
        lambda: JobChanges.from_json({"name": "m2", "renew": -1}),
        RequestError,
        "renew must be a positive number, not -1",
    ),
    ("labels-missing", lambda: labels_of({}), RequestError, "missing field(s): labels"),
    (
        "labels-unknown-fields",
        lambda: labels_of({"labels": {}, "job": "x"}),
        RequestError,
        "unknown field(s) of a labels body: job",
    ),
    (
        "int-not-a-number",
        lambda: parse_int("offset", "x"),
        RequestError,
        "offset must be an integer",
    ),
    ("int-below", lambda: parse_int("offset", "-1"), RequestError, "offset must be at least 0"),
    ("int-range", lambda: parse_int("limit", "0", 1, 500), RequestError, "limit must be 1 to 500"),
    (
        "phase-unknown",
        lambda: parse_phase("DONE"),
        RequestError,
        "unknown phase 'DONE'; phases: " + ", ".join(p.value for p in Phase),
    ),
    (
        "degrees-missing",
        lambda: parse_degrees("ra", None),
        PositionError,
        "ra is required: a number of degrees",
    ),
    (
        "degrees-blank",
        lambda: parse_degrees("dec", " "),
        PositionError,
        "dec is required: a number of degrees",
    ),
    (
        "degrees-not-a-number",
        lambda: parse_degrees("dec", "1,5"),
        PositionError,
        "dec must be a number of degrees, not '1,5'",
    ),
    ("nside-text", lambda: parse_nside("abc"), NsideError, "nside must be a power of 2, not 'abc'"),
    (
        "moc-order-text",
        lambda: parse_moc_order("ten"),
        FootprintError,
        "order must be an integer HEALPix order, not 'ten'",
    ),
    (
        "moc-format",
        lambda: parse_moc_format("png"),
        FootprintError,
        "format must be fits or json, not 'png'",
    ),
]


@pytest.mark.parametrize(
    ("call", "expected"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_accepted(call: Callable[[], Any], expected: Any) -> None:
    assert call() == expected


@pytest.mark.parametrize(
    ("call", "error", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_as_invalid_input_naming_the_field(
    call: Callable[[], Any], error: type[SurveylabError], message: str
) -> None:
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    assert caught.value.category is ErrorCategory.INVALID_INPUT
    if message.endswith(": "):  # the JSON decoder's own words follow
        assert str(caught.value).startswith(message)
    else:
        assert str(caught.value) == message


def test_the_module_examples_run() -> None:
    failures, tried = doctest.testmod(inputs, raise_on_error=False)
    assert tried > 0
    assert failures == 0
