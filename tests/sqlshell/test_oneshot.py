"""``surveylab sql -c`` and ``-f`` as scripts run them, on the demo DuckDB and on PostgreSQL:
exit codes, files written and read back, user tables, jobs."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from astropy.table import Table

from surveylab import Settings, Survey
from surveylab.jobs import Phase
from surveylab.writers import read_hdf5

from .conftest import PostgresLogin, run_sql, run_sql_process

#: Rows with NULLs (every third G) and text, in a stable order.
QUERY = (
    "SELECT COADD_OBJECT_ID, RA, CASE WHEN MOD(COADD_OBJECT_ID, 3) = 0 THEN NULL "
    "ELSE MAG_AUTO_G END AS G, TILENAME FROM DR1_MAIN ORDER BY COADD_OBJECT_ID "
    "FETCH FIRST 500 ROWS ONLY"
)


def read_back(path: Path) -> pa.Table:
    """A written file as an Arrow table, NULLs as nulls, whatever its format."""
    name = path.name
    if name.endswith((".csv", ".csv.gz")):
        return pacsv.read_csv(path)
    if name.endswith(".tab"):
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter="\t"))
    if name.endswith(".parquet"):
        return pq.read_table(path)
    if name.endswith(".h5"):
        return read_hdf5(path)
    table = Table.read(path)
    columns = {}
    for column in table.colnames:
        values = np.asarray(table[column])
        values = values.astype(values.dtype.newbyteorder("="))
        if values.dtype.kind == "S":
            values = np.char.decode(values, "ascii")
        mask = np.asarray(table[column].mask) if hasattr(table[column], "mask") else None
        if values.dtype.kind == "f":
            mask = np.isnan(values) if mask is None else mask | np.isnan(values)
        columns[column] = pa.array(values, mask=mask if mask is not None and mask.any() else None)
    return pa.table(columns)


@pytest.fixture
def expected(demo_data_dir: Path, tmp_path: Path) -> pa.Table:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=tmp_path / "x")) as survey:
        return survey.query_arrow(QUERY)


@pytest.mark.parametrize(
    "name",
    ["out.csv", "out.csv.gz", "out.tab", "out.fits", "out.fits.gz", "out.h5", "out.parquet"],
)
def test_export_suffix_writes_every_row_and_reads_back(
    name: str, shell_env: dict[str, str], tmp_path: Path, expected: pa.Table
) -> None:
    result = run_sql("-c", f"{QUERY}; > {name}", env=shell_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"500 rows written to {tmp_path / name}" in result.stdout
    if name.endswith(".gz"):
        with gzip.open(tmp_path / name) as unzipped:
            assert unzipped.read(2)  # a real gzip stream
    back = read_back(tmp_path / name)
    assert (
        back.column("COADD_OBJECT_ID").to_pylist() == expected.column("COADD_OBJECT_ID").to_pylist()
    )
    assert back.column("G").null_count == expected.column("G").null_count > 0
    np.testing.assert_allclose(
        back.column("G").to_numpy(zero_copy_only=False).astype(float),
        expected.column("G").to_numpy(zero_copy_only=False).astype(float),
        rtol=1e-6,
    )
    assert back.column("TILENAME").to_pylist() == expected.column("TILENAME").to_pylist()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


#: A self-join that names RA and DEC twice, as a cross-match does.
SELF_JOIN = (
    "SELECT a.COADD_OBJECT_ID, a.RA, a.DEC, b.RA, b.DEC FROM DR1_MAIN a JOIN DR1_MAIN b "
    "ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID ORDER BY a.COADD_OBJECT_ID FETCH FIRST 50 ROWS ONLY"
)


@pytest.mark.parametrize("name", ["", "out.csv", "out.tab", "out.fits", "out.h5", "out.parquet"])
def test_a_query_that_repeats_a_column_name_gets_unique_names(
    name: str, shell_env: dict[str, str], tmp_path: Path
) -> None:
    suffix = f" > {name}" if name else ""
    text = f"{SELF_JOIN};{suffix}\nSELECT 7 AS SEVEN FROM dual;"
    result = run_sql("-c", text, env=shell_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SEVEN" in result.stdout  # the next statement ran
    if not name:
        assert result.stdout.split()[:5] == ["COADD_OBJECT_ID", "RA", "DEC", "RA_2", "DEC_2"]
        return
    back = read_back(tmp_path / name)
    assert back.column_names == ["COADD_OBJECT_ID", "RA", "DEC", "RA_2", "DEC_2"]
    assert back.num_rows == 50
    assert back.column("RA_2").to_pylist() == back.column("RA").to_pylist()


def test_statements_print_aligned_tables_with_nulls(
    shell_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_sql(
        "-c",
        "SELECT 1 AS ONE, NULL AS NOTHING, 'x' AS T FROM dual; config",
        env=shell_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["ONE NOTHING T", "--- ------- -", "  1 NULL    x"]
    assert "1 row in" in result.stderr


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        ("SELECT RA FROM DR1_MAIN WHERE;", 1, "syntax error"),
        ("SELECT NOPE FROM DR1_MAIN;", 1, "NOPE"),
        ("DELETE FROM DR1_MAIN;", 1, "only read-only queries"),
        ("descibe_table DR1_MAIN", 2, "did you mean describe_table?"),
        ("SELECT 1 FROM dual; > out.xls", 2, "cannot tell the format of 'out.xls'"),
        ("SELECT 1 FROM dual; < plan", 2, "write '; < check' or '; < explain'"),
        ("describe_table", 2, "describe_table takes one table name"),
        ("config timeout -3", 2, "timeout must be 0"),
        ("SELECT 1 FROM dual; > no/such/folder/x.csv", 1, "does not exist"),
    ],
    ids=[
        "syntax",
        "unknown-column",
        "write",
        "unknown-command",
        "unknown-suffix",
        "unknown-mode",
        "missing-argument",
        "bad-config",
        "unwritable",
    ],
)
def test_bad_input_gets_a_message_and_a_meaningful_exit_code(
    text: str, status: int, message: str, shell_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_sql("-c", text, env=shell_env, cwd=tmp_path)
    assert result.returncode == status
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_syntax_error_has_a_caret_under_its_place(
    shell_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_sql(
        "-c", "SELECT RA, DEC\nFROM DR1_MAIN WHERE RA > AND DEC < 0;", env=shell_env, cwd=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith("(line 2, column 26)")
    assert lines[1:3] == ["  FROM DR1_MAIN WHERE RA > AND DEC < 0", " " * 27 + "^"]


def test_a_failed_export_loses_no_data(shell_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "keep.fits"
    target.write_bytes(b"the user's earlier result")
    # the error comes while the rows stream, after the first batches are written
    failing = (
        "SELECT CAST(CASE WHEN COADD_OBJECT_ID = (SELECT MAX(COADD_OBJECT_ID) FROM DR1_MAIN) "
        "THEN 'x' ELSE '1' END AS INTEGER) AS V FROM DR1_MAIN; > keep.fits"
    )
    result = run_sql("-c", failing, env=shell_env, cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "ERROR:" in result.stderr
    assert target.read_bytes() == b"the user's earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "keep.fits"]
    blocked = tmp_path / "keep.fits" / "x.csv"  # its folder is a file
    result = run_sql("-c", f"SELECT 1 FROM dual; > {blocked}", env=shell_env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"cannot write {blocked}" in result.stderr


def test_a_file_runs_until_its_first_error(shell_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "run.sql"
    script.write_text(
        "-- two exports and an error between them\n"
        "SELECT TILENAME FROM DR1_TILE_INFO; > first.csv\n"
        "SELECT RA FROM NO_SUCH_TABLE;\n"
        "SELECT TILENAME FROM DR1_TILE_INFO; > second.csv\n"
    )
    result = run_sql("-f", str(script), env=shell_env, cwd=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "first.csv").is_file()
    assert not (tmp_path / "second.csv").exists()
    from_stdin = run_sql(env=shell_env, cwd=tmp_path, stdin="SELECT 2 AS TWO FROM dual;\n")
    assert from_stdin.returncode == 0
    assert from_stdin.stdout.splitlines()[-1].strip() == "2"
    missing = run_sql("-f", str(tmp_path / "absent.sql"), env=shell_env, cwd=tmp_path)
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr


def test_check_and_explain_run_nothing(shell_env: dict[str, str], tmp_path: Path) -> None:
    result = run_sql(
        "-c",
        "SELECT RA FROM DR1_MAIN WHERE ROWNUM <= 5; < check\nSELECT RA FROM DR1_MAIN; < explain",
        env=shell_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "OK: the statement is valid; duckdb runs:\n  SELECT RA FROM DR1_MAIN LIMIT 5"
        in result.stdout
    )
    assert "DR1_MAIN" in result.stdout.split("LIMIT 5", 1)[1]  # the plan names the table


def test_config_is_saved_and_shapes_the_output(shell_env: dict[str, str], tmp_path: Path) -> None:
    first = run_sql(
        "-c", "config format csv\nconfig null -\nprefetch 2", env=shell_env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    saved = Path(shell_env["HOME"]) / ".surveylab" / "sql_config.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    result = run_sql(
        "-c",
        "SELECT TILENAME, NULL AS X FROM DR1_TILE_INFO ORDER BY 1;",
        env=shell_env,
        cwd=tmp_path,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "TILENAME,X"
    assert len(lines) == 3 and lines[1].endswith(",-")


def test_user_tables_on_duckdb(shell_env: dict[str, str], tmp_path: Path) -> None:
    upload = tmp_path / "my targets.csv"
    upload.write_text("COADD_OBJECT_ID,NOTE\n" + "".join(f"{i},n{i}\n" for i in range(3)))
    db = Path(shell_env["HOME"]) / ".surveylab" / "mydb.duckdb"
    listing = run_sql("-c", "find_tables %", env=shell_env, cwd=tmp_path)
    assert listing.returncode == 0 and "DR1_MAIN" in listing.stdout
    assert not db.exists()  # looking creates no user database
    ids = run_sql(
        "-c",
        "SELECT COADD_OBJECT_ID FROM DR1_MAIN ORDER BY 1 FETCH FIRST 3 ROWS ONLY; > ids.csv",
        env=shell_env,
        cwd=tmp_path,
    )
    assert ids.returncode == 0, ids.stderr
    result = run_sql(
        "-c",
        "load_table ids.csv\nload_table 'my targets.csv'\nmytables\n"
        "SELECT COUNT(*) AS N FROM MYDB.IDS I JOIN DR1_MAIN M "
        "ON I.COADD_OBJECT_ID = M.COADD_OBJECT_ID;",
        env=shell_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "IDS: 3 rows loaded; query it as MYDB.IDS" in result.stdout
    assert "MY_TARGETS: 3 rows loaded" in result.stdout
    assert result.stdout.splitlines()[-1].strip() == "3"
    again = run_sql("-c", "load_table ids.csv", env=shell_env, cwd=tmp_path)
    assert again.returncode == 1 and "drop_table IDS first" in again.stderr
    for bad, message in [
        ("load_table ids.csv DR1_MAIN", "is a table of the release"),
        ("load_table ids.csv ../x", "cannot name a table"),
        ("load_table nothing.csv", "no file"),
        ("drop_table NOPE", "no table named NOPE"),
    ]:
        failed = run_sql("-c", bad, env=shell_env, cwd=tmp_path)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
    dropped = run_sql("-c", "drop_table ids\nmytables", env=shell_env, cwd=tmp_path)
    assert dropped.returncode == 0
    listed = [line.split()[0] for line in dropped.stdout.splitlines()[3:]]
    assert listed == ["MY_TARGETS"]
    assert db.stat().st_mode & 0o777 == 0o600
    with duckdb.connect(str(db)):  # another process holds the user database
        busy = run_sql_process("-c", "mytables", env=shell_env, cwd=tmp_path)
    assert busy.returncode == 1 and "another process has it open" in busy.stderr


def test_submit_runs_a_job_of_the_job_store(
    shell_env: dict[str, str], tmp_path: Path, expected: pa.Table
) -> None:
    result = run_sql("-c", f"submit {QUERY}; > m2.parquet", env=shell_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "submitted" in result.stdout
    settings = Settings(
        data_dir=shell_env["SURVEYLAB_DATA_DIR"], jobs_dir=shell_env["SURVEYLAB_JOBS_DIR"]
    )
    with Survey(settings) as survey:
        (job,) = survey.jobs()
        assert job.phase is Phase.COMPLETED and job.name == "m2"
        back = pq.read_table(survey.job(job.id).files[0])
    assert (
        back.column("COADD_OBJECT_ID").to_pylist() == expected.column("COADD_OBJECT_ID").to_pylist()
    )


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_postgres_exports_match_duckdb(
    shell_env: dict[str, str], reader_login: PostgresLogin, tmp_path: Path, expected: pa.Table
) -> None:
    env = {**shell_env, **reader_login.env()}
    result = run_sql("-c", f"{QUERY}; > pg.fits\nwhoami", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database user survey_reader on postgresql" in result.stdout
    back = read_back(tmp_path / "pg.fits")
    assert (
        back.column("COADD_OBJECT_ID").to_pylist() == expected.column("COADD_OBJECT_ID").to_pylist()
    )
    assert back.column("G").null_count == expected.column("G").null_count
    bad = run_sql("-c", "SELECT RA FROM DR1_MAIN WHERE;", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "syntax error" in bad.stderr
    assert reader_login.password not in bad.stderr + bad.stdout


def test_postgres_user_tables_live_in_the_users_schema(
    shell_env: dict[str, str],
    uploader_login: PostgresLogin,
    reader_login: PostgresLogin,
    tmp_path: Path,
) -> None:
    upload = tmp_path / "stars.parquet"
    pq.write_table(
        pa.table({"ID": [1, 2, None], "MAG": [20.5, None, 19.25], "NAME": ["a", "", None]}), upload
    )
    env = {**shell_env, **uploader_login.env()}
    result = run_sql(
        "-c",
        "load_table stars.parquet\nmytables\n"
        "SELECT ID, MAG, NAME FROM STARS ORDER BY MAG; > back.parquet\n"
        f"SELECT COUNT(*) AS N FROM {uploader_login.user}.STARS S, DR1_TILE_INFO T WHERE S.ID = 1;",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "STARS: 3 rows loaded" in result.stdout
    back = pq.read_table(tmp_path / "back.parquet")
    assert back.column("MAG").to_pylist() == [19.25, 20.5, None]
    assert back.column("ID").to_pylist() == [None, 1, 2]
    assert back.column("NAME").to_pylist() == [None, "a", ""]  # NULL and '' stay apart
    dropped = run_sql("-c", "drop_table stars\nmytables", env=env, cwd=tmp_path)
    assert dropped.returncode == 0 and "you have no tables yet" in dropped.stderr
    refused = run_sql(
        "-c", "load_table stars.parquet", env={**shell_env, **reader_login.env()}, cwd=tmp_path
    )
    assert refused.returncode == 1
    assert "CREATE SCHEMA AUTHORIZATION survey_reader" in refused.stderr
