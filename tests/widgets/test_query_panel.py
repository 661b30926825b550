"""QueryPanel on the demo survey: its model and state, with no front end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from astropy.table import Table

from surveylab import Settings, Survey
from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.jobs import Phase
from surveylab_widgets import QueryPanel


@pytest.fixture
def survey(demo_data_dir: Path, jobs_dir: Path) -> Iterator[Survey]:
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs_dir)) as survey:
        yield survey


def test_the_m2_example_runs_and_its_result_is_a_table(survey: Survey) -> None:
    panel = QueryPanel(survey)
    panel.examples.value = "m2-stars"  # the example picker fills the editor
    assert panel.sql == M2_EXAMPLE_QUERY
    assert panel.examples.value == ""  # ready to pick again
    panel.quick_button.click()
    expected = survey.query(M2_EXAMPLE_QUERY)
    assert isinstance(panel.result, Table)
    assert len(panel.result) == len(expected) > 1000
    assert sorted(panel.result["COADD_OBJECT_ID"]) == sorted(expected["COADD_OBJECT_ID"])
    assert str(panel.result["RA"].unit) == "deg"  # the catalog's units come along
    assert panel.result.meta["truncated"] is False
    assert panel.error is None
    assert f"{len(expected):,} rows" in panel.status.value
    assert "RA [deg]" in panel.output.value
    # a large result draws only its first rows: the notebook never embeds it all
    assert panel.output.value.count("<tr>") == 101  # header + 100 rows
    assert "(first 100 shown)" in panel.output.value


def test_a_result_over_the_cap_is_truncated_and_says_so(survey: Survey) -> None:
    panel = QueryPanel(survey, "SELECT RA, DEC FROM DR1_MAIN", max_rows=25, shown_rows=5)
    table = panel.run_quick()
    assert table is panel.result
    assert table is not None and len(table) == 25
    assert table.meta["truncated"] is True
    assert "truncated at 25 rows" in panel.status.value
    assert panel.output.value.count("<tr>") == 6


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        pytest.param(
            "SELECT RA,\n  FROM DR1_MAIN WHERE",
            "(line 2, column 17)\n  FROM DR1_MAIN WHERE\n                ^",
            id="syntax-error-with-line-and-column",
        ),
        pytest.param("DELETE FROM DR1_MAIN", "only read-only queries", id="not-read-only"),
        pytest.param("SELECT NOPE FROM DR1_MAIN", "NOPE", id="unknown-column"),
        pytest.param("SELECT * FROM NO_SUCH_TABLE", "NO_SUCH_TABLE", id="unknown-table"),
        pytest.param("", "", id="empty"),
    ],
)
def test_a_failing_query_shows_its_message_in_the_panel(
    survey: Survey, sql: str, message: str
) -> None:
    panel = QueryPanel(survey, M2_EXAMPLE_QUERY)
    assert panel.run_quick() is not None
    panel.sql = sql
    assert panel.run_quick() is None  # no exception reaches the cell
    assert panel.result is None  # a failed run does not leave the old result behind
    assert panel.error is not None and message in panel.error
    assert "surveylab-error" in panel.status.value
    assert "Traceback" not in panel.status.value
    assert panel.output.value == ""


def test_check_shows_the_sql_the_database_runs(survey: Survey) -> None:
    panel = QueryPanel(survey, "SELECT RA FROM DR1_MAIN FETCH FIRST 3 ROWS ONLY")
    prepared = panel.check()
    assert prepared is not None
    assert "The query is valid." in panel.status.value
    assert "LIMIT 3" in panel.output.value  # Oracle's FETCH FIRST, as DuckDB runs it
    panel.sql = "SELECT FROM WHERE"
    panel.check_button.click()
    assert panel.error is not None and "line 1" in panel.error


def test_submit_creates_a_job_in_the_store(survey: Survey) -> None:
    panel = QueryPanel(survey, M2_EXAMPLE_QUERY)
    panel.format.value = "fits"
    panel.job_name.value = "m2 stars"
    panel.submit_button.click()
    assert panel.job is not None
    assert panel.job.id in panel.status.value
    record = survey.runner.store.get(panel.job.id)
    assert record.name == "m2 stars"
    assert record.parameters["format"] == "fits"
    assert panel.job.wait(60).phase is Phase.COMPLETED
    assert len(panel.job.result()) == len(survey.query(M2_EXAMPLE_QUERY))


def test_submit_refuses_a_bad_query_before_a_job_exists(survey: Survey) -> None:
    panel = QueryPanel(survey, "SELEC RA FROM DR1_MAIN")
    assert panel.submit() is None
    assert panel.error is not None
    assert survey.jobs() == []


def test_values_are_escaped_and_nulls_shown(survey: Survey) -> None:
    panel = QueryPanel(survey, "SELECT '<b>x</b>' AS S, CAST(NULL AS DOUBLE) AS N FROM dual")
    table = panel.run_quick()
    assert table is not None and len(table) == 1
    assert "&lt;b&gt;x&lt;/b&gt;" in panel.output.value
    assert "<b>x</b>" not in panel.output.value
    assert ">NULL<" in panel.output.value


def test_an_empty_result_says_so(survey: Survey) -> None:
    panel = QueryPanel(survey, "SELECT RA FROM DR1_MAIN WHERE DEC > 89")
    table = panel.run_quick()
    assert table is not None and len(table) == 0
    assert "no rows" in panel.output.value


def test_the_static_fallback_holds_the_query_and_table(survey: Survey) -> None:
    panel = QueryPanel(survey, M2_EXAMPLE_QUERY)
    panel.run_quick()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view
    html = bundle["text/html"]  # what a viewer without widgets shows
    assert "RA [deg]" in html and "(first 100 shown)" in html
    assert "M2" in html or "323" in html
    # the state an exported notebook embeds carries the table too
    assert panel.output.get_state()["value"] == panel.output.value


def test_an_unknown_example_is_a_message(survey: Survey) -> None:
    panel = QueryPanel(survey)
    panel.load_example("nope")
    assert panel.error is not None and "m2-stars" in panel.error
