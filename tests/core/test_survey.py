"""``Survey``: the one entry point to a release, on the generated demo survey."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from surveylab import CatalogNotFoundError, QueryError, Settings, Survey
from surveylab.catalog import open_catalog
from surveylab.demo import M2_DEC, M2_EXAMPLE_QUERY, M2_RA
from surveylab.survey import arrow_to_table


@pytest.fixture
def survey(demo_data_dir: Path) -> Survey:
    with Survey(Settings(data_dir=demo_data_dir)) as opened:
        yield opened


def test_m2_example_query_returns_stars_of_the_cluster(survey: Survey) -> None:
    table = survey.query(M2_EXAMPLE_QUERY)
    assert len(table) > 1000
    separation = np.hypot((table["RA"] - M2_RA) * np.cos(np.radians(M2_DEC)), table["DEC"] - M2_DEC)
    assert np.median(separation) < 0.05  # degrees: concentrated on the cluster centre
    assert table["RA"].unit == "deg"
    assert table["G"].unit is None  # aliased columns are not guessed
    assert table.meta["release"] == "DEMO DR1"


def test_info_lists_the_release_and_its_tables(survey: Survey) -> None:
    info = survey.info()
    assert info.release == "DEMO DR1"
    assert info.backend == "duckdb"
    names = [table.name for table in info.tables]
    assert {"DR1_MAIN", "DR1_TILE_INFO"} <= set(names)
    assert all(table.description for table in info.tables)


def test_columns_carry_units_and_descriptions(survey: Survey) -> None:
    columns = {column.name: column for column in survey.columns("dr1_main")}
    assert columns["RA"].unit == "deg"
    assert columns["MAG_AUTO_G"].unit == "mag"
    assert all(column.description for column in columns.values())


def test_query_limit_and_release_name_override(demo_data_dir: Path) -> None:
    settings = Settings(data_dir=demo_data_dir, release_name="My DR")
    with Survey(settings) as survey:
        table = survey.query("SELECT COADD_OBJECT_ID FROM DR1_MAIN", limit=7)
        assert len(table) == 7
        assert survey.info().release == "My DR"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT NOPE FROM DR1_MAIN", "NOPE"),
        ("SELECT * FROM NO_SUCH_TABLE", "NO_SUCH_TABLE"),
        ("SELEC 1", "syntax error"),
    ],
    ids=["unknown-column", "unknown-table", "syntax"],
)
def test_bad_query_is_a_clear_query_error(survey: Survey, sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        survey.query(sql)


def test_unknown_table_columns(survey: Survey) -> None:
    with pytest.raises(QueryError, match="no table named 'NOPE'"):
        survey.columns("NOPE")


def test_missing_catalog_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogNotFoundError, match="surveylab demo-data"):
        Survey(Settings(data_dir=tmp_path / "absent")).info()


def test_catalog_url_takes_precedence(demo_data_dir: Path, tmp_path: Path) -> None:
    url = f"duckdb://{demo_data_dir / 'catalog.duckdb'}"
    settings = Settings(data_dir=tmp_path / "absent", catalog_url=url)
    assert settings.catalog_location == url
    with Survey(settings) as survey:
        assert survey.query("SELECT 1 AS ONE")["ONE"][0] == 1


def test_unknown_catalog_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown catalog URL scheme 'mysql'"):
        open_catalog("mysql://db/x")


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SURVEYLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SURVEYLAB_RELEASE_NAME", "Env DR")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.release_name == "Env DR"
    assert settings.catalog_location == f"duckdb://{tmp_path / 'catalog.duckdb'}"


def test_default_data_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SURVEYLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().data_dir == tmp_path / "surveylab" / "demo"


def test_arrow_to_table_keeps_nulls_masked() -> None:
    data = pa.table(
        {
            "I": pa.array([1, None, 3], pa.int64()),
            "F": pa.array([1.5, None, 2.5], pa.float32()),
            "S": pa.array(["a", None, "c"]),
        }
    )
    table = arrow_to_table(data)
    assert table["I"].dtype == np.int64
    assert table["F"].dtype == np.float32
    assert list(table["I"].mask) == [False, True, False]
    assert list(table["S"].mask) == [False, True, False]
    assert table["S"][2] == "c"


#: A self-join: both sides' RA under the same name.
SELF_JOIN = (
    "SELECT a.RA, b.RA FROM DR1_MAIN a JOIN DR1_MAIN b ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID "
    "ORDER BY a.COADD_OBJECT_ID FETCH FIRST 5 ROWS ONLY"
)


@pytest.mark.parametrize(
    ("sql", "names", "original"),
    [
        pytest.param(SELF_JOIN, ["RA", "RA_2"], "RA", id="self-join"),
        pytest.param("SELECT 1 AS x, 2 AS x", ["x", "x_2"], "x", id="aliases"),
        pytest.param("SELECT 1 AS ra, 2 AS RA", ["ra", "RA_2"], "RA", id="names-differing-in-case"),
    ],
)
def test_repeated_column_names_are_made_unique_in_every_result(
    survey: Survey, sql: str, names: list[str], original: str
) -> None:
    data = survey.query(sql, output="arrow")
    assert isinstance(data, pa.Table)
    assert data.column_names == names
    assert data.schema.field(1).metadata == {b"original_name": original.encode()}
    assert b"original_name" not in (data.schema.field(0).metadata or {})

    quick = survey.quick(sql)
    assert [column.name for column in quick.columns] == names
    assert [column.original_name for column in quick.columns] == [names[0], original]
    assert f"renamed {names[1]}" in quick.columns[1].description
    assert quick.rows == [list(row.values()) for row in data.to_pylist()]

    table = survey.quick_table(sql)
    assert table.colnames == names
    assert table[names[1]].meta["original_name"] == original
    assert "original_name" not in table[names[0]].meta
    assert survey.query(sql).colnames == names


def test_a_renamed_column_keeps_the_catalog_unit_and_description(survey: Survey) -> None:
    table = survey.query(SELF_JOIN)
    assert table["RA"].unit == table["RA_2"].unit == "deg"
    description = table["RA"].description
    assert description
    assert table["RA_2"].description.startswith(description)
    assert "RA renamed RA_2" in table["RA_2"].description
    assert list(table["RA"]) == list(table["RA_2"])


def test_a_query_whose_alias_takes_the_next_name_gets_a_further_one(survey: Survey) -> None:
    data = survey.query("SELECT 1 AS A, 2 AS A, 3 AS A_2", output="arrow")
    assert data.column_names == ["A", "A_3", "A_2"]
    assert data.to_pylist() == [{"A": 1, "A_3": 2, "A_2": 3}]


@pytest.mark.parametrize(
    ("sql", "lang", "table"),
    [
        ("SELECT TOP 1 * FROM DR1_TILE_INFO", "ADQL", "DR1_TILE_INFO"),
        ("SELECT TILENAME FROM DR1_MAIN FETCH FIRST 1 ROWS ONLY", "SQL", "DR1_MAIN"),
        (
            "SELECT t.TILENAME, m.RA FROM DR1_TILE_INFO t JOIN DR1_MAIN m "
            "ON m.TILENAME = t.TILENAME FETCH FIRST 1 ROWS ONLY",
            "SQL",
            "DR1_TILE_INFO",
        ),
    ],
    ids=["tile-info", "main", "join-first-named"],
)
def test_a_result_column_takes_the_metadata_of_the_table_it_comes_from(
    survey: Survey, sql: str, lang: str, table: str
) -> None:
    """A name two tables share (``TILENAME``, with a different UCD in each) is described as in
    the table the query reads: in a join, the first one named."""
    ucds = {
        name: next(c.ucd for c in survey.columns(name) if c.name.upper() == "TILENAME")
        for name in ("DR1_MAIN", "DR1_TILE_INFO")
    }
    assert ucds["DR1_MAIN"] != ucds["DR1_TILE_INFO"]  # the case that matters
    prepared = survey.check(sql, lang=lang)
    assert survey.query_columns(prepared)["TILENAME"].ucd == ucds[table]
    assert survey.result_metadata(prepared).columns["TILENAME"].ucd == ucds[table]
    quick = survey.quick(sql if lang == "SQL" else "SELECT * FROM DR1_TILE_INFO")
    (tilename,) = [c for c in quick.columns if c.name == "TILENAME"]
    assert tilename.ucd == ucds[table if lang == "SQL" else "DR1_TILE_INFO"]
    # a column only one table has keeps its metadata either way
    assert survey.query_columns(prepared)["RA"].unit == "deg"
