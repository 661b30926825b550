"""Fixtures shared by every test: a small generated demo survey and a jupyter server with
surveylab's extension, run with unauthenticated access disabled."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from surveylab.demo import generate_demo
from tests.support.markers import running_item
from tests.support.once import made_once

if TYPE_CHECKING:
    import nbformat

    from surveylab_widgets.publish import Published

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.support.postgres"]

#: The repository root, and the shared reference data beside the checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

#: A small release: quick to generate, the same shape as the default one.
SMALL_DEMO = {"objects": 20_000, "pixel_scale": 4.0, "bands": ("g", "r", "i"), "deep_objects": 0}


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DEMO DR1 (20,000 objects plus the M2 cluster, 4″ pixels), made once a run (tests
    only read it: one that changes a release links it first, :func:`linked_release`)."""

    def make(folder: Path) -> Path:
        generate_demo(folder / "dr1", **SMALL_DEMO)  # type: ignore[arg-type]
        return folder / "dr1"

    return made_once(tmp_path_factory, "demo-survey", make)


#: The test HiPS: a low order and small tiles keep the build to seconds (25.8″ pixels).
HIPS_ORDER = 5
HIPS_TILE_WIDTH = 256
#: The test similarity index: small stamps and few components keep the build to seconds; an
#: inverted file (not exact search) so that its recall is worth measuring.
SIMILARITY_TEST_INDEX = {"pixels": 16, "components": 32, "pca_sample": 2000, "kind": "ivf"}
#: A release's files, linked into other release folders so that the shared demo stays as is.
RELEASE_ENTRIES = ("catalog.duckdb", "release.json", "images")


def linked_release(source: Path, target: Path) -> Path:
    """A release folder at ``target`` whose files are symbolic links to ``source``'s."""
    target.mkdir(parents=True)
    for entry in RELEASE_ENTRIES:
        (target / entry).symlink_to(source / entry)
    return target


@pytest.fixture(scope="session")
def demo_release_with_hips(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo release as ``make demo`` leaves it, built once a run: a colour HiPS in ``hips/``
    and a similarity index in ``similarity/`` (:data:`SIMILARITY_TEST_INDEX`)."""
    from surveylab import Survey
    from surveylab.cutouts import InlineExecutor
    from surveylab.hips import build_hips
    from surveylab.settings import Settings
    from surveylab.similarity import IndexParameters, build_similarity_index

    def make(folder: Path) -> Path:
        release = linked_release(demo_data_dir, folder / "dr1")
        build_hips(release, order=HIPS_ORDER, tile_width=HIPS_TILE_WIDTH)
        with Survey(Settings(data_dir=release, jobs_dir=folder / "jobs")) as survey:
            build_similarity_index(
                survey, InlineExecutor(), IndexParameters(**SIMILARITY_TEST_INDEX)
            )
        return release

    return made_once(tmp_path_factory, "demo-release-with-hips", make)


@pytest.fixture(scope="session")
def published(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The notebook of one output of each kind (``tests/widgets/test_publish.py``) executed on the
    demo survey, with a database password in the kernel's environment, and published; the
    executed notebook is saved beside the page as ``survey.ipynb``. Made once a run."""
    import nbformat

    from surveylab_widgets.publish import export_html
    from tests.widgets.test_publish import PASSWORD_CANARY, kernel_env, survey_notebook

    def publish(tmp: Path) -> Published:
        notebook = survey_notebook()
        env = {**kernel_env(demo_data_dir, tmp), "SURVEYLAB_DB_PASSWORD": PASSWORD_CANARY}
        result = export_html(notebook, tmp / "out" / "survey.html", cwd=tmp, env=env)
        nbformat.write(notebook, tmp / "out" / "survey.ipynb")
        return result

    return made_once(tmp_path_factory, "publish", publish)


#: The example run by ``jupyter nbconvert --execute`` (CI's own way) in ``published_examples``:
#: the cutout one, whose gallery waits for its job.
NBCONVERT_EXAMPLE = "03-brightest-galaxy-cutouts"


def nbconvert_execute(path: Path, folder: Path, env: dict[str, str]) -> Path:
    """``jupyter nbconvert --to notebook --execute`` on a copy of ``path`` in ``folder`` (the
    kernel's working folder); the executed notebook it saves, ``<name>.nbconvert.ipynb``."""
    import os
    import shutil
    import subprocess
    import sys

    copy = folder / path.name
    shutil.copyfile(path, copy)
    jupyter = Path(sys.executable).with_name("jupyter")
    subprocess.run(
        [str(jupyter), "nbconvert", "--to", "notebook", "--execute", str(copy)],
        cwd=folder, env={**os.environ, **env}, check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return copy.with_suffix(".nbconvert.ipynb")


@pytest.fixture(scope="session")
def published_examples(
    demo_release_with_hips: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Published, nbformat.NotebookNode]]:
    """Each example (``examples/``) executed on the demo release with its HiPS and similarity
    index, and published:
    the page and the executed notebook, by name. Made once a run (even over pytest-xdist
    workers: :func:`~tests.support.once.made_once`), each example executed once: by
    :func:`~surveylab_widgets.publish.export_html`, or :data:`NBCONVERT_EXAMPLE` by
    ``jupyter nbconvert --execute``, its page exported from the notebook nbconvert saved beside
    it (``<name>.nbconvert.ipynb``)."""
    import nbformat

    from surveylab_widgets.publish import export_html
    from tests.widgets.test_publish import kernel_env

    def publish_examples(tmp: Path) -> dict[str, tuple[Published, nbformat.NotebookNode]]:
        pages = {}
        for path in sorted((REPO_ROOT / "examples").glob("*.ipynb")):
            env = kernel_env(demo_release_with_hips, tmp)
            out = tmp / f"{path.stem}.html"
            if path.stem == NBCONVERT_EXAMPLE:
                notebook = nbformat.read(nbconvert_execute(path, tmp, env), as_version=4)
                pages[path.stem] = (export_html(notebook, out, execute=False), notebook)
            else:
                notebook = nbformat.read(path, as_version=4)
                pages[path.stem] = (export_html(notebook, out, cwd=tmp, env=env), notebook)
        return pages

    return made_once(tmp_path_factory, "published-examples", publish_examples)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Note the running test: starting a hub or a browser checks its marker
    (``tests/support/markers.py``)."""
    running_item(item)
    try:
        return (yield)
    finally:
        running_item(None)


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    """A fresh job store folder for one test."""
    return tmp_path / "surveylab-jobs"


@pytest.fixture
def jp_server_config(demo_data_dir: Path, jobs_dir: Path) -> dict[str, Any]:
    """The jupyter server under test: surveylab enabled, every endpoint behind auth."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"surveylab_server": True},
            "allow_unauthenticated_access": False,
        },
        "SurveylabApp": {"data_dir": str(demo_data_dir), "jobs_dir": str(jobs_dir)},
    }


@pytest.fixture(scope="session")
def similarity_release(demo_release_with_hips: Path) -> Path:
    """The demo release with a similarity index in ``similarity/`` (and its HiPS)."""
    return demo_release_with_hips
