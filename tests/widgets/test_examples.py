"""The example notebooks in ``examples/``, each executed headless on the demo survey and published
offline: the outputs hold what each story claims."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from surveylab_widgets.publish import export_html
from tests.conftest import REPO_ROOT
from tests.widgets.test_publish import CDN_HOSTS, kernel_env

EXAMPLES = REPO_ROOT / "examples"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def stdout(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def models(notebook: nbformat.NotebookNode, name: str) -> list[dict[str, Any]]:
    """The states of the notebook's widgets of model ``name`` (e.g. "FigureModel")."""
    state = notebook.metadata.widgets[WIDGET_STATE]["state"]
    return [model["state"] for model in state.values() if model["model_name"] == name]


def check_m2(notebook: nbformat.NotebookNode, text: str) -> None:
    stars = int(re.search(r"M2 sequence: (\d+) stars", text)[1])  # type: ignore[index]
    assert stars > 2000  # the cluster, not a handful of field stars
    turnoff = float(re.search(r"turn-off\) at r = ([\d.]+)", text)[1])  # type: ignore[index]
    assert 17 < turnoff < 20
    (figure,) = models(notebook, "FigureModel")
    assert figure["title"] == f"M2: {stars} stars"
    hextiles = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("data", {}).get("text/plain", "").startswith(":HexTiles")
    ]
    assert len(hextiles) == 1


def check_star_galaxy(notebook: nbformat.NotebookNode, text: str) -> None:
    match = re.search(r"(\d+) objects: (\d+) stars, (\d+) galaxies", text)
    assert match is not None
    total, stars, galaxies = map(int, match.groups())
    assert stars + galaxies == total and stars > 1000 and galaxies > 1000
    agree = int(re.search(r"EXTENDED_CLASS_COADD for (\d+)%", text)[1])  # type: ignore[index]
    assert agree >= 80
    assert [figure["title"] for figure in models(notebook, "FigureModel")] == [
        "Spread model, i band"
    ]


def check_cutouts(notebook: nbformat.NotebookNode, text: str) -> None:
    assert "COMPLETED, {'positions': 8, 'ok': 8, 'error': 0" in text
    assert "8 colour thumbnails" in text
    images = models(notebook, "ImageModel")
    assert len(images) == 8 and {image["format"] for image in images} == {"jpeg"}
    assert "8 FITS cutouts in " in text
    assert len(re.findall(r"^DES\d{4}[+-]\d{4}_DESJ[\d.+-]+_i\.fits$", text, re.M)) == 8


def check_footprint(notebook: nbformat.NotebookNode, text: str) -> None:
    match = re.search(r"(\d+) tiles, (\d+) HEALPix pixels \(nside 64\) holding (\d+) objects", text)
    assert match is not None
    tiles, pixels, objects = map(int, match.groups())
    assert tiles > 100 and pixels > 100 and objects == 24_000  # every row of the demo DR1_MAIN
    assert re.search(r"query overlay: \d{4} stars of M2 on tile DES2134-0041", text)
    (sky,) = models(notebook, "FigureModel")
    assert sky["title"] == "DEMO DR1: tiles, density and the M2 query"
    assert len(sky["marks"]) == 3  # density, tile outlines, the query's stars


STORIES: dict[str, Callable[[nbformat.NotebookNode, str], None]] = {
    "01-m2-colour-magnitude": check_m2,
    "02-star-galaxy-separation": check_star_galaxy,
    "03-brightest-galaxy-cutouts": check_cutouts,
    "04-footprint-query-overlay": check_footprint,
}


def test_every_example_is_tested() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.ipynb")) == sorted(STORIES)


def test_examples_are_saved_without_outputs() -> None:
    for path in EXAMPLES.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in notebook.cells), path.name
        assert "widgets" not in notebook.metadata, path.name


@pytest.mark.parametrize("name", sorted(STORIES))
def test_example_tells_its_story(name: str, demo_data_dir: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    published = export_html(
        notebook, tmp_path / f"{name}.html", cwd=tmp_path, env=kernel_env(demo_data_dir, tmp_path)
    )
    STORIES[name](notebook, stdout(notebook))
    html = published.path.read_text()
    assert not any(host in html for host in CDN_HOSTS)
    assert published.missing == ()
