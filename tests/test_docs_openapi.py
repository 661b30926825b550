"""The REST reference of the docs is rendered from openapi.yaml with nothing left out."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = ROOT / "src" / "surveylab" / "openapi.yaml"
RENDERER = ROOT / "docs" / "_ext" / "openapi_markdown.py"


def load_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_markdown", RENDERER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def rendered(contract: dict[str, Any]) -> str:
    text: str = load_renderer().render(contract)
    return text


def test_every_operation_has_a_section(contract: dict[str, Any], rendered: str) -> None:
    headings = set(re.findall(r"^### `([A-Z]+ \S+)`$", rendered, flags=re.MULTILINE))
    expected = {
        f"{method.upper()} {path}"
        for path, item in contract["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }
    assert headings == expected


def test_every_schema_has_a_target_and_every_link_one(
    contract: dict[str, Any], rendered: str
) -> None:
    targets = set(re.findall(r"^\((rest-schema-[a-z0-9]+)\)=$", rendered, flags=re.MULTILINE))
    names = contract["components"]["schemas"]
    assert targets == {f"rest-schema-{name.lower()}" for name in names}
    links = set(re.findall(r"\{ref\}`\w+ <(rest-schema-[a-z0-9]+)>`", rendered))
    assert links and links <= targets


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(
            {"type": ["string", "null"], "format": "date-time"},
            "string (date-time) or null",
            id="nullable",
        ),
        pytest.param({"type": "array"}, "array of any", id="array-of-anything"),
        pytest.param(
            {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
            "array of {ref}`Job <rest-schema-job>`",
            id="array-of-ref",
        ),
        pytest.param(
            {"oneOf": [{"type": "boolean"}, {"type": "number"}]}, "boolean or number", id="one-of"
        ),
        pytest.param({"enum": ["csv", "fits"]}, "one of `csv`, `fits`", id="enum"),
    ],
)
def test_types_read_as_text(schema: dict[str, Any], expected: str) -> None:
    assert load_renderer()._type({}, schema) == expected


def test_a_table_cell_keeps_its_pipes_escaped() -> None:
    spec = {
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {"a": {"type": "string", "description": "x | y\n  z"}},
                }
            }
        }
    }
    assert "| `a` (optional) | string | x \\| y z. |" in load_renderer().render(spec)
