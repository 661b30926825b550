"""The REST API's limits, read from its contract (``openapi.yaml``, shipped in this package).

The contract's ``x-limits`` names each limit and points (a JSON pointer) at the one place its
value is written; the lab extension's ``src/generated/limits.ts`` is generated from the same map,
so the server and the lab cannot disagree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ANOMALY_NDIM_MAX",
    "ANOMALY_SAMPLE_SIZE_MAX",
    "ANOMALY_SAMPLE_SIZE_MIN",
    "ANOMALY_TOP_MAX",
    "ANOMALY_TREES_MAX",
    "ANOMALY_TREES_MIN",
    "BODY_MAX_BYTES",
    "CUTOUT_SIZE_MAX",
    "CUTOUT_SIZE_MIN",
    "FINDING_CHART_POSITIONS_MAX",
    "FINDING_CHART_TARGETS_MAX",
    "JOB_NAME_MAX_LENGTH",
    "JOB_PAGE_MAX",
    "LABELS_MAX",
    "LABEL_MAX",
    "LABEL_MIN",
    "MOC_ORDER_MAX",
    "MOC_ORDER_MIN",
    "OPENAPI_PATH",
    "SIMILAR_K_MAX",
    "limit",
    "load_openapi",
    "resolve_pointer",
]

#: The REST contract (served as JSON at ``/surveylab/api/openapi.json`` by the server extension).
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")


@cache
def load_openapi() -> dict[str, Any]:
    """The OpenAPI document of the REST API, parsed once."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: 10x faster
    document: dict[str, Any] = yaml.load(OPENAPI_PATH.read_text(encoding="utf-8"), loader)
    return document


def resolve_pointer(document: dict[str, Any], pointer: str) -> Any:
    """The value at a local JSON pointer such as ``#/components/schemas/Label/maximum``."""
    if not pointer.startswith("#/"):
        raise ValueError(f"{pointer!r} is not a local JSON pointer")
    value: Any = document
    for token in pointer[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise KeyError(f"{OPENAPI_PATH.name}: {pointer} leads nowhere (at {key!r})")
    return value


def limit(name: str) -> int | float:
    """The value of the limit ``name`` of the contract's ``x-limits``."""
    document = load_openapi()
    pointers: dict[str, str] = document["x-limits"]
    if name not in pointers:
        raise KeyError(f"{OPENAPI_PATH.name} has no limit {name!r} in x-limits")
    value = resolve_pointer(document, pointers[name])
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{OPENAPI_PATH.name}: limit {name} is {value!r}, not a number")
    return value


def _whole(name: str) -> int:
    value = limit(name)
    if not isinstance(value, int):
        raise TypeError(f"{OPENAPI_PATH.name}: limit {name} is {value!r}, not a whole number")
    return value


#: Cutout sides allowed, in arcmin.
CUTOUT_SIZE_MIN: float = float(limit("CUTOUT_SIZE_MIN"))
CUTOUT_SIZE_MAX: float = float(limit("CUTOUT_SIZE_MAX"))
#: Longest job name, in characters after trimming.
JOB_NAME_MAX_LENGTH: int = _whole("JOB_NAME_MAX_LENGTH")
#: Most jobs in one page of ``GET /jobs``.
JOB_PAGE_MAX: int = _whole("JOB_PAGE_MAX")
#: HEALPix orders of the footprint's MOC.
MOC_ORDER_MIN: int = _whole("MOC_ORDER_MIN")
MOC_ORDER_MAX: int = _whole("MOC_ORDER_MAX")
#: Quick labels are the whole numbers from ``LABEL_MIN`` to ``LABEL_MAX`` (the digit keys).
LABEL_MIN: int = _whole("LABEL_MIN")
LABEL_MAX: int = _whole("LABEL_MAX")
#: Most labels one job may hold.
LABELS_MAX: int = _whole("LABELS_MAX")
#: Largest JSON request body, in bytes.
BODY_MAX_BYTES: int = _whole("BODY_MAX_BYTES")
#: Most targets of one finding-chart request (one PDF page each).
FINDING_CHART_TARGETS_MAX: int = _whole("FINDING_CHART_TARGETS_MAX")
#: Most positions of one's own marked on a finding chart.
FINDING_CHART_POSITIONS_MAX: int = _whole("FINDING_CHART_POSITIONS_MAX")
#: Anomaly jobs: trees, rows per tree, features per split, rows in the top list and gallery.
ANOMALY_TREES_MIN: int = _whole("ANOMALY_TREES_MIN")
ANOMALY_TREES_MAX: int = _whole("ANOMALY_TREES_MAX")
ANOMALY_SAMPLE_SIZE_MIN: int = _whole("ANOMALY_SAMPLE_SIZE_MIN")
ANOMALY_SAMPLE_SIZE_MAX: int = _whole("ANOMALY_SAMPLE_SIZE_MAX")
ANOMALY_NDIM_MAX: int = _whole("ANOMALY_NDIM_MAX")
ANOMALY_TOP_MAX: int = _whole("ANOMALY_TOP_MAX")
#: Most neighbours one similarity search returns.
SIMILAR_K_MAX: int = _whole("SIMILAR_K_MAX")
