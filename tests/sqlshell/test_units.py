"""The shell's pure parts as tables of input and expected output: parsing, settings, tables
as text, completion, user-table names and uploaded files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from astropy.table import MaskedColumn, Table

from surveylab.errors import SQLSyntaxError
from surveylab.sqlshell.commands import wildcard
from surveylab.sqlshell.complete import SchemaCache, statement_tables, suggest
from surveylab.sqlshell.config import ShellConfig
from surveylab.sqlshell.parse import (
    Check,
    Command,
    Explain,
    Export,
    ShellUsageError,
    Statement,
    Submit,
    is_complete,
    parse_input,
)
from surveylab.sqlshell.render import caret_lines, render_table
from surveylab.usertables import UserTableError, check_table_name, read_table_file
from surveylab.usertables.files import default_table_name


@pytest.mark.parametrize(
    ("text", "actions"),
    [
        ("SELECT 1;", [Statement("SELECT 1")]),
        ("select a\nfrom t;", [Statement("select a\nfrom t")]),
        ("SELECT 1; > out.fits", [Statement("SELECT 1", Export("out.fits", "fits", None))]),
        ("SELECT 1;>x.csv.gz", [Statement("SELECT 1", Export("x.csv.gz", "csv", "gzip"))]),
        ("SELECT 1; > 'my file.h5'", [Statement("SELECT 1", Export("my file.h5", "hdf5", None))]),
        ("SELECT 1; < check", [Statement("SELECT 1", Check())]),
        ("SELECT 1; < EXPLAIN", [Statement("SELECT 1", Explain())]),
        ("SELECT ';' AS S FROM t;", [Statement("SELECT ';' AS S FROM t")]),
        ("SELECT 1 -- a ; comment\n;", [Statement("SELECT 1 -- a ; comment\n")]),
        ("SELECT 1; SELECT 2;", [Statement("SELECT 1"), Statement("SELECT 2")]),
        ("help; whoami", [Command("help"), Command("whoami")]),
        ("describe_table DR1_MAIN;", [Command("describe_table", ("DR1_MAIN",))]),
        ("load_table 'a b.csv' T", [Command("load_table", ("a b.csv", "T"))]),
        ("HELP config", [Command("help", ("config",))]),
        (
            "submit SELECT 1; > m2.parquet",
            [Submit(Statement("SELECT 1", Export("m2.parquet", "parquet", None)))],
        ),
        ("SELECT 1", [Statement("SELECT 1")]),  # the end of a script ends it
        ("-- only a comment\n", []),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_input_becomes_actions(text: str, actions: list[object]) -> None:
    assert parse_input(text) == actions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("descibe_table X", "did you mean describe_table?"),
        ("selct * from t;", "did you mean SELECT?"),
        ("xyzzy", "type help for the commands"),
        ("SELECT 1; > out.xls", "cannot tell the format of 'out.xls'"),
        ("SELECT 1; >", "needs a file name"),
        ("SELECT 1; < plan", "'; < check' or '; < explain'"),
        ("submit ;", "submit needs a statement"),
        ("load_table 'unclosed", "No closing quotation"),
    ],
)
def test_bad_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ShellUsageError, match=message.replace("?", r"\?")):
        parse_input(text)


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("", True),
        ("SELECT 1", False),
        ("SELECT 1\nFROM t", False),
        ("SELECT 1;", True),
        ("SELECT ';", False),  # inside a string
        ("SELECT 1; > out.csv", True),
        ("submit SELECT 1", False),
        ("help", True),
        ("descibe_table X", True),  # runs, to say what was meant
        ("SELECT 1; SELECT 2", False),
    ],
)
def test_enter_runs_only_complete_input(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("format", "CSV", "csv"),
        ("timeout", "2.5", 2.5),
        ("prefetch", "50", 50),
        ("null", "-", "-"),
        ("pager", "off", False),
    ],
)
def test_config_sets_checked_values(name: str, value: str, expected: object) -> None:
    assert getattr(ShellConfig().set(name, value), name) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("format", "xml", "format must be one of table, csv, tab"),
        ("timeout", "-1", "timeout must be 0"),
        ("timeout", "soon", "timeout must be a number"),
        ("prefetch", "0", "prefetch must be between 1"),
        ("pager", "maybe", "pager must be on or off"),
        ("colour", "red", "unknown setting 'colour'"),
    ],
)
def test_config_refuses_bad_values(name: str, value: str, message: str) -> None:
    with pytest.raises(ShellUsageError, match=message):
        ShellConfig().set(name, value)


def test_config_is_saved_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".surveylab" / "sql_config.json"
    config = ShellConfig().set("prefetch", "7").set("pager", "off")
    config.save(path)
    assert ShellConfig.load(path) == config
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["sql_config.json"]
    path.write_text("{not json")
    assert ShellConfig.load(path) == ShellConfig()


def test_tables_align_numbers_right_and_show_nulls() -> None:
    data = pa.table(
        {
            "ID": pa.array([1, 22, None], pa.int64()),
            "MAG": pa.array([21.5, None, float("nan")], pa.float32()),
            "TILE": ["DES0001", None, "X"],
            "FLAG": [True, False, None],
        }
    )
    assert render_table(data, null="--").splitlines() == [
        "ID  MAG TILE    FLAG",
        "-- ---- ------- -----",
        " 1 21.5 DES0001 true",
        "22   -- --      false",
        "--  nan X       --",
    ]
    assert render_table(data, format="csv").splitlines()[1] == "1,21.5,DES0001,true"
    assert render_table(data, format="tab").splitlines()[0] == "ID\tMAG\tTILE\tFLAG"


def test_caret_points_at_the_column_of_the_error() -> None:
    error = SQLSyntaxError("syntax error", line=2, column=7)
    assert caret_lines("SELECT 1\nFROM  WHERE", error) == ["  FROM  WHERE", "        ^"]
    assert caret_lines("SELECT", SQLSyntaxError("empty")) == []


SCHEMA = {
    "DR1_MAIN": ["COADD_OBJECT_ID", "RA", "DEC", "TILENAME"],
    "DR1_TILE_INFO": ["TILENAME", "RA_CENT", "DEC_CENT"],
}


@pytest.fixture
def schema() -> SchemaCache:
    return SchemaCache(
        lambda: list(SCHEMA), lambda table: SCHEMA.get(table.upper(), []), lambda: ["MYDB.STARS"]
    )


@pytest.mark.parametrize(
    ("before", "after", "first"),
    [
        ("sel", "", ["SELECT"]),
        ("desc", "", ["describe_table"]),
        ("SELECT * FROM DR1_T", "", ["DR1_TILE_INFO"]),
        ("SELECT * FROM ", "", ["DR1_MAIN", "DR1_TILE_INFO", "MYDB.STARS"]),
        ("SELECT TI", " FROM DR1_TILE_INFO", ["TILENAME"]),
        ("SELECT R", " FROM DR1_TILE_INFO", ["RA_CENT", "RIGHT"]),  # its columns first
        ("SELECT m.", " FROM DR1_MAIN m", ["m.COADD_OBJECT_ID", "m.RA", "m.DEC"]),
        ("SELECT * FROM MYDB.S", "", ["MYDB.STARS"]),
        ("describe_table DR1_M", "", ["DR1_MAIN"]),
        ("loadsql ", "", []),
    ],
)
def test_completion_offers_the_likeliest_first(
    before: str, after: str, first: list[str], schema: SchemaCache
) -> None:
    _, candidates = suggest(before, schema, after)
    assert candidates[: len(first)] == first


def test_completion_finds_tables_and_aliases_of_the_statement() -> None:
    tables = statement_tables("SELECT * FROM DR1_MAIN AS m, MYDB.STARS s JOIN DR1_TILE_INFO t ON")
    assert tables == {
        "DR1_MAIN": "DR1_MAIN",
        "M": "DR1_MAIN",
        "MYDB.STARS": "MYDB.STARS",
        "S": "MYDB.STARS",
        "DR1_TILE_INFO": "DR1_TILE_INFO",
        "T": "DR1_TILE_INFO",
    }
    assert statement_tables("SELECT 'unterminated") == {}


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("dr1%", "DR1_MAIN", True),
        ("*info", "DR1_TILE_INFO", True),
        ("tile", "DR1_TILE_INFO", True),
        ("dr?_main", "DR1_MAIN", True),
        ("dr2%", "DR1_MAIN", False),
        ("main", "DR1_TILE_INFO", False),
    ],
)
def test_find_patterns(pattern: str, name: str, matches: bool) -> None:
    assert bool(wildcard(pattern).match(name)) is matches


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("stars", "STARS"),
        ("My_Table2", "MY_TABLE2"),
        ("../etc/passwd", None),
        ("1abc", None),
        ("a b", None),
        ("x" * 64, None),
        ("dr1_main", None),
        ("MYDB.T", None),
    ],
)
def test_user_table_names_are_checked(name: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(UserTableError):
            check_table_name(name, ["DR1_MAIN"])
    else:
        assert check_table_name(name, ["DR1_MAIN"]) == expected


@pytest.mark.parametrize(
    ("file", "name"),
    [("my-stars.fits.gz", "MY_STARS"), ("2024 targets.csv", "T_2024_TARGETS"), ("x.parquet", "X")],
)
def test_default_table_names_come_from_the_file(file: str, name: str) -> None:
    assert default_table_name(Path(file)) == name


def test_uploaded_files_keep_nulls_and_clean_names(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("ra deg,Dec,NOTE\n1.5,2,x\n,3,\n")
    table = read_table_file(csv)
    assert table.column_names == ["ra_deg", "Dec", "NOTE"]
    assert table.column("ra_deg").to_pylist() == [1.5, None]
    fits = tmp_path / "b.fits"
    Table({"ID": MaskedColumn([1, 2], mask=[False, True]), "NAME": np.array([b"ab", b"c"])}).write(
        fits
    )
    table = read_table_file(fits)
    assert table.column("ID").to_pylist() == [1, None]
    assert table.column("NAME").to_pylist() == ["ab", "c"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", "", "must end with"),
        ("absent.csv", None, "no file"),
        ("dup.csv", "a,A\n1,2\n", "the same name"),
        ("bad.parquet", "not parquet", "cannot read bad.parquet"),
    ],
)
def test_unusable_uploads_are_refused(
    name: str, content: str | None, message: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserTableError, match=message):
        read_table_file(path)
