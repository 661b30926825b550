"""The offline HTML export: a notebook with widgets and plots, executed headless on the demo
survey in a kernel of this environment, exported with its widget state and every script inline.

The page itself is opened in headless Chromium by ``tests/browser/test_published_html.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from surveylab_widgets.publish import (
    WIDGET_STATE,
    Published,
    PublishError,
    export_html,
    main,
    widget_modules,
)
from tests.conftest import REPO_ROOT
from tests.support.lab import PYTHON_SOURCES

#: One output of each kind a published survey notebook holds.
CELLS = {
    "card": (
        "import surveylab_widgets\nprint(surveylab_widgets.__file__)\n"
        "surveylab_widgets.release_card()"
    ),
    "slider": "import ipywidgets as w\nw.IntSlider(value=21, min=14, max=26, description='mag_i')",
    "bqplot": (
        "import bqplot.pyplot as plt\n"
        "from surveylab import Survey\n"
        "from surveylab.demo import M2_EXAMPLE_QUERY\n"
        "m2 = Survey().query(M2_EXAMPLE_QUERY)\n"
        "fig = plt.figure(title=f'M2: {len(m2)} stars')\n"
        "colour, mag = (m2['G'] - m2['R']).astype(float), m2['R'].astype(float)\n"
        "plt.scatter(colour, mag, default_size=4)\n"
        "fig"
    ),
    "holoviews": (
        "import holoviews as hv\n"
        "hv.extension('bokeh')\n"
        "hv.Points((colour, mag), ['g-r', 'r']).opts(invert_yaxis=True)"
    ),
    "linked": (
        "from surveylab_widgets import plots\n"
        "bright = Survey().query(\n"
        "    'SELECT COADD_OBJECT_ID, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, MAGERR_AUTO_G, '\n"
        "    'MAGERR_AUTO_R, MAGERR_AUTO_I FROM DR1_MAIN WHERE MAG_AUTO_I < 21', limit=500)\n"
        "plots.colour_colour_sed(bright)"
    ),
}
#: Hosts nbconvert, the widgets manager, Bokeh and Panel load from by default.
CDN_HOSTS = ("cdnjs.cloudflare.com", "unpkg.com", "cdn.bokeh.org", "cdn.holoviz.org")


def survey_notebook(cells: dict[str, str] = CELLS) -> nbformat.NotebookNode:
    """A notebook of ``cells``, each tagged with its key."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(source, metadata={"tags": [key]}) for key, source in cells.items()
    ]
    return notebook


