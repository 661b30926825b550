"""The query panel in headless Chromium, on a real JupyterLab serving the demo survey.

Each test opens JupyterLab in a workspace of its own (``/lab/workspaces/<name>?reset``), so
that the panels it leaves open are not restored into the default workspace that other
browser tests open. The dark-theme test switches the session's lab to JupyterLab Dark with
JupyterLab's own command, and back.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LAB_READY_MS,
    LIGHT_THEME,
    set_theme,
    shot,
    wait_until_restored,
)
from tests.support.lab import RunningLab

pytestmark = pytest.mark.browser

PANEL = '[data-testid="query-panel"]'
EDITOR = '[data-testid="query-editor"] .cm-content'


def open_workspace(page: Page, lab: RunningLab, workspace: str | None = None) -> str:
    """Open JupyterLab in a fresh workspace; return its name."""
    name = workspace or f"query-{secrets.token_hex(4)}"
    page.goto(f"{lab.url}/lab/workspaces/{name}?reset&token={lab.token}")
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    return name


def open_from_launcher(page: Page) -> Locator:
    """Click the launcher's SQL Query card (category Survey); return the panel."""
    page.locator('.jp-LauncherCard[data-category="Survey"]', has_text="SQL Query").click()
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-ready", "true")
    return panel


def open_from_palette(page: Page) -> Locator:
    """Run ``surveylab:open-query`` from the command palette; return the panel."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("SQL Query")
    # The palette re-renders its list while the lab settles, so a click can hit a detached
    # item: wait for ours to be the active one and run it with Enter.
    item = page.locator('.lm-CommandPalette-item[data-command="surveylab:open-query"]')
    expect(item).to_have_class(re.compile(r"\blm-mod-active\b"))
    page.keyboard.press("Enter")
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-ready", "true")
    return panel


def set_sql(page: Page, sql: str) -> None:
    """Replace the editor's text (typed as one insertion: no completion pops up)."""
    page.locator(EDITOR).click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(sql)


def editor_text(page: Page) -> str:
    """The editor's text, line by line."""
    lines = page.locator(f"{EDITOR} .cm-line").all_inner_texts()
    return "\n".join(lines)


def click_first_cell(page: Page, row: int) -> None:
    """Click the first column's cell of a body row (0-based) of the result grid."""
    grid = page.locator('[data-testid="query-grid"] .lm-DataGrid')
    box = grid.bounding_box()
    assert box is not None
    # The grid's sizes: a row header 64 px wide, a column header 28 px high, rows 24 px.
    page.mouse.click(box["x"] + 64 + 12, box["y"] + 28 + 24 * row + 12)


def test_quick_query_of_the_m2_example(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)

    # The M2 example, from the toolbar's example list, run with the Quick button.
    examples = running_lab.api("GET", "examples").json()["examples"]
    m2 = next(example for example in examples if example["name"] == "m2-stars")
    page.locator('select[data-testid="query-examples"]').select_option("m2-stars")
    assert editor_text(page).strip() == m2["sql"].strip()
    page.locator('[data-testid="query-quick"]').click()

    expected = running_lab.api("POST", "query", json={"sql": m2["sql"]}).json()
    assert expected["row_count"] > 0
    summary = panel.locator('[data-testid="query-summary"]')
    expect(summary).to_have_attribute("data-rows", str(expected["row_count"]))
    expect(summary).to_contain_text(f"{expected['row_count']:,} rows")
    expect(panel.locator('[data-testid="query-grid"]')).to_have_attribute(
        "data-rendered", str(expected["row_count"])
    )

    # A click on the first cell shows its column and full value.
    click_first_cell(page, 0)
    first_column = expected["columns"][0]["name"]
    expect(panel.locator('[data-testid="query-cell"]')).to_contain_text(first_column)
    expect(panel.locator('[data-testid="query-cell-value"]')).to_have_text(
        str(expected["rows"][0][0])
    )
    shot(page, "query-panel-m2")

    # Shift+Enter in the editor runs Quick too.
    count_sql = "SELECT COUNT(*) AS N\nFROM DR1_MAIN"
    set_sql(page, count_sql)
    page.keyboard.press("Shift+Enter")
    count = running_lab.api("POST", "query", json={"sql": count_sql}).json()["rows"][0][0]
    expect(summary).to_have_attribute("data-rows", "1")
    click_first_cell(page, 0)
    expect(panel.locator('[data-testid="query-cell-value"]')).to_have_text(str(count))

    # The benchmark's marks are set.
    marks = page.evaluate(
        """() => ['surveylab:query-ready', 'surveylab:query-response',
                  'surveylab:query-rendered']
                 .map(name => performance.getEntriesByName(name, 'mark').length)"""
    )
    assert all(count > 0 for count in marks), marks
    shot(page, "query-panel-shift-enter")


