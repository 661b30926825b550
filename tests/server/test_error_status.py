"""A domain error reaches a client with the HTTP status of its category, set in one place."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from surveylab.cutouts.labels import LabelError
from surveylab.errors import (
    CatalogNotFoundError,
    CatalogUnavailableError,
    CutoutLimitError,
    CutoutSizeError,
    ErrorCategory,
    ImageNotFoundError,
    JobLimitError,
    JobNotFoundError,
    NsideError,
    PositionError,
    QueryCancelledError,
    QueryTimeoutError,
    ReadOnlyQueryError,
    SQLSyntaxError,
    SurveylabError,
    TableNotFoundError,
    TileNotFoundError,
)
from surveylab.hips import HiPSNotFoundError
from surveylab.jobs import JobStateError, UnsafePathError
from surveylab.jobs.errors import JobFileNotFoundError, NotificationError
from surveylab_server.handlers.base import CATEGORY_STATUS

#: (case id, error class, HTTP status) — subclasses inherit their parent's category.
CASES: list[tuple[str, type[SurveylabError], int]] = [
    ("any-domain-error", SurveylabError, 400),
    ("catalog-missing", CatalogNotFoundError, 503),
    ("catalog-unreachable", CatalogUnavailableError, 503),
    ("sql-syntax", SQLSyntaxError, 400),
    ("not-read-only", ReadOnlyQueryError, 400),
    ("query-timeout", QueryTimeoutError, 408),
    ("query-cancelled", QueryCancelledError, 409),
    ("table-unknown-though-a-query-error", TableNotFoundError, 404),
    ("job-unknown", JobNotFoundError, 404),
    ("job-file-unknown", JobFileNotFoundError, 404),
    ("job-phase", JobStateError, 409),
    ("job-limit", JobLimitError, 429),
    ("unsafe-path", UnsafePathError, 400),
    ("notification", NotificationError, 400),
    ("position", PositionError, 400),
    ("nside", NsideError, 400),
    ("tile-unknown-though-a-footprint-error", TileNotFoundError, 404),
    ("image-unknown", ImageNotFoundError, 404),
    ("hips-missing", HiPSNotFoundError, 404),
    ("cutout-size", CutoutSizeError, 400),
    ("cutout-too-many-positions", CutoutLimitError, 400),
    ("labels", LabelError, 400),
]


@pytest.mark.parametrize(("error", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_error_gets_the_status_of_its_category(error: type[SurveylabError], status: int) -> None:
    assert CATEGORY_STATUS[error.category] == status


def test_every_category_has_a_status() -> None:
    assert set(CATEGORY_STATUS) == set(ErrorCategory)
    assert all(isinstance(status, HTTPStatus) for status in CATEGORY_STATUS.values())


def test_only_sql_syntax_errors_carry_details() -> None:
    assert SQLSyntaxError("bad", line=2, column=7).details() == {"line": 2, "column": 7}
    assert QueryTimeoutError("slow").details() == {}
