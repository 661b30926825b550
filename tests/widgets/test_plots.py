"""The plots' objects, with no front end: bounded output for a million rows, the brush's rows
back in Python and on the FootprintViewer, and bad input as a message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import holoviews as hv
import numpy as np
import pytest
from astropy.table import Table
from bokeh.models import ColumnDataSource

from surveylab import Settings, Survey
from surveylab_widgets import plots
from surveylab_widgets.footprint import FootprintViewer


@pytest.fixture(scope="module")
def million() -> Table:
    rng = np.random.default_rng(1)
    n = 1_000_000
    return Table({f"MAG_AUTO_{b}": rng.normal(21.0, 1.5, n) for b in "GRI"})


def rendered_values(plot: object) -> int:
    figure = hv.render(plot, backend="bokeh")
    return sum(len(v) for s in figure.select(ColumnDataSource) for v in s.data.values())


@pytest.mark.parametrize("make", [plots.colour_magnitude, plots.colour_colour], ids=["cmd", "ccd"])
def test_a_million_rows_make_a_small_plot(million: Table, make: object) -> None:
    plot = make(million)  # type: ignore[operator]
    assert isinstance(plot, hv.HexTiles)
    assert len(plot.data) <= (plots.OVERSAMPLE * plots.GRIDSIZE) ** 2
    assert rendered_values(plot) < 3 * plots.GRIDSIZE**2  # hexagons, not a million glyphs
    assert int(plot.dimension_values("count").sum()) == len(million)


#: The six neighbours of a hexagon in Bokeh's axial (q, r) coordinates.
HEX_NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1))


def test_the_hexagons_under_the_data_have_no_holes() -> None:
    rng = np.random.default_rng(2)
    r = rng.uniform(18, 22, 50_000)  # a dense parallelogram: every hexagon in it has rows
    plot = plots.colour_magnitude(
        Table({"g": r + rng.uniform(0, 1.5, len(r)), "r": r}), gridsize=40
    )
    (source,) = (
        s for s in hv.render(plot, backend="bokeh").select(ColumnDataSource) if "q" in s.data
    )
    tiles = set(zip(source.data["q"].tolist(), source.data["r"].tolist(), strict=True))
    around = {(q + dq, r + dr) for q, r in tiles for dq, dr in HEX_NEIGHBOURS} - tiles
    holes = [
        (q, r) for q, r in around if all((q + dq, r + dr) in tiles for dq, dr in HEX_NEIGHBOURS)
    ]
    assert len(tiles) > 1000 and holes == []  # one numpy bin per hexagon left a dozen


def test_flag_magnitudes_are_left_out() -> None:
    table = Table({"g": [20.0, 99.0, 21.0], "r": [19.5, 19.0, np.nan]})
    plot = plots.colour_magnitude(table)
    assert int(plot.dimension_values("count").sum()) == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(Table({"MAG_AUTO_G": [1.0]})[:0], "the table is empty", id="empty"),
        pytest.param(Table({"RA": [1.0]}), "no magnitude column for band", id="no-mags"),
        pytest.param(Table({"g": [99.0], "r": [99.0]}), "no rows with finite", id="flags"),
    ],
)
def test_bad_input_is_a_message_in_the_plot(table: Table, message: str) -> None:
    plot = plots.colour_magnitude(table)
    assert isinstance(plot, hv.Div) and message in plot.data
    assert message in hv.render(plot, backend="bokeh").text  # it renders as the message


def test_brushed_rows_come_back_and_show_on_the_viewer(demo_data_dir: Path) -> None:
    survey = Survey(Settings(data_dir=demo_data_dir))
    result = survey.query(
        "SELECT RA, DEC, MAG_AUTO_G, MAG_AUTO_R FROM DR1_MAIN ORDER BY MAG_AUTO_R LIMIT 100"
    )
    viewer = FootprintViewer(survey, layers=())
    scatter = plots.linked_scatter(result, x="g-r", y="r", viewer=viewer)
    scatter.scatter.selected = [4, 1]  # what the brush sets in the front end
    assert scatter.selected_rows == [1, 4]
    assert list(scatter.selected["MAG_AUTO_R"]) == list(result["MAG_AUTO_R"][[1, 4]])
    assert viewer.layers["selected"] == 2
    # drawn by a mark of its own too, so a selection made in code shows in a published page
    assert list(scatter.highlight.x) == list(np.asarray(scatter.scatter.x)[[4, 1]])
    assert list(scatter.highlight.y) == list(np.asarray(scatter.scatter.y)[[4, 1]])
    scatter.scatter.selected = None
    assert "selected" not in viewer.layers
    assert len(scatter.highlight.x) == 0


def test_rows_picked_on_the_sky_are_selected_in_the_scatter(demo_data_dir: Path) -> None:
    survey = Survey(Settings(data_dir=demo_data_dir))
    result = survey.query("SELECT RA, DEC, MAG_AUTO_G, MAG_AUTO_R FROM DR1_MAIN LIMIT 50")
    viewer = FootprintViewer(survey, layers=())
    viewer.add_table(result)
    scatter = plots.linked_scatter(result, viewer=viewer)
    viewer._selected_objects = [[{"data": {"layer": "result", "row": r}} for r in (9, 3)]]
    assert scatter.selected_rows == [3, 9]
    assert viewer.layers["selected"] == 2  # and they are highlighted on the sky


def test_big_tables_are_subsampled_in_the_scatter(million: Table) -> None:
    scatter = plots.linked_scatter(million[:50_000], x="g-r", y="r")
    assert len(scatter.scatter.x) == plots.MAX_SCATTER_POINTS
    assert "20,000 of 50,000 rows shown" in scatter.message.value
    scatter.scatter.selected = [0]
    assert scatter.selected_rows == [int(scatter.rows[0])]
    hidden = sorted(set(range(50_000)) - set(scatter.rows.tolist()))[:5]
    scatter.select([*hidden, int(scatter.rows[7]), int(scatter.rows[3])])  # rows of the table
    assert scatter.selected_rows == sorted([int(scatter.rows[3]), int(scatter.rows[7])])
    assert len(scatter.highlight.x) == 2  # the highlight mark draws them
    scatter.select([])
    assert scatter.selected_rows == [] and len(scatter.highlight.x) == 0


@pytest.mark.parametrize(
    "table",
    [pytest.param(Table({"RA": [1.0]}), id="no-mags"), pytest.param(Table(), id="empty")],
)
def test_scatter_bad_input_is_a_message_and_a_static_fallback(table: Table) -> None:
    scatter = plots.linked_scatter(table)
    assert "color:#b71c1c" in scatter.message.value
    data = scatter._repr_mimebundle_()
    assert "surveylab-plot-static" in data["text/html"]


def test_a_message_needs_no_plotting_extension_loaded_first() -> None:
    """The first plot a fresh kernel makes may be a message (no extension loaded yet)."""
    code = (
        "from astropy.table import Table; from surveylab_widgets import plots; "
        "print(type(plots.colour_magnitude(Table({'RA': [1.0]}))).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Div"


# --- SED ---------------------------------------------------------------------------------------


def sed_table() -> Table:
    """Three objects: one measured in every band, one with a flagged z and a NULL Y, one with
    only flags."""
    mags = {
        "G": [20.0, 21.0, 99.0],
        "R": [19.5, 20.6, 99.0],
        "I": [19.2, 20.3, -99.0],
        "Z": [19.0, 99.0, 99.0],
        "Y": [18.9, np.nan, 99.0],
    }
    table = Table({"COADD_OBJECT_ID": [101, 102, 103]})
    for band, values in mags.items():
        table[f"MAG_AUTO_{band}"] = values
        table[f"MAGERR_AUTO_{band}"] = [0.01, 0.05, 0.3]
    return table


def test_an_sed_puts_each_magnitude_at_its_bands_wavelength() -> None:
    from surveylab.bands import PASSBANDS

    plot = plots.sed(sed_table())
    assert isinstance(plot, hv.Overlay)
    points = [layer for layer in plot if isinstance(layer, hv.Scatter)]
    assert [p.label for p in points] == ["101", "102"]  # the all-flag object has no line
    nm = {band: PASSBANDS[band].effective * 1e9 for band in "grizY"}
    first, second = points
    assert first.dimension_values(0).tolist() == pytest.approx([nm[b] for b in "grizY"])
    assert first.dimension_values(1).tolist() == [20.0, 19.5, 19.2, 19.0, 18.9]
    assert second.dimension_values(0).tolist() == pytest.approx([nm[b] for b in "gri"])
    errors = [layer for layer in plot if isinstance(layer, hv.ErrorBars)]
    assert errors[1].dimension_values("error").tolist() == pytest.approx([0.05] * 3)
    figure = hv.render(plot, backend="bokeh")
    assert figure.y_range.start > figure.y_range.end  # bright at the top
    assert "SED (2 objects)" in figure.title.text


def test_an_sed_shows_at_most_its_cap_of_objects() -> None:
    rows = Table({f"MAG_AUTO_{b}": np.full(50, 20.0) for b in "GRIZY"})
    plot = plots.sed(rows, max_objects=7)
    labels = [layer.label for layer in plot if isinstance(layer, hv.Curve)]
    assert len(labels) == 7 and labels[0] == "row 1"


@pytest.mark.parametrize(
    ("table", "bands", "message"),
    [
        pytest.param(sed_table()[:0], "grizY", "the table is empty", id="empty"),
        pytest.param(sed_table(), "gu", "no wavelength known for band(s) u", id="unknown-band"),
        pytest.param(Table({"RA": [1.0]}), "gr", "no magnitude column for band", id="no-mags"),
        pytest.param(sed_table()[2:], "grizY", "no object has a measured magnitude", id="flags"),
    ],
)
def test_sed_bad_input_is_a_message_in_the_plot(table: Table, bands: str, message: str) -> None:
    plot = plots.sed(table, bands=bands)
    assert isinstance(plot, hv.Div) and message in plot.data


def test_an_sed_renders_as_standalone_html() -> None:
    """As in a published notebook: the figure and its data in one HTML page, no kernel."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    page = file_html(hv.render(plots.sed(sed_table()), backend="bokeh"), INLINE, "SED")
    assert "wavelength (nm)" in page and "Bokeh" in page


