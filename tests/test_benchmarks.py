"""The benchmarks run, each in a quick mode, through ``benchmarks/run.py`` as ``make benchmark``
runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, str(REPO_ROOT / "benchmarks" / "run.py")]


def run_quick(name: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``benchmarks/run.py NAME -- --quick``, its output captured."""
    return subprocess.run(
        [*RUN, name, "--", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.hub
def test_hub_benchmark_runs_in_quick_mode() -> None:
    result = run_quick("hub", timeout=280)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    figures = r"p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms\s+errors 0/8"
    for label in (
        r"embedded store \(hub login\)",
        r"bare argon2 verify \(limit\)",
        r"postgresql \(hub login\)",
        r"bare PostgreSQL connect \(limit\)",
    ):
        assert re.search(rf"{label}\s+{figures}", out), out
    assert re.search(r"embedded login p50: [\d.]+x the bare argon2 verify", out), out
    assert re.search(r"postgresql login p50: [\d.]+x a bare connect", out), out
    assert re.search(r"spawn-to-ready p50 [\d.]+ s .* errors 0/1", out), out


def test_unknown_benchmark_is_a_clear_error() -> None:
    result = subprocess.run(
        [*RUN, "nosuch"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "unknown benchmark 'nosuch'; choose from " in result.stderr
    assert "hub" in result.stderr.rpartition("choose from")[2]


@pytest.mark.browser
def test_lab_benchmark_runs_in_quick_mode() -> None:
    result = run_quick("lab", timeout=600)
    out = result.stdout
    assert result.returncode in (0, 1), out + result.stderr  # 1: a figure over its limit
    for label, limit in (
        ("query panel interactive", 1000),
        ("10,000-row quick result rendered", 1000),
        ("footprint with tiles \\+ HEALPix drawn", 2000),
    ):
        assert re.search(rf"{label}\s+\d+\s+{limit}\s+\d+\.\d\d", out), out
    assert re.search(r"JupyterLab text editor \(baseline\)\s+\d+", out), out


def test_plots_benchmark_runs_in_quick_mode() -> None:
    result = run_quick("plots", timeout=120)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr  # both plots within 1 s and 1 MB
    for label in ("colour_magnitude \\(ours\\)", "HoloViews HexTiles, every row"):
        assert re.search(rf"{label}\s+\d+\.\d{{3}}\s+\d+\.\d\d", out), out
    assert re.search(r"(\d+)x less data than a scatter of every row", out), out
    assert re.search(r"linked_scatter: \d\.\d\d of the time limit", out), out
