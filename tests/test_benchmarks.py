"""The benchmarks: ``benchmarks/run.py`` as ``make benchmark`` runs it, the plots benchmark on
a small table, and the hub, lab and platform benchmarks' measures and reports in-process."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from surveylab_hub.store import CredentialStore

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, str(REPO_ROOT / "benchmarks" / "run.py")]


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/bench_NAME.py`` as a module (the folder is no package)."""
    path = REPO_ROOT / "benchmarks" / f"bench_{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # for its dataclasses
    spec.loader.exec_module(module)
    return module


# The hub, lab and platform benchmarks start hubs and labs: ``make benchmark`` runs them. Here their
# measuring and reporting run in-process on tiny inputs, for the format of what they print.


def test_hub_benchmark_times_logins_and_prints_its_figures(tmp_path: Path) -> None:
    bench = load_benchmark("hub")
    store = CredentialStore(tmp_path / "users.json")
    logins = bench.make_logins(2)
    for name, password in logins.items():
        store.add(name, password)
    names = sorted(logins)
    verify = bench.run_concurrently(
        lambda i: bench._check(store.verify(names[i % 2], logins[names[i % 2]])), 4, 2
    )
    assert len(verify.seconds) == 4 and verify.errors == [] and verify.wall > 0
    line = verify.line("bare argon2 verify (limit)", 4)
    assert re.search(r"bare argon2 verify \(limit\)\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms\s+"
                     r"errors 0/4\s+\([\d.]+/s\)$", line), line  # fmt: skip
    assert verify.percentile(0.5) <= verify.percentile(0.99) <= max(verify.seconds)
    refused = bench.run_concurrently(lambda i: bench._check(store.verify(names[0], "wrong")), 2, 2)
    assert refused.seconds == []
    assert refused.errors == ["RuntimeError: the store refused a right password"] * 2
    assert "errors 2/2" in refused.line("embedded store (hub login)", 2)
    assert math.isnan(refused.percentile(0.5))


def test_lab_benchmark_reports_medians_against_limits() -> None:
    bench = load_benchmark("lab")
    results = {name: [100.0, 300.0] for name, _, _ in bench.MEASURES}
    results["footprint with tiles + HEALPix drawn"] = [2500.0, 2700.0]
    lines, over = bench.report(results)
    assert over == 1  # the footprint, over its 2 s
    table = "\n".join(lines)
    for label, limit, ratio in (
        ("query panel interactive", 1000, "0.20"),
        ("10,000-row quick result rendered", 1000, "0.20"),
        ("footprint with tiles \\+ HEALPix drawn", 2000, "1.30"),
    ):
        assert re.search(rf"{label}\s+\d+\s+{limit}\s+{ratio}$", table, re.M), table
    assert re.search(r"JupyterLab text editor \(baseline\)\s+200\s*$", table, re.M), table


def test_unknown_benchmark_is_a_clear_error() -> None:
    result = subprocess.run(
        [*RUN, "nosuch"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "unknown benchmark 'nosuch'; choose from " in result.stderr
    assert "hub" in result.stderr.rpartition("choose from")[2]


def test_plots_benchmark_prints_its_table_and_judges_by_its_limits() -> None:
    result = subprocess.run(
        [*RUN, "plots", "--", "--rows", "20000", "--repeat", "1"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode in (0, 1), out + result.stderr
    assert "20,000 rows; limits 1 s and 1 MB" in out, out
    for label in ("colour_magnitude \\(ours\\)", "HoloViews HexTiles, every row"):
        assert re.search(rf"{label}\s+\d+\.\d{{3}}\s+\d+\.\d\d", out), out
    assert re.search(r"(\d+)x less data than a scatter of every row", out), out
    # Sizes do not depend on the machine's load: both plots send well under 1 MB. Seconds do,
    # so the test checks only that the exit status follows the ratios printed.
    ratios = re.findall(r"(\d+\.\d\d) of the time limit, (\d+\.\d\d) of the size limit", out)
    assert len(ratios) == 2, out
    assert all(float(size) < 1 for _, size in ratios), out
    seconds = [float(s) for s, _ in ratios]
    if max(seconds) != 1.0:  # printed 1.00 could be either side of the limit
        assert result.returncode == (0 if max(seconds) < 1 else 1), out


def test_platform_benchmark_measures_the_core_path_and_prints_its_figures(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """The platform benchmark's in-process limit (c) on the test survey: its cones answer, and
    its report line has the figures (the hub paths run in ``make benchmark``)."""
    bench = load_benchmark("platform")
    queries = bench.cone_queries(6)
    assert len(set(queries)) == 6 and all("CIRCLE('ICRS'" in q for q in queries)
    both, alone = bench.bench_in_process(demo_data_dir, tmp_path, queries, 2, 3)
    assert (len(both.seconds), len(alone.seconds), both.errors, alone.errors) == (6, 3, [], [])
    line = both.line("in-process VOService.handle (c)", 6)
    assert re.fullmatch(
        r"  in-process VOService.handle \(c\)\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms"
        r"\s+errors 0/6\s+\([\d.]+/s\)",
        line,
    ), line


def test_anomaly_benchmark_scores_against_the_limit_and_compares_dask() -> None:
    bench = load_benchmark("anomaly")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = bench.main(["--rows", "20000", "--trees", "20"])
    text = out.getvalue()
    assert status in (0, 1), text
    assert "20,000 rows x 10 features, 20 trees; limit 60 s" in text, text
    for label in ("local pool \\(2\\)", "Dask, 1 worker\\(s\\)", "Dask, 2 worker\\(s\\)"):
        assert re.search(rf"{label}\s+train\s+\d+\.\d\d s\s+score\s+\d+\.\d\d s", text), text
    assert float(re.findall(r"recall@top1% of the planted outliers: (\d\.\d+)", text)[0]) >= 0.8
    ratio = float(re.findall(r"(\d+\.\d\d) of the time limit", text)[0])
    assert status == (0 if ratio < 1 else 1), text
    assert re.search(r"Dask speed-up, 2 workers vs 1: \d+\.\d\dx", text), text


def test_similarity_benchmark_measures_the_test_index(
    similarity_release: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_benchmark("similarity")
    assert bench.main(["--data-dir", str(similarity_release), "--queries", "20"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"release index \(IVF\d+,Flat\): recall@50 (0\.9[5-9]|1\.0)\d*\s+"
                     r"Survey\.similar p50 [\d.]+ ms", out), out  # fmt: skip
    assert "HNSW32 efSearch 128" in out
    purity = re.search(
        r"purity: (\d+) lenses indexed; .* ([\d.]+)% are lenses \(chance: ([\d.]+)%\)", out
    )
    assert purity is not None, out
    assert int(purity[1]) > 0 and float(purity[2]) > float(purity[3])  # better than chance
