"""The Grafana dashboard (``hub_config/grafana/surveylab-dashboard.json``) asks Prometheus only
for metrics that exist: surveylab's (:mod:`surveylab.metrics`) and JupyterHub's own
(:mod:`jupyterhub.metrics`), each under a name its type exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jupyterhub.metrics  # noqa: F401  # registers JupyterHub's metrics in the default registry
import pytest
from prometheus_client import REGISTRY

import surveylab.metrics  # noqa: F401  # registers surveylab's metrics

DASHBOARD = (
    Path(__file__).resolve().parents[2] / "hub_config" / "grafana" / "surveylab-dashboard.json"
)

#: The sample names each metric type exports, from its family name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "unknown": ("",),
}

#: PromQL words that are not metric names: keywords and set operators.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
KEYWORDS |= {"group_left", "group_right", "inf", "nan"}


def exported_names() -> set[str]:
    """Every sample name the default registry's metrics can show."""
    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: its identifiers, less strings, label
    matchers, ranges, grouping labels, Grafana's ``$variables``, numbers and durations,
    functions and aggregations (followed by ``(``) and keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    text = re.sub(r"(?<![\w:])\d[\w.]*", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if word.lower() in KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue
        names.add(word)
    return names


def expressions(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """Each panel's title and each of its PromQL expressions."""
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param(
            'sum by (outcome) (rate(surveylab_queries_total{mode="quick"}[$__rate_interval]))',
            {"surveylab_queries_total"},
            id="grouping-and-matchers",
        ),
        pytest.param(
            "histogram_quantile(0.95, sum without (pod) (rate(a_seconds_bucket[5m])))",
            {"a_seconds_bucket"},
            id="quantile",
        ),
        pytest.param(
            'sum(rate(x_total{o=~"a|b"}[1m])) / on (job) group_left sum(y) and z offset 5m',
            {"x_total", "y", "z"},
            id="binary-operators",
        ),
        pytest.param("60 * sum(rate(up[1h:5m]))", {"up"}, id="number-and-subquery"),
        pytest.param("x_seconds > 1e3 or y offset 5m", {"x_seconds", "y"}, id="exponent-offset"),
    ],
)
def test_the_tokenizer_finds_the_metric_names(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


def test_every_query_of_the_dashboard_names_only_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exported = exported_names()
    found = expressions(dashboard)
    assert len(found) >= 10
    unknown = {
        (title, name)
        for title, expr in found
        for name in metric_names(expr)
        if name not in exported
    }
    assert not unknown, sorted(unknown)
    read = {name for _, expr in found for name in metric_names(expr)}
    ours = {
        "surveylab_queries_total",
        "surveylab_query_duration_seconds_bucket",
        "surveylab_jobs",
        "surveylab_jobs_queued",
        "surveylab_cutouts_total",
        "surveylab_hub_logins_total",
    }
    assert ours <= read
    assert any(name.startswith("jupyterhub_") for name in read)  # the hub's own metrics too


def test_a_misspelt_metric_would_be_caught() -> None:
    exported = exported_names()
    assert "surveylab_queries_total" in exported
    assert "surveylab_query_total" not in exported  # "queries"
    assert "surveylab_jobs_queued_total" not in exported  # a gauge has no _total
    assert "surveylab_cutouts" not in exported  # a counter is read as ..._total


def test_the_dashboard_asks_for_its_prometheus_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    (variable,) = dashboard["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
