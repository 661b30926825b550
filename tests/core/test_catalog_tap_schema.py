"""The TAP_SCHEMA merge that every backend shares: units, UCDs and descriptions by column name."""

from __future__ import annotations

import doctest

import pytest

from surveylab.catalog import tap_schema
from surveylab.catalog.tap_schema import (
    ColumnMetadata,
    merge_tap_columns,
    tap_column_metadata,
    tap_table_descriptions,
)
from surveylab.models import ColumnInfo

MERGES = [
    # (id, dictionary columns, TAP_SCHEMA rows, expected columns)
    (
        "tap-wins-over-comment",
        [("RA", "DOUBLE", "ra in degrees")],
        [("RA", "deg", "pos.eq.ra", "Right ascension")],
        [ColumnInfo("RA", "DOUBLE", "deg", "pos.eq.ra", "Right ascension")],
    ),
    (
        "case-ignored",
        [("MAG_AUTO_G", "REAL", "")],
        [("mag_auto_g", "mag", "phot.mag", "g magnitude")],
        [ColumnInfo("MAG_AUTO_G", "REAL", "mag", "phot.mag", "g magnitude")],
    ),
    (
        "comment-when-tap-has-no-description",
        [("FLAGS", "INTEGER", "SExtractor flags")],
        [("FLAGS", None, "meta.code", None)],
        [ColumnInfo("FLAGS", "INTEGER", "", "meta.code", "SExtractor flags")],
    ),
    (
        "column-tap-does-not-know",
        [("NEW", "TEXT", "")],
        [("RA", "deg", "pos.eq.ra", "Right ascension")],
        [ColumnInfo("NEW", "TEXT")],
    ),
    ("no-tap-schema", [("RA", "DOUBLE", "")], [], [ColumnInfo("RA", "DOUBLE")]),
]


@pytest.mark.parametrize(
    ("found", "tap_rows", "expected"),
    [case[1:] for case in MERGES],
    ids=[case[0] for case in MERGES],
)
def test_merge_tap_columns(
    found: list[tuple[str, str, str]],
    tap_rows: list[tuple[object, ...]],
    expected: list[ColumnInfo],
) -> None:
    metadata: dict[str, ColumnMetadata] = tap_column_metadata(tap_rows)
    assert merge_tap_columns(found, metadata) == expected


def test_table_descriptions_by_bare_upper_case_name() -> None:
    rows = [("des_admin.dr1_main", "Objects"), ("DR1_TILE_INFO", None)]
    assert tap_table_descriptions(rows) == {"DR1_MAIN": "Objects", "DR1_TILE_INFO": ""}


def test_the_module_examples_run() -> None:
    failures, tried = doctest.testmod(tap_schema, raise_on_error=False)
    assert tried > 0
    assert failures == 0
