"""Result column names: made unique, ignoring case, with the query's names kept."""

from __future__ import annotations

import pyarrow as pa
import pytest

from surveylab.results import original_name, unique_column_names, unique_names


@pytest.mark.parametrize(
    ("names", "unique"),
    [
        pytest.param(["RA", "DEC"], ["RA", "DEC"], id="unique"),
        pytest.param(["RA", "RA", "RA"], ["RA", "RA_2", "RA_3"], id="three-times"),
        pytest.param(["ra", "RA", "Ra"], ["ra", "RA_2", "Ra_3"], id="case-insensitive"),
        pytest.param(["A", "A", "A_2"], ["A", "A_3", "A_2"], id="suffix-taken-later"),
        pytest.param(["A_2", "A", "A"], ["A_2", "A", "A_3"], id="suffix-taken-before"),
        pytest.param(["RA", "DEC", "RA", "DEC"], ["RA", "DEC", "RA_2", "DEC_2"], id="pairs"),
    ],
)
def test_unique_column_names(names: list[str], unique: list[str]) -> None:
    assert unique_column_names(names) == unique
    schema = unique_names(pa.schema([(name, pa.int8()) for name in names]))
    assert schema.names == unique
    assert [original_name(field) for field in schema] == names
