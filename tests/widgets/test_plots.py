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