def test_syntax_error_marks_its_line(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    sql = "SELECT *\nFORM DR1_MAIN"
    set_sql(page, sql)
    page.locator('[data-testid="query-quick"]').click()

    answer = running_lab.api("POST", "query", json={"sql": sql})
    assert answer.status_code == 400
    body = answer.json()
    assert body["line"] == 2
    expect(panel.locator('[data-testid="query-error-message"]')).to_have_text(body["message"])
    expect(panel.locator('[data-testid="query-error-where"]')).to_contain_text(
        f"Line {body['line']}, column {body['column']}"
    )
    marked = panel.locator('[data-testid="query-error-line"]')
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("FORM DR1_MAIN")
    expect(panel.locator('[data-testid="query-error-mark"]')).to_have_count(1)
    # The cursor moved to the error: its line is the active one.
    expect(panel.locator(".cm-activeLine")).to_have_text("FORM DR1_MAIN")
    shot(page, "query-panel-syntax-error")

    # Editing the marked line takes the mark away.
    page.keyboard.type("X")
    expect(marked).to_have_count(0)


def test_submit_a_fits_job(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    set_sql(page, "SELECT RA, DEC\nFROM DR1_MAIN\nWHERE DEC > 0.5")
    page.locator('[data-testid="query-submit"]').click()

    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-testid="query-job-format"]').select_option("fits")
    dialog.locator('[data-testid="query-job-compression"]').select_option("gzip")
    dialog.locator('[data-testid="query-job-name"]').fill("north-fits")
    # A bad e-mail is named beside its field and keeps Submit disabled.
    dialog.locator('[data-testid="query-job-email"]').fill("not an address")
    expect(dialog.locator('[data-testid="query-job-problem-email"]')).to_contain_text(
        "not an e-mail address"
    )
    expect(dialog.get_by_role("button", name="Submit job")).to_be_disabled()
    dialog.locator('[data-testid="query-job-email"]').fill("")
    dialog.get_by_role("button", name="Submit job").click()

    submitted = panel.locator('[data-testid="query-submitted"] code')
    expect(submitted).to_have_text(re.compile(r"\w+"))
    job_id = submitted.inner_text()
    toast = page.locator(".Toastify__toast", has_text=job_id)
    expect(toast).to_be_visible()
    expect(toast.get_by_role("button", name="Show in job browser")).to_be_visible()
    shot(page, "query-panel-job-submitted")

    job = running_lab.api("GET", f"jobs/{job_id}")
    assert job.status_code == 200
    record = job.json()
    assert record["name"] == "north-fits"
    assert record["parameters"]["format"] == "fits"
    assert record["parameters"]["compression"] == "gzip"


def test_completion_offers_columns_of_the_table(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    columns = [c["name"] for c in running_lab.api("GET", "tables/DR1_MAIN").json()["columns"]]
    wanted = sorted(name for name in columns if name.startswith("MAG_AUTO_"))
    assert wanted

    tail = " FROM DR1_MAIN"
    set_sql(page, "SELECT " + tail)
    for _ in tail:
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("MAG_AUTO_")
    popup = page.locator(".cm-tooltip-autocomplete")
    expect(popup).to_be_visible()
    labels = popup.locator(".cm-completionLabel").all_inner_texts()
    assert set(wanted) <= set(labels), labels
    shot(page, "query-panel-completion")

    page.keyboard.press("Enter")
    expect(popup).to_have_count(0)
    assert re.fullmatch(r"SELECT MAG_AUTO_\w+ FROM DR1_MAIN", editor_text(page))
    expect(panel).to_be_visible()


def test_schema_browser_search_and_insert(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_palette(page)
    schema = panel.locator('[data-testid="query-schema"]')
    tables = [t["name"] for t in running_lab.api("GET", "tables").json()["tables"]]
    expect(schema.locator('[data-testid="query-schema-table"]')).to_have_text(tables)

    having = [t["name"] for t in running_lab.api("GET", "tables?column=TILENAME").json()["tables"]]
    schema.locator('[data-testid="query-schema-search"]').fill("tilename")
    expect(schema.locator('[data-testid="query-schema-table"]')).to_have_text(having)
    expect(schema.locator('[data-testid="query-schema-column"][data-column="RA"]')).to_have_count(0)
    expect(
        schema.locator('[data-testid="query-schema-column"][data-column="TILENAME"]')
    ).to_have_count(len(having))

    tail = " FROM DR1_TILE_INFO"
    set_sql(page, "SELECT " + tail)
    for _ in tail:
        page.keyboard.press("ArrowLeft")
    schema.locator(
        '[data-table="DR1_TILE_INFO"] [data-testid="query-schema-column"][data-column="TILENAME"]'
    ).click()
    assert editor_text(page) == "SELECT TILENAME FROM DR1_TILE_INFO"
    shot(page, "query-panel-schema-search")

    schema.locator('[data-testid="query-schema-search"]').fill("no such column anywhere")
    expect(schema.locator('[data-testid="query-schema-empty"]')).to_be_visible()


def test_history_survives_a_reload(page: Page, running_lab: RunningLab) -> None:
    workspace = open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    marker = secrets.randbelow(10**9)
    sql = f"SELECT {marker} AS HISTORY_CHECK FROM dual"
    set_sql(page, sql)
    page.keyboard.press("Shift+Enter")
    expect(panel.locator('[data-testid="query-summary"]')).to_have_attribute("data-rows", "1")
    set_sql(page, "SELECT 1 FROM dual")

    page.reload()
    assert workspace in page.url
    # The workspace may bring the panel back (if JupyterLab saved it in time), or not.
    expect(page.locator(f"{PANEL}, .jp-LauncherCard").first).to_be_visible(timeout=LAB_READY_MS)
    wait_until_restored(page)
    # the command itself (the palette is tested above): a reloaded lab may still be settling
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('surveylab:open-query'); }"
    )
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-ready", "true")
    panel.get_by_role("tab", name="History").click()
    entry = panel.locator('[data-testid="query-history-entry"]', has_text=str(marker))
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("1 rows")
    entry.click()
    expect(page.locator(EDITOR)).to_have_text(sql)
    shot(page, "query-panel-history")


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.fixture
def dark_page(page: Page, running_lab: RunningLab) -> Iterator[Page]:
    """The session's JupyterLab in a fresh workspace, switched to the dark theme (a saved user
    setting: switched back to the light theme after the test)."""
    open_workspace(page, running_lab)
    set_theme(page, "JupyterLab Dark")
    yield page
    set_theme(page, LIGHT_THEME)


def test_dark_theme(dark_page: Page) -> None:
    page = dark_page
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
    panel = open_from_launcher(page)
    page.locator('select[data-testid="query-examples"]').select_option("m2-stars")
    page.keyboard.press("Shift+Enter")  # the editor has the keyboard after loading an example
    expect(panel.locator('[data-testid="query-summary"]')).to_be_visible()
    expect(panel.locator('[data-testid="query-grid"]')).to_have_attribute(
        "data-rendered", re.compile(r"[1-9]\d*")
    )
    for selector in (PANEL, '[data-testid="query-editor"] .cm-editor'):
        background = page.locator(selector).evaluate(
            "node => getComputedStyle(node).backgroundColor"
        )
        assert _luminance(background) < 0.3, (selector, background)
    shot(page, "query-panel-dark")


def test_sort_by_a_column_and_export_the_shown_rows(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    sql = "SELECT COUNT(*) AS N, HPIX_32\nFROM DR1_MAIN\nGROUP BY HPIX_32"
    set_sql(page, sql)
    page.keyboard.press("Shift+Enter")
    rows = running_lab.api("POST", "query", json={"sql": sql}).json()["rows"]
    expect(panel.locator('[data-testid="query-summary"]')).to_have_attribute(
        "data-rows", str(len(rows))
    )

    # A click on the header of N sorts by it, numerically; a second click, descending.
    grid = page.locator('[data-testid="query-grid"] .lm-DataGrid')
    box = grid.bounding_box()
    assert box is not None
    header = (box["x"] + 64 + 12, box["y"] + 14)
    page.mouse.click(*header)
    page.mouse.click(*header)
    click_first_cell(page, 0)
    largest = max(row[0] for row in rows)
    expect(panel.locator('[data-testid="query-cell-value"]')).to_have_text(str(largest))

    with page.expect_download() as download:
        page.locator('[data-testid="query-export"]').click()
    assert download.value.suggested_filename == "query-result.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "N,HPIX_32"
    shown = [int(line.split(",")[0]) for line in lines[1:]]
    assert shown == sorted((row[0] for row in rows), reverse=True)
    shot(page, "query-panel-sorted")


def test_open_in_notebook(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    open_from_launcher(page)
    sql = "SELECT RA, DEC\nFROM DR1_MAIN\nFETCH FIRST 3 ROWS ONLY"
    set_sql(page, sql)
    page.locator('[data-testid="query-notebook"]').click()

    cell = page.locator(".jp-NotebookPanel .jp-CodeCell .cm-content", has_text="Survey().quick")
    expect(cell).to_have_count(1, timeout=LAB_READY_MS)
    source = "\n".join(cell.locator(".cm-line").all_inner_texts())
    assert "from surveylab import Survey" in source
    assert f'result = Survey().quick("""\n{sql}\n""")' in source
    shot(page, "query-panel-notebook")


def test_check_and_explain(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    sql = "SELECT RA FROM DR1_MAIN WHERE ROWNUM <= 5"
    set_sql(page, sql)

    page.locator('[data-testid="query-check"]').click()
    check = running_lab.api("POST", "query/check", json={"sql": sql}).json()
    checked = panel.locator('[data-testid="query-checked"]')
    expect(checked).to_contain_text("The query is valid (tables: DR1_MAIN)")
    expect(checked.locator("pre")).to_have_text(check["sql"])

    page.locator('[data-testid="query-explain"]').click()
    plan = running_lab.api("POST", "query/explain", json={"sql": sql}).json()["plan"]
    first_line = next(line for line in plan.splitlines() if line.strip())
    expect(panel.locator('[data-testid="query-plan"]')).to_contain_text(first_line.strip())
    shot(page, "query-panel-explain")


def test_open_query_with_sql_from_another_panel(page: Page, running_lab: RunningLab) -> None:
    """``surveylab:open-query`` with ``{sql}`` (how other panels hand over a query) opens the
    panel with that SQL, and replaces the SQL of an open panel, undoably."""
    open_workspace(page, running_lab)
    page.evaluate(
        "async sql => { await window.jupyterapp.commands.execute('surveylab:open-query', {sql}); }",
        "SELECT TILENAME FROM DR1_TILE_INFO",
    )
    expect(page.locator(EDITOR)).to_have_text("SELECT TILENAME FROM DR1_TILE_INFO")
    page.evaluate(
        "async sql => { await window.jupyterapp.commands.execute('surveylab:open-query', {sql}); }",
        "SELECT COUNT(*) FROM DR1_MAIN",
    )
    expect(page.locator(EDITOR)).to_have_text("SELECT COUNT(*) FROM DR1_MAIN")
    expect(page.locator(PANEL)).to_have_count(1)
    page.locator(EDITOR).click()
    page.keyboard.press("Control+z")
    expect(page.locator(EDITOR)).to_have_text("SELECT TILENAME FROM DR1_TILE_INFO")
    shot(page, "query-panel-open-with-sql")


def test_ten_thousand_rows_truncated_and_reachable(page: Page, running_lab: RunningLab) -> None:
    open_workspace(page, running_lab)
    panel = open_from_launcher(page)
    sql = "SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN ORDER BY COADD_OBJECT_ID"
    set_sql(page, sql)
    page.keyboard.press("Shift+Enter")
    expected = running_lab.api("POST", "query", json={"sql": sql}).json()
    assert expected["truncated"] is True
    rows = expected["row_count"]
    summary = panel.locator('[data-testid="query-summary"]')
    expect(summary).to_have_attribute("data-rows", str(rows))
    expect(summary).to_have_attribute("data-truncated", "true")
    expect(panel.locator('[data-testid="query-truncated"]')).to_be_visible()

    # From the first cell, Ctrl+Down goes to the last row, scrolling the grid there.
    click_first_cell(page, 0)
    page.keyboard.press("Control+ArrowDown")
    expect(panel.locator('[data-testid="query-cell-value"]')).to_have_text(
        str(expected["rows"][-1][0])
    )
    shot(page, "query-panel-10000-rows")
