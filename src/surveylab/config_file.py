"""YAML configuration files (``roles.yaml``, ``profiles.yaml``) read into pydantic models.

:func:`load_config` reads a file and validates it; every problem (an unreadable file, bad YAML,
a rule broken) becomes a line that names the file, the item (by its name, else its position)
and the field, raised together as a :class:`ConfigFileError` subclass::

    roles.yaml: role 'workshop': max_active_jobs must be > 0
    profiles.yaml: not valid YAML at line 3, column 7: mapping values are not allowed here

This module imports pydantic and PyYAML only: the hub imports it at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ConfigFileError", "FileLayout", "StrictModel", "load_config"]

Model = TypeVar("Model", bound=BaseModel)


class ConfigFileError(ValueError):
    """A configuration file is unreadable or invalid; ``problems`` holds one line per problem,
    each starting with the file's name."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = [f"{source}: {problem}" for problem in problems]
        super().__init__("\n".join(self.problems))


class StrictModel(BaseModel):
    """A configuration model: an unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class FileLayout:
    """How a file's problems name where they are.

    Attributes
    ----------
    shape : str
        What the top level must be, e.g. ``"a mapping with 'roles' and 'default'"``.
    items, key, noun : str
        The list of named items (``"roles"``), the key that names one (``"name"``) and what
        one is called in a message (``"role"``): ``role 'workshop': ...``, else ``role #2: ...``.
    sections : dict
        Mappings of named entries, by key, and what one is called (``{"images": "image"}``).
    """

    shape: str
    items: str
    key: str
    noun: str
    sections: Mapping[str, str] = field(default_factory=dict)


def load_config(
    path: str | Path, model: type[Model], layout: FileLayout, error: type[ConfigFileError]
) -> Model:
    """The file at ``path`` read as YAML and validated as ``model``; any problem raises
    ``error`` (a :class:`ConfigFileError` subclass) with every problem found."""
    path = Path(path)
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(source, [f"cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(source, [f"not valid YAML{at}: {problem}"]) from None
    if not isinstance(data, Mapping):
        raise error(source, [f"must be {layout.shape}"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(source, validation_problems(exc, data, layout)) from None


def validation_problems(error: ValidationError, data: Any, layout: FileLayout) -> list[str]:
    """pydantic's errors as lines naming the item (by name, else by position) and the field."""
    raw_items = data.get(layout.items) if isinstance(data, Mapping) else None
    errors = error.errors()
    lines: list[str] = []
    for err in errors:
        loc = list(err["loc"])
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and list(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue  # "must not be empty" only because its items were invalid: they say why
        where = ""
        if len(loc) >= 2 and loc[0] == layout.items and isinstance(loc[1], int):
            raw = raw_items[loc[1]] if isinstance(raw_items, list) else None
            name = raw.get(layout.key) if isinstance(raw, Mapping) else None
            where = f"{layout.noun} {name!r}: " if name else f"{layout.noun} #{loc[1] + 1}: "
            loc = loc[2:]
        elif len(loc) >= 2 and loc[0] in layout.sections:
            where = f"{layout.sections[str(loc[0])]} {loc[1]!r}: "
            loc = loc[2:]
        field_name = ".".join(str(part) for part in loc)
        kind, ctx = err["type"], err.get("ctx", {})
        if kind == "value_error":
            text = str(ctx.get("error", err["msg"]))
            prefix = f"{where}{field_name}: " if field_name else where
            lines.extend(prefix + line for line in text.splitlines())
            continue
        lines.append(where + _message(kind, field_name, ctx, err["msg"]))
    return lines


def _message(kind: str, field_name: str, ctx: Mapping[str, Any], fallback: str) -> str:
    """One pydantic error of ``kind`` on ``field_name`` as a short sentence."""
    if kind == "missing":
        return f"{field_name} is required"
    if kind == "extra_forbidden":
        return f"unknown key {field_name!r}"
    if kind in ("greater_than", "greater_than_equal"):
        sign = ">" if kind == "greater_than" else ">="
        return f"{field_name} must be {sign} {ctx.get('gt', ctx.get('ge')):g}"
    if kind == "too_short":
        return f"{field_name} must not be empty"
    return f"{field_name}: {fallback}" if field_name else fallback
