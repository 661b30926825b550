"""FootprintViewer's model and state, with no front end: the offline ES module, the survey
overlays, markers, the selection coming back, the static fallback and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from surveylab import Settings, Survey
from surveylab_widgets import footprint
from surveylab_widgets.aladin import offline_esm
from surveylab_widgets.assets import AssetMissingError, asset_path
from surveylab_widgets.footprint import FootprintViewer, healpix_layer, marker_layer
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path) -> Survey:
    return Survey(Settings(data_dir=demo_data_dir))


@pytest.fixture(scope="module")
def result(survey: Survey) -> Table:
    return survey.query("SELECT RA, DEC, MAG_AUTO_G FROM DR1_MAIN ORDER BY MAG_AUTO_G LIMIT 30")


def test_the_module_inlines_aladin_lite_and_imports_nothing_from_a_cdn() -> None:
    esm = offline_esm()
    assert "esm.sh" not in esm and "import " not in esm.split("\n", 1)[0]
    assert "__slAladinLib" in esm and esm.rstrip().endswith("export default __slOverlays.wrap($);")
    assert len(esm) > 2_000_000  # the bundle, WebAssembly inlined


def test_the_built_bundle_is_the_lab_extensions_and_a_missing_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab_copy = REPO_ROOT / "labextension/node_modules/aladin-lite/dist/aladin.js"
    assert asset_path("aladin.js").read_bytes() == lab_copy.read_bytes()
    monkeypatch.setenv("SURVEYLAB_WIDGET_ASSETS", str(tmp_path))
    offline_esm.cache_clear()
    try:
        with pytest.raises(AssetMissingError, match=r"aladin\.js is missing: run `npm ci"):
            offline_esm()
        # the widget's module then says so where the sky would be
        assert "The footprint viewer cannot start" in footprint._esm()
    finally:
        offline_esm.cache_clear()


def test_viewer_state_has_the_survey_overlays_and_no_cdn_survey(survey: Survey) -> None:
    viewer = FootprintViewer(survey)
    state = viewer.get_state()
    assert state["survey"] == ""  # no HiPS in this release: a dark sky, never ipyaladin's DSS
    assert state["_esm"] == offline_esm()
    assert [layer["name"] for layer in state["_layers"]] == ["tiles", "healpix", "moc"]
    assert viewer.layers["tiles"] == len(survey.footprint.tiles)
    assert viewer.layers["healpix"] == len(survey.healpix_counts(32))
    moc_cells = survey.moc(9).serialize(format="json")
    assert viewer.layers["moc"] == sum(len(cells) for cells in moc_cells.values()) > 5
    assert viewer.message == ""


def test_with_a_hips_the_background_is_the_labs_hips(demo_release_with_hips: Path) -> None:
    viewer = FootprintViewer(Survey(Settings(data_dir=demo_release_with_hips)), layers=())
    assert viewer.get_state()["survey"] == "surveylab:hips"


def test_markers_carry_their_rows_and_the_selection_comes_back(
    survey: Survey, result: Table
) -> None:
    viewer = FootprintViewer(survey, layers=())
    seen: list[Table] = []
    viewer.on_selection(seen.append)
    assert viewer.add_table(result)
    layer = viewer.get_state()["_layers"][0]
    assert layer["rows"] == list(range(30))
    assert layer["ra"][3] == pytest.approx(result["RA"][3] % 360)
    # what the front end sends back after a rectangle selection (ipyaladin's _selected_objects)
    viewer._selected_objects = [
        [{"ra": 0, "dec": 0, "data": {"layer": "result", "row": r}} for r in (7, 2)]
    ]
    assert list(viewer.selected["RA"]) == list(result["RA"][[2, 7]])
    assert len(seen) == 1 and len(seen[0]) == 2


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(Table({"RA": [1.0], "DEC": [2.0]})[:0], "the table is empty", id="empty"),
        pytest.param(Table({"X": [1.0]}), "no RA/DEC columns (its columns: X)", id="no-radec"),
        pytest.param(Table({"RA": [np.nan], "DEC": [95.0]}), "no rows with valid", id="bad-rows"),
        pytest.param("not a table", "", id="not-a-table"),
    ],
)
def test_bad_tables_show_a_message_and_raise_nothing(
    survey: Survey, table: object, message: str
) -> None:
    viewer = FootprintViewer(survey, layers=())
    assert viewer.add_table(table) is False
    assert viewer.message.startswith("Cannot show 'result': ") and message in viewer.message
    assert viewer.layers == {}


def test_an_unknown_layer_is_a_message(survey: Survey) -> None:
    viewer = FootprintViewer(survey, layers=("tiles", "stars"))
    assert list(viewer.layers) == ["tiles"]
    assert "unknown layer 'stars'" in viewer.message


def test_static_fallback_is_an_svg_of_the_overlays(survey: Survey, result: Table) -> None:
    viewer = FootprintViewer(survey, layers=("tiles",))
    viewer.add_table(result)
    data, _metadata = viewer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    assert html.count("<polygon") == len(survey.footprint.tiles)
    assert html.count("<circle") == len(result)


def test_healpix_colours_follow_the_counts_on_a_log_scale() -> None:
    counts = Table({"HPIX": [0, 1, 2], "COUNT": [1, 10, 100]}, meta={"NSIDE": 1})
    layer = healpix_layer(counts)
    assert layer["colors"][0] == "#440154" and layer["colors"][2] == "#fde725"
    assert layer["range"] == [1, 100] and len(layer["polygons"][0]) == 4


def test_markers_wrap_ra_and_keep_chosen_rows() -> None:
    table = Table({"ra": [-1.0, 10.0, 20.0], "dec": [0.0, 1.0, 2.0]})
    layer = marker_layer(table, rows=[0, 2])
    assert layer["ra"] == [359.0, 20.0] and layer["rows"] == [0, 2]


def test_a_notebook_with_the_viewer_and_plots_runs_headless_with_its_state(
    demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``jupyter nbconvert --execute``'s path: the widget state (with the overlays and the
    inlined Aladin Lite) is stored in the notebook, and each output has a static fallback."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("SURVEYLAB_DATA_DIR", str(demo_data_dir))
    cells = [
        "import holoviews as hv\nfrom surveylab import Survey\n"
        "from surveylab_widgets import plots\n"
        "from surveylab_widgets.footprint import FootprintViewer\n"
        "hv.extension('bokeh')\nsurvey = Survey()\n"
        "result = survey.query('SELECT RA, DEC, MAG_AUTO_G, MAG_AUTO_R FROM DR1_MAIN LIMIT 500')",
        "viewer = FootprintViewer(survey)\nviewer.add_table(result)\nviewer",
        "plots.colour_magnitude(result)",
        "plots.linked_scatter(result, viewer=viewer)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=240, kernel_name="python3", store_widget_state=True).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert not any(out.output_type == "error" for cell in outputs for out in cell)
    viewer_data = outputs[1][0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in viewer_data
    assert "<polygon" in viewer_data["text/html"]
    assert any("application/vnd.holoviews_exec.v0+json" in o.get("data", {}) for o in outputs[2])
    assert "surveylab-plot-static" in outputs[3][0]["data"]["text/html"]
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    viewer_id = viewer_data["application/vnd.jupyter.widget-view+json"]["model_id"]
    layers = state[viewer_id]["state"]["_layers"]
    assert [layer["name"] for layer in layers] == ["tiles", "healpix", "moc", "result"]
    assert "esm.sh" not in state[viewer_id]["state"]["_esm"]