# --- colour-colour linked to the SED -------------------------------------------------------------


def linked_table(n: int = 40) -> Table:
    """``n`` objects measured in g, r, i, z (no Y), with errors; the last one flagged in r."""
    rng = np.random.default_rng(3)
    table = Table({"COADD_OBJECT_ID": np.arange(1000, 1000 + n)})
    for k, band in enumerate("GRIZ"):
        table[f"MAG_AUTO_{band}"] = rng.normal(21.0 - 0.3 * k, 0.5, n)
        table[f"MAGERR_AUTO_{band}"] = np.full(n, 0.02 * (k + 1))
    table["MAG_AUTO_R"][-1] = 99.0
    return table


def linked_parts(plot: object) -> dict[str, object]:
    """The named Bokeh models of a linked plot: the layout, its sources and its callback."""
    from bokeh.models import CustomJS, Row, TapTool

    layout = plot.object  # type: ignore[attr-defined]
    assert isinstance(layout, Row) and layout.name == "surveylab-ccd-sed"
    (points,) = layout.select({"name": "surveylab-ccd-points"})
    (sed,) = layout.select({"name": "surveylab-sed"})
    (dots,) = layout.select({"name": "surveylab-ccd-dots"})
    (tap,) = layout.select({"type": TapTool})
    (callback,) = points.selected.js_property_callbacks["change:indices"]
    assert isinstance(callback, CustomJS)
    return {
        "layout": layout,
        "points": points,
        "sed": sed,
        "dots": dots,
        "tap": tap,
        "js": callback,
    }


