"""The example notebooks in ``examples/``, each executed headless on the demo survey and published
offline: the outputs hold what each story claims."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from surveylab_widgets.publish import Published
from tests.conftest import NBCONVERT_EXAMPLE, REPO_ROOT
from tests.widgets.test_publish import CDN_HOSTS

EXAMPLES = REPO_ROOT / "examples"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: The rows of the test release's DR1_MAIN: its 20,000 objects, M2's 4,000 stars, and on its 10
#: imaged tiles 28 injected anomalies and the 5 saturated stars whose artefacts they are.
DEMO_ROWS = 24_330
#: The kinds of anomaly the demo injects (``DR1_ANOMALY_TRUTH.ANOMALY_TYPE``).
INJECTED = {"lens", "red_compact", "trail", "saturated_artefact"}


def stdout(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def widget_state(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """The stored widget models, by id."""
    state: dict[str, Any] = notebook.metadata.widgets[WIDGET_STATE]["state"]
    return state


def models(notebook: nbformat.NotebookNode, name: str) -> list[dict[str, Any]]:
    """The states of the notebook's widgets of model ``name`` (e.g. "FigureModel")."""
    return [m["state"] for m in widget_state(notebook).values() if m["model_name"] == name]


def html_values(notebook: nbformat.NotebookNode, marker: str) -> list[str]:
    """The values of the HTML widgets that contain ``marker`` (e.g. a surveylab CSS class)."""
    return [m["value"] for m in models(notebook, "HTMLModel") if marker in m["value"]]


