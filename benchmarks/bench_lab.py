"""The lab panels in headless Chromium: time to interactive, 10,000-row render, footprint draw.

Usage: ``python benchmarks/bench_lab.py [--repeat 5] [--quick]``.

It starts a real ``jupyter lab`` with this checkout's extension (``tests/support/lab.py``) on a
generated demo release with its HiPS, opens JupyterLab in Debian's headless Chromium and reads the
panels' own ``performance.mark`` points:

- **query panel interactive**: from ``surveylab:open-query`` to ``surveylab:query-ready``
  (limit 1 s);
- **10,000-row quick result**: from ``surveylab:query-response`` (the rows arrived) to
  ``surveylab:query-rendered`` (the grid drew them) (limit 1 s);
- **footprint drawn**: from ``surveylab:open-footprint`` to ``surveylab:footprint-drawn``, Aladin
  Lite with all tile outlines and HEALPix nside=32 overlays (limit 2 s);
- **job browser** and **cutout gallery** first render, for the record.

For comparison it times JupyterLab's own text editor opening in the same page. Each figure is the
median of ``--repeat`` runs in fresh pages (``--quick``: 2); the ratio is figure / limit (< 1 is
within the target).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.support: the test suite's real lab server

from surveylab.demo import generate_demo  # noqa: E402  (after the path)
from surveylab.hips import build_hips  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.lab import RunningLab, start_lab, stop_lab  # noqa: E402

#: The demo release: the test suite's small one (4″ pixels), which has the default's tables.
DEMO = {"objects": 200_000, "pixel_scale": 4.0, "bands": ("g", "r", "i")}
TEN_THOUSAND_ROWS = "SELECT * FROM DR1_MAIN LIMIT 10000"
WAIT_MS = 60_000


def open_lab(page: Page, lab: RunningLab) -> None:
    page.goto(lab.lab_url)
    page.locator(".jp-LauncherCard").first.wait_for(timeout=WAIT_MS)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=WAIT_MS)


def command_to_mark(page: Page, command: str, mark: str, args: dict[str, object]) -> float:
    """Milliseconds from executing ``command`` to the panel's ``mark``."""
    return float(
        page.evaluate(
            """async ([command, mark, args, wait]) => {
                performance.clearMarks(mark);
                const started = performance.now();
                await window.jupyterapp.commands.execute(command, args);
                const until = started + wait;
                while (performance.getEntriesByName(mark).length === 0) {
                    if (performance.now() > until) throw new Error(`no ${mark} after ${command}`);
                    await new Promise(resolve => setTimeout(resolve, 5));
                }
                return performance.getEntriesByName(mark)[0].startTime - started;
            }""",
            [command, mark, args, WAIT_MS],
        )
    )


def between_marks(page: Page, first: str, last: str) -> float:
    """Milliseconds between two marks, waiting for the second."""
    page.wait_for_function(
        "([mark]) => performance.getEntriesByName(mark).length > 0", arg=[last], timeout=WAIT_MS
    )
    return float(
        page.evaluate(
            """([first, last]) => performance.getEntriesByName(last).at(-1).startTime
                - performance.getEntriesByName(first).at(-1).startTime""",
            [first, last],
        )
    )


def query_panel_ready(page: Page) -> float:
    return command_to_mark(page, "surveylab:open-query", "surveylab:query-ready", {})


def ten_thousand_rows(page: Page) -> float:
    command_to_mark(
        page, "surveylab:open-query", "surveylab:query-ready", {"sql": TEN_THOUSAND_ROWS}
    )
    page.evaluate("performance.clearMarks('surveylab:query-rendered')")
    page.locator(".cm-content").first.click()
    page.keyboard.press("Shift+Enter")
    return between_marks(page, "surveylab:query-response", "surveylab:query-rendered")


def footprint_drawn(page: Page) -> float:
    return command_to_mark(page, "surveylab:open-footprint", "surveylab:footprint-drawn", {})


def jobs_rendered(page: Page) -> float:
    return command_to_mark(page, "surveylab:open-jobs", "surveylab:jobs-rendered", {})


def text_editor_baseline(page: Page) -> float:
    """JupyterLab's own: a new text file opened in its editor, to the editor's first paint."""
    return float(
        page.evaluate(
            """async () => {
                const started = performance.now();
                const widget = await window.jupyterapp.commands.execute('fileeditor:create-new');
                await widget.context.ready;
                await new Promise(resolve => requestAnimationFrame(() => resolve()));
                return performance.now() - started;
            }"""
        )
    )


MEASURES: list[tuple[str, Callable[[Page], float], float | None]] = [
    ("JupyterLab text editor (baseline)", text_editor_baseline, None),
    ("query panel interactive", query_panel_ready, 1000.0),
    ("10,000-row quick result rendered", ten_thousand_rows, 1000.0),
    ("footprint with tiles + HEALPix drawn", footprint_drawn, 2000.0),
    ("job browser first render", jobs_rendered, None),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs each, a smaller release")
    options = parser.parse_args(argv)
    repeat = 2 if options.quick else options.repeat
    with tempfile.TemporaryDirectory(prefix="surveylab-bench-lab-") as folder:
        release = Path(folder) / "dr1"
        generate_demo(release, **{**DEMO, "objects": 20_000 if options.quick else 200_000})  # type: ignore[arg-type]
        build_hips(release, order=5, tile_width=256)
        root = Path(folder) / "root"
        root.mkdir()
        lab = start_lab(root, release)
        results: dict[str, list[float]] = {name: [] for name, _, _ in MEASURES}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                for run in range(repeat + 1):  # the first run warms the server and caches
                    for name, measure, _ in MEASURES:
                        context = browser.new_context(viewport={"width": 1400, "height": 900})
                        page = context.new_page()
                        open_lab(page, lab)
                        value = measure(page)
                        if run > 0:
                            results[name].append(value)
                        context.close()
                browser.close()
        finally:
            stop_lab(lab)
    lines, over = report(results)
    print("\n".join(lines))
    return 0 if not over else 1


def report(results: dict[str, list[float]]) -> tuple[list[str], int]:
    """The table of each measure's median, limit and ratio, and how many are over their limit."""
    lines = [f"{'measure':40} {'median ms':>10} {'limit ms':>9} {'ratio':>6}"]
    over = 0
    for name, _, limit in MEASURES:
        median = statistics.median(results[name])
        ratio = "" if limit is None else f"{median / limit:6.2f}"
        over += limit is not None and median > limit
        lines.append(
            f"{name:40} {median:10.0f} {'' if limit is None else f'{limit:9.0f}':>9} {ratio}"
        )
    return lines, over


if __name__ == "__main__":
    sys.exit(main())