def test_the_linked_plot_carries_each_objects_magnitudes_and_the_callback() -> None:
    from surveylab.bands import PASSBANDS

    table = linked_table()
    parts = linked_parts(plots.colour_colour_sed(table))
    points, sed, callback = parts["points"], parts["sed"], parts["js"]
    data = points.data  # type: ignore[attr-defined]
    assert list(data["label"]) == [str(i) for i in table["COADD_OBJECT_ID"][:-1]]  # r flagged
    assert np.allclose(data["x"], (table["MAG_AUTO_R"] - table["MAG_AUTO_I"])[:-1])
    assert np.allclose(data["y"], (table["MAG_AUTO_G"] - table["MAG_AUTO_R"])[:-1])
    for band in "griz":  # the DES bands the table has; no Y
        assert np.allclose(data[f"mag_{band}"], table[f"MAG_AUTO_{band.upper()}"][:-1])
        assert np.allclose(data[f"err_{band}"], table[f"MAGERR_AUTO_{band.upper()}"][:-1])
    assert "mag_Y" not in data
    assert sed.data["wavelength"] == []  # type: ignore[attr-defined]  # empty until a click
    args = callback.args  # type: ignore[attr-defined]
    assert args["points"] is points and args["sed"] is sed
    assert args["bands"] == list("griz")
    assert args["nm"] == pytest.approx([PASSBANDS[b].effective * 1e9 for b in "griz"])
    assert parts["tap"].renderers == [parts["dots"]]  # type: ignore[attr-defined]
    (ccd, spectrum) = parts["layout"].children  # type: ignore[attr-defined]
    assert "39 objects" in ccd.title.text and "click a point" in ccd.title.text
    assert spectrum.y_range.flipped  # bright at the top


