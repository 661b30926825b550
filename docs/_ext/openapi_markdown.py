"""Render an OpenAPI 3.1 document as MyST Markdown: one section per operation, one per schema.

Used by ``docs/conf.py`` to render ``openapi.yaml`` into the REST reference at build time, with no
network and no JavaScript. (sphinxcontrib-openapi 0.10 fails on OpenAPI 3.1 features the contract
uses, such as ``type: [string, "null"]`` and arrays whose items may be anything.)

The Sphinx extension writes the Markdown to the file named by ``openapi_markdown_output``
(relative to the source folder) when the builder starts; a page includes it with ``{include}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["render", "setup"]

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
MAX_DEPTH = 3
JSON = "application/json"


def render(spec: dict[str, Any]) -> str:
    """The whole document as Markdown: the endpoints grouped by their first path segment, then
    the schemas."""
    lines: list[str] = []
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in spec.get("paths", {}).items():
        group = "/" + path.strip("/").split("/")[0]
        for method in HTTP_METHODS:
            if method in item:
                operation = {**item[method]}
                operation["parameters"] = [
                    *item.get("parameters", []),
                    *operation.get("parameters", []),
                ]
                groups.setdefault(group, []).append((method, path, operation))
    for group, operations in groups.items():
        lines += [f"## `{group}`", ""]
        for method, path, operation in operations:
            lines += _operation(spec, method, path, operation)
    lines += ["## Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        lines += [f"({_schema_label(name)})=", f"### `{name}`", ""]
        lines += _schema_body(spec, schema)
    return "\n".join(lines).rstrip() + "\n"


def _operation(spec: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if op.get("summary"):
        lines += [_text(op["summary"]), ""]
    if op.get("description"):
        lines += [op["description"].strip(), ""]
    parameters = [_resolve(spec, p) for p in op.get("parameters", [])]
    if parameters:
        lines += ["| parameter | in | type | description |", "|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            name = f"`{parameter['name']}`" + ("" if parameter.get("required") else " (optional)")
            description = _join(parameter.get("description"), _constraints(spec, schema))
            lines.append(
                f"| {name} | {parameter['in']} | {_type(spec, schema)} | {_cell(description)} |"
            )
        lines.append("")
    body = op.get("requestBody")
    if body:
        body = _resolve(spec, body)
        for media, content in body.get("content", {}).items():
            required = "" if body.get("required") else " (optional)"
            schema = content.get("schema", {})
            media_note = "" if media == JSON else f" (`{media}`)"
            lines += [f"Request body{required}{media_note}: {_type(spec, schema)}", ""]
            if "$ref" not in schema:
                lines += _schema_body(spec, schema)
    lines += ["| status | meaning | body |", "|---|---|---|"]
    inline: list[tuple[str, dict[str, Any]]] = []
    for status, response in op.get("responses", {}).items():
        response = _resolve(spec, response)
        bodies = []
        for media, content in response.get("content", {}).items():
            schema = content.get("schema", {})
            media_note = "" if media == JSON else f" (`{media}`)"
            bodies.append(f"{_type(spec, schema)}{media_note}")
            if "properties" in schema:
                inline.append((status, schema))
        lines.append(
            f"| {status} | {_cell(response.get('description', ''))} | {', '.join(bodies)} |"
        )
    lines.append("")
    for status, schema in inline:
        lines += [f"The object of the {status} answer:", ""]
        lines += _schema_body(spec, schema)
    return lines


def _schema_body(spec: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The schema's description and, for an object, a table of its properties."""
    lines: list[str] = []
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    rows = list(_property_rows(spec, schema, "", 0))
    if rows:
        lines += ["| property | type | description |", "|---|---|---|", *rows, ""]
    elif "$ref" in schema or "properties" not in schema:
        lines += [f"Type: {_type(spec, schema)}", ""]
    return lines


def _property_rows(spec: dict[str, Any], schema: dict[str, Any], prefix: str, depth: int) -> Any:
    """Table rows of an object's properties, nested inline objects as ``parent.child``."""
    parts = [schema, *[part for part in schema.get("allOf", []) if "$ref" not in part]]
    for ref in [part for part in schema.get("allOf", []) if "$ref" in part]:
        yield f"| (all of) | {_type(spec, ref)} | the properties of {_type(spec, ref)} |"
    for part in parts:
        required = set(part.get("required", []))
        for name, prop in part.get("properties", {}).items():
            label = f"`{prefix}{name}`" + ("" if name in required else " (optional)")
            description = _join(prop.get("description"), _constraints(spec, prop))
            yield f"| {label} | {_type(spec, prop)} | {_cell(description)} |"
            if "properties" in prop and depth < MAX_DEPTH:
                yield from _property_rows(spec, prop, f"{prefix}{name}.", depth + 1)


def _type(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    """A short type expression, with schema names linked to their section."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"{{ref}}`{name} <{_schema_label(name)}>`"
    for key, word in (("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")):
        if key in schema:
            return word.join(_type(spec, part) for part in schema[key])
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind is None:
        return "object" if "properties" in schema else "any"
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for one in kinds:
        if one == "array":
            items = schema.get("items")
            if "prefixItems" in schema:
                words.append(
                    "array [" + ", ".join(_type(spec, item) for item in schema["prefixItems"]) + "]"
                )
            else:
                words.append("array of " + (_type(spec, items) if items else "any"))
        elif schema.get("format") and one == "string":
            words.append(f"string ({schema['format']})")
        else:
            words.append(str(one))
    return " or ".join(words)


def _constraints(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    """Defaults and limits of a schema, as a short phrase."""
    schema = _resolve(spec, schema)
    words = []
    for key, text in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ):
        if key in schema and not isinstance(schema[key], bool):
            words.append(f"{text} {schema[key]}")
    if "pattern" in schema:
        words.append(f"pattern `{schema['pattern']}`")
    if "default" in schema:
        words.append(f"default `{schema['default']}`")
    return "; ".join(words)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The object a local ``$ref`` points to (the node itself if it has none)."""
    seen = 0
    while "$ref" in node and seen < MAX_DEPTH:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
        seen += 1
    return node


def _schema_label(name: str) -> str:
    return f"rest-schema-{name.lower()}"


def _join(*parts: str | None) -> str:
    return ". ".join(part.strip().rstrip(".") for part in parts if part) + (
        "." if any(parts) else ""
    )


def _text(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return _text(text).replace("|", "\\|")


def _write(app: Any) -> None:
    source = Path(app.confdir, app.config.openapi_markdown_spec)
    target = Path(app.srcdir, app.config.openapi_markdown_output)
    text = render(yaml.safe_load(source.read_text(encoding="utf-8")))
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Register the config values and write the Markdown when the builder starts."""
    app.add_config_value("openapi_markdown_spec", "", "env", types=[str])
    app.add_config_value("openapi_markdown_output", "_generated/openapi.md", "env", types=[str])
    app.connect("builder-inited", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