def outputs(notebook: nbformat.NotebookNode, plain_prefix: str) -> list[dict[str, Any]]:
    """The display outputs whose ``text/plain`` starts with ``plain_prefix`` (":HexTiles")."""
    return [
        output["data"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("data", {}).get("text/plain", "").startswith(plain_prefix)
    ]


def number(pattern: str, text: str) -> float:
    """The number the first group of ``pattern`` matches in ``text``."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not printed"
    return float(match[1])


def check_m2(notebook: nbformat.NotebookNode, text: str) -> None:
    stars = int(number(r"M2 sequence: (\d+) stars", text))
    assert stars > 2000  # the cluster, not a handful of field stars
    (table,) = html_values(notebook, "surveylab-table")  # the QueryPanel's result
    assert f"{stars:,} rows (first 100 shown)" in table and "COADD_OBJECT_ID" in table
    (hextiles,) = outputs(notebook, ":HexTiles")
    assert f"M2 ({stars:,} objects)" in hextiles["text/html"]  # every star binned
    assert 17 < number(r"turn-off\) at r = ([\d.]+)", text) < 20
    giants = int(number(r"brighter than the turn-off: (\d+) stars", text))
    assert 100 < giants < stars // 2
    assert int(number(r"selected: (\d+) stars", text)) == giants
    assert number(r"median g - r = ([\d.]+)", text) > 0.3  # the giant branch is red
    (figure,) = models(notebook, "FigureModel")
    assert figure["title"] == f"M2: {stars} stars"


def check_star_galaxy(notebook: nbformat.NotebookNode, text: str) -> None:
    match = re.search(r"(\d+) objects: (\d+) stars, (\d+) galaxies", text)
    assert match is not None
    total, stars, galaxies = map(int, match.groups())
    assert stars + galaxies == total and stars > 1000 and galaxies > 1000
    assert number(r"EXTENDED_CLASS_COADD for (\d+)%", text) >= 80
    (summary,) = html_values(notebook, "surveylab-table")  # the example query's panel
    assert "2 rows" in summary and "<td>star</td>" in summary and "<td>galaxy</td>" in summary
    (layout,) = outputs(notebook, ":Layout")
    for label, count in (("Stars", stars), ("Galaxies", galaxies)):  # nearly all have g, r, i
        binned = number(rf"{label} \(([\d,]+) objects\)", layout["text/html"].replace(",", ""))
        assert 0.99 * count <= binned <= count
    assert [figure["title"] for figure in models(notebook, "FigureModel")] == [
        "Spread model, i band"
    ]
    assert len(outputs(notebook, ":Overlay")) == 1  # the counts per magnitude


def check_cutouts(notebook: nbformat.NotebookNode, text: str) -> None:
    assert "COMPLETED, {'positions': 8, 'ok': 8, 'error': 0" in text
    assert "8 colour thumbnails" in text
    (table,) = html_values(notebook, "surveylab-table")
    assert "8 rows" in table
    state = widget_state(notebook)
    (grid,) = models(notebook, "GridBoxModel")  # the gallery's page, as it was left
    cells = [state[child.removeprefix("IPY_MODEL_")]["state"] for child in grid["children"]]
    shown = [state[cell["children"][0].removeprefix("IPY_MODEL_")] for cell in cells]
    assert [(m["model_name"], m["state"]["format"]) for m in shown] == [("ImageModel", "jpeg")] * 8
    buttons = [state[cell["children"][1].removeprefix("IPY_MODEL_")]["state"] for cell in cells]
    assert [b["description"] for b in buttons[:4]] == ["#1 · 1", "#2 · 1", "#3 · 1", "#4"]
    (labels,) = outputs(notebook, "{'DES")
    assert sorted(ast.literal_eval(labels["text/plain"]).values()) == [1, 1, 1]
    assert "8 FITS cutouts in " in text
    assert len(re.findall(r"^DES\d{4}[+-]\d{4}_DESJ[\d.+-]+_i\.fits$", text, re.M)) == 8
    (jobs,) = html_values(notebook, "surveylab-jobs")  # the JobBrowser's table
    assert "bright galaxies" in jobs and "COMPLETED" in jobs and "cutout" in jobs


def check_footprint(notebook: nbformat.NotebookNode, text: str) -> None:
    match = re.search(r"(\d+) tiles, (\d+) HEALPix pixels \(nside 64\) holding (\d+) objects", text)
    assert match is not None
    tiles, pixels, objects = map(int, match.groups())
    assert tiles > 100 and pixels > 100
    assert objects == DEMO_ROWS  # every row of the demo DR1_MAIN
    stars = int(number(r"query overlay: (\d{4}) stars of M2 on tile DES2134-0041", text))
    giants = int(number(r"(\d+) giants shown in yellow", text))
    assert 0 < giants < stars
    (viewer,) = models(notebook, "AnyModel")
    drawn = {layer["name"]: layer for layer in viewer["_layers"]}
    assert list(drawn) == ["tiles", "healpix", "moc", "result", "selected"]
    assert len(drawn["tiles"]["polygons"]) == tiles
    assert len(drawn["healpix"]["polygons"]) == pixels
    assert (len(drawn["result"]["ra"]), len(drawn["selected"]["ra"])) == (stars, giants)
    assert "aladin" in viewer["_esm"].lower() and "esm.sh/aladin" not in viewer["_esm"]
    (figure,) = models(notebook, "FigureModel")
    assert figure["title"] == f"M2: {stars} stars"


def check_anomalies(notebook: nbformat.NotebookNode, text: str) -> None:
    scored = re.search(r"COMPLETED, ([\d,]+) rows scored", text)
    assert scored is not None and int(scored[1].replace(",", "")) > 1000
    assert 0 < number(r"recall@top0.01: ([\d.]+)", text) <= 1
    assert 0 < number(r"precision@100: ([\d.]+)", text) <= 1
    first = ast.literal_eval(text.split("top 24: ")[1].splitlines()[0])
    assert sum(first.values()) == 24 and set(first) <= {*INJECTED, "not injected"}
    assert int(number(r"(\d+) labelled 0", text)) == first.get("not injected", 0)
    assert "labelled objects in the new top list: 0" in text  # left out of the retrained list
    again = ast.literal_eval(text.split("new top 24: ")[1].splitlines()[0])
    assert sum(again.values()) == 24
    assert 1 <= number(r"most like lens \d+: (\d+) lenses", text) <= 11
    svgs = html_values(notebook, "surveylab-anomaly-histogram")
    assert svgs and "class='top'" in svgs[0]  # the top rows ticked on the histogram
    grids = models(notebook, "GridBoxModel")  # the explorer's gallery and the neighbours'
    assert sorted(len(grid["children"]) for grid in grids) == [12, 12]


def check_static_fallbacks(notebook: nbformat.NotebookNode) -> None:
    """Each of our widgets' outputs (boxes and the Aladin view) keeps a ``text/html`` snapshot
    for viewers with no widget manager."""
    state = widget_state(notebook)
    ours = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and state[view["model_id"]]["model_name"] in ("VBoxModel", "AnyModel"):
                ours += 1
                assert output["data"].get("text/html", "").startswith("<div class='surveylab-")
    assert ours > 0


#: The third-party widget front ends each published example holds (anywidget: the Aladin view).
MODULES = {
    "01-m2-colour-magnitude": ("bqplot", "bqscales"),
    "02-star-galaxy-separation": ("bqplot", "bqscales"),
    "03-brightest-galaxy-cutouts": ("anywidget",),  # the gallery's key listener
    "04-footprint-query-overlay": ("anywidget", "bqplot", "bqscales"),
    "05-anomalies-and-similar-objects": ("anywidget",),
}
STORIES: dict[str, Callable[[nbformat.NotebookNode, str], None]] = {
    "01-m2-colour-magnitude": check_m2,
    "02-star-galaxy-separation": check_star_galaxy,
    "03-brightest-galaxy-cutouts": check_cutouts,
    "04-footprint-query-overlay": check_footprint,
    "05-anomalies-and-similar-objects": check_anomalies,
}


def test_every_example_is_tested() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.ipynb")) == sorted(STORIES)


def test_examples_are_saved_without_outputs() -> None:
    for path in EXAMPLES.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in notebook.cells), path.name
        assert "widgets" not in notebook.metadata, path.name


@pytest.mark.parametrize("name", sorted(STORIES))
def test_example_tells_its_story(
    name: str,
    published_examples: dict[str, tuple[Published, nbformat.NotebookNode]],
    demo_data_dir: Path,
) -> None:
    published, notebook = published_examples[name]
    STORIES[name](notebook, stdout(notebook))
    check_static_fallbacks(notebook)
    assert json.loads((demo_data_dir / "release.json").read_text())["rows"] == DEMO_ROWS
    assert published.modules == MODULES[name]  # each inlined from its installed nbextension
    html = published.path.read_text()
    assert not any(host in html for host in CDN_HOSTS)
    assert published.missing == ()


def test_jupyter_nbconvert_execute_runs_an_example_with_its_widget_state(
    published_examples: dict[str, tuple[Published, nbformat.NotebookNode]],
) -> None:
    """CI's own way, ``jupyter nbconvert --execute``, by which ``published_examples`` runs the
    cutout example (the gallery waits for its job) headless: its saved notebook holds the
    thumbnails in the widget state."""
    published, _ = published_examples[NBCONVERT_EXAMPLE]
    saved = published.path.with_name(f"{NBCONVERT_EXAMPLE}.nbconvert.ipynb")
    notebook = nbformat.read(saved, as_version=4)
    check_cutouts(notebook, stdout(notebook))
    check_static_fallbacks(notebook)