def test_the_callback_fills_the_sed_from_the_clicked_point(tmp_path: Path) -> None:
    """The CustomJS code itself, run by node on the plot's own data: flags are left out."""
    import json
    import shutil

    node = shutil.which("node")
    assert node is not None, "node (installed for the lab extension) runs the callback"
    table = linked_table(3)
    table["MAG_AUTO_Z"][1] = -99.0
    table["MAGERR_AUTO_I"][1] = np.nan
    parts = linked_parts(plots.colour_colour_sed(table))
    points, callback = parts["points"], parts["js"]
    args = callback.args  # type: ignore[attr-defined]
    data = {key: np.asarray(value).tolist() for key, value in points.data.items()}  # type: ignore[attr-defined]
    script = tmp_path / "callback.js"
    script.write_text(
        f"const points = {{selected: {{indices: [1]}}, data: {json.dumps(data)}}};\n"
        f"const sed = {{data: null}}; const title = {{text: ''}};\n"
        f"const bands = {json.dumps(args['bands'])}, nm = {json.dumps(args['nm'])};\n"
        f"const mag_range = {json.dumps(args['mag_range'])};\n"
        f"(() => {{ {callback.code} }})();\n"  # type: ignore[attr-defined]
        "console.log(JSON.stringify({sed: sed.data, title: title.text}));\n"
    )
    out = subprocess.run([node, str(script)], capture_output=True, text=True, check=True)
    shown = json.loads(out.stdout)
    sed = shown["sed"]
    assert sed["band"] == ["g", "r", "i"]  # z flagged (-99), Y not in the table
    assert sed["magnitude"] == pytest.approx([table[f"MAG_AUTO_{b}"][1] for b in "GRI"])
    g_err = table["MAGERR_AUTO_G"][1]
    assert sed["upper"][0] - sed["magnitude"][0] == pytest.approx(g_err)
    assert sed["upper"][2] == pytest.approx(sed["magnitude"][2])  # a NaN error: no bar
    assert shown["title"].startswith(f"SED of {table['COADD_OBJECT_ID'][1]} (r-i ")


def test_the_linked_plot_caps_its_points_and_says_so(million: Table) -> None:
    parts = linked_parts(plots.colour_colour_sed(million[:20_000], max_points=500))
    points = parts["points"]
    assert len(points.data["x"]) == 500  # type: ignore[attr-defined]
    (ccd, _) = parts["layout"].children  # type: ignore[attr-defined]
    assert "20,000 objects; 500 of them as points" in ccd.title.text


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        pytest.param(linked_table()[:0], {}, "the table is empty", id="empty"),
        pytest.param(Table({"RA": [1.0]}), {}, "no magnitude column for band", id="no-mags"),
        pytest.param(linked_table(), {"sed_bands": "gu"}, "no wavelength known", id="bad-band"),
    ],
)
def test_linked_bad_input_is_a_message(table: Table, kwargs: dict[str, str], message: str) -> None:
    plot = plots.colour_colour_sed(table, **kwargs)  # type: ignore[arg-type]
    assert isinstance(plot, hv.Div) and message in plot.data


def test_the_linked_plot_renders_as_standalone_html() -> None:
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    layout = plots.colour_colour_sed(linked_table()).object
    page = file_html(layout, INLINE, "linked")
    assert "surveylab-ccd-points" in page and "SED of " in page and "mag_z" in page