def kernel_env(data_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The kernel's survey: the demo release, a fresh job store, and this checkout's packages
    first on ``PYTHONPATH`` (whatever the environment's editable install points at)."""
    sources = [str(REPO_ROOT / source) for source in PYTHON_SOURCES]
    return {
        "SURVEYLAB_DATA_DIR": str(data_dir),
        "SURVEYLAB_JOBS_DIR": str(tmp_path / "jobs"),
        "PYTHONPATH": os.pathsep.join([*sources, os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    }


#: A database password in the kernel's environment of the ``published`` fixture (tests/conftest.py):
#: it must reach neither the page nor the notebook.
PASSWORD_CANARY = "canary-Pw-9f3e1"


def test_export_inlines_every_script_and_the_widget_state(published: Published) -> None:
    html = published.path.read_text()
    assert published.modules == ("bqplot", "bqscales")  # the widget modules the state names
    assert published.missing == ()
    assert 'type="application/vnd.jupyter.widget-state+json"' in html
    assert html.count('<script type="application/vnd.jupyter.widget-view+json">') == 3
    assert 'data-surveylab-module="bqplot"' in html
    assert 'data-surveylab-module="@jupyter-widgets/html-manager"' in html
    for host in CDN_HOSTS:
        assert host not in html, f"{host} is still referenced"
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?:""", html)
    assert "data:text/javascript;base64," in html  # BokehJS, from the installed bokeh
    assert "data:font/woff2;base64," in html  # the widgets' icon fonts


def test_export_keeps_what_the_cells_computed(published: Published) -> None:
    notebook = nbformat.read(published.path.with_name("survey.ipynb"), as_version=4)
    (where,) = notebook.cells[0].outputs[0]["text"].split()  # the kernel ran this checkout
    assert Path(where) == REPO_ROOT / "widgets" / "surveylab_widgets" / "__init__.py"
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    card = next(m for m in state.values() if "surveylab-release-card" in str(m["state"]))
    assert "DEMO DR1" in card["state"]["value"]
    slider = next(m for m in state.values() if m["model_name"] == "IntSliderModel")
    assert (slider["state"]["value"], slider["state"]["description"]) == (21, "mag_i")
    figure = next(m for m in state.values() if m["model_name"] == "FigureModel")
    assert re.fullmatch(r"M2: \d{4} stars", figure["state"]["title"])  # thousands of M2 stars


def test_a_failing_cell_is_named_in_the_error(tmp_path: Path, demo_data_dir: Path) -> None:
    notebook = survey_notebook({"ok": "x = 1", "bad": "\n# a comment\n1 / 0", "after": "x"})
    with pytest.raises(PublishError) as caught:
        export_html(notebook, tmp_path / "bad.html", env=kernel_env(demo_data_dir, tmp_path))
    message = str(caught.value)
    assert message == "code cell 2 (`# a comment`) raised ZeroDivisionError: division by zero"
    assert "Traceback" not in message
    assert not (tmp_path / "bad.html").exists()


def test_the_command_reports_a_failure_on_one_line(
    tmp_path: Path,
    demo_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in kernel_env(demo_data_dir, tmp_path).items():
        monkeypatch.setenv(name, value)
    source = tmp_path / "bad.ipynb"
    nbformat.write(
        survey_notebook({"bad": "from surveylab import Survey\nSurvey().query('DROP TABLE x')"}),
        source,
    )
    assert main([str(source)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{source}: code cell 1 (`from surveylab import Survey`) raised ")
    assert "DROP" in err and "\n" not in err
    assert not source.with_suffix(".html").exists()


def test_the_command_exports_saved_outputs_without_a_kernel(
    published: Published, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "again.html"
    assert (
        main([str(published.path.with_name("survey.ipynb")), "-o", str(out), "--no-execute"]) == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {out}; inlined bqplot; inlined bqscales"
    assert 'data-surveylab-module="bqscales"' in out.read_text()


def test_missing_assets_say_how_to_build_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEYLAB_WIDGET_ASSETS", str(tmp_path))
    with pytest.raises(
        PublishError,
        match=r"require\.js is missing: run `npm ci && npm run build` in widgets/js",
    ):
        export_html(survey_notebook({"x": "1"}), tmp_path / "x.html", execute=False)


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        pytest.param({}, [], id="no-widgets"),
        pytest.param(
            {
                "a": {
                    "model_module": "@jupyter-widgets/controls",
                    "state": {"_view_module": "@jupyter-widgets/controls"},
                }
            },
            [],
            id="built-in-controls",
        ),
        pytest.param(
            {
                "a": {"model_module": "bqplot", "state": {"_view_module": "bqplot"}},
                "b": {"model_module": "bqscales", "state": {}},
                "c": {"model_module": "anywidget", "state": {"_view_module": "anywidget"}},
            },
            ["anywidget", "bqplot", "bqscales"],
            id="third-party",
        ),
    ],
)
def test_widget_modules_are_read_from_the_state(
    models: dict[str, object], expected: list[str]
) -> None:
    notebook = nbformat.v4.new_notebook()
    if models:
        notebook.metadata.widgets = {
            "application/vnd.jupyter.widget-state+json": {"state": models, "version_major": 2}
        }
    assert widget_modules(notebook) == expected


def test_a_widget_module_with_no_front_end_is_reported(tmp_path: Path) -> None:
    notebook = survey_notebook({"x": "1"})
    model = {"model_module": "no-such-widgets", "model_name": "M", "state": {}}
    notebook.metadata.widgets = {WIDGET_STATE: {"state": {"a": model}, "version_major": 2}}
    published = export_html(notebook, tmp_path / "x.html", execute=False)
    assert (published.modules, published.missing) == ((), ("no-such-widgets",))
    assert 'data-surveylab-module="no-such-widgets"' not in published.path.read_text()


def test_no_password_reaches_the_page_or_the_notebook(published: Published) -> None:
    for path in (published.path, published.path.with_name("survey.ipynb")):
        assert PASSWORD_CANARY not in path.read_text(encoding="utf-8"), path.name
