"""The shell's settings: where its files live (environment) and what ``config`` shows and sets
(a small JSON file in the user's home, written whole under a temporary name and renamed)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .parse import ShellUsageError

__all__ = ["SCREEN_FORMATS", "ShellConfig", "ShellSettings", "private_file"]

#: How results print on screen.
SCREEN_FORMATS = ("table", "csv", "tab")
#: The most rows ``prefetch`` may print.
MAX_PREFETCH = 1_000_000


class ShellSettings(BaseSettings):
    """Where ``surveylab sql`` keeps its files; read from ``SURVEYLAB_*`` like :class:`Settings`."""

    model_config = SettingsConfigDict(env_prefix="SURVEYLAB_", frozen=True, extra="ignore")

    sql_home: Path = Field(
        default_factory=lambda: Path.home() / ".surveylab",
        description="Folder of the shell's history (sql_history) and settings (sql_config.json).",
    )
    user_db: Path | None = Field(
        default=None,
        description=(
            "The user's own DuckDB database for load_table on a DuckDB release, attached as "
            "MYDB; unset means <sql_home>/mydb.duckdb."
        ),
    )

    @property
    def history_file(self) -> Path:
        """The statements typed in earlier sessions."""
        return self.sql_home.expanduser() / "sql_history"

    @property
    def config_file(self) -> Path:
        """What ``config`` set."""
        return self.sql_home.expanduser() / "sql_config.json"

    @property
    def user_db_file(self) -> Path:
        """The user's DuckDB database (MYDB)."""
        return (self.user_db or self.sql_home / "mydb.duckdb").expanduser()


def private_file(path: Path) -> Path:
    """Make ``path`` exist, readable by its owner only, in a folder only the owner enters."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    path.chmod(0o600)
    return path


@dataclass(frozen=True)
class ShellConfig:
    """What ``config`` shows and sets.

    Attributes
    ----------
    format : str
        How results print on screen: ``table`` (aligned), ``csv`` or ``tab``.
    timeout : float
        Seconds a statement may run before it is cancelled in the database; 0 means no limit.
    null : str
        How a NULL prints on screen.
    prefetch : int
        Rows printed on screen at most; ``; > file`` writes every row.
    pager : bool
        Page results longer than the terminal (interactive shell only).
    """

    format: str = "table"
    timeout: float = 0.0
    null: str = "NULL"
    prefetch: int = 1000
    pager: bool = True

    def set(self, name: str, value: str) -> ShellConfig:
        """A copy with ``name`` set from the text ``value``; a clear error if it is not valid."""
        known = {f.name for f in fields(self)}
        if name not in known:
            raise ShellUsageError(f"unknown setting {name!r}; settings: {', '.join(sorted(known))}")
        parsed: Any
        if name == "format":
            parsed = value.lower()
            if parsed not in SCREEN_FORMATS:
                raise ShellUsageError(f"format must be one of {', '.join(SCREEN_FORMATS)}")
        elif name == "timeout":
            parsed = _number(name, value, float)
            if parsed < 0:
                raise ShellUsageError("timeout must be 0 (no limit) or more seconds")
        elif name == "prefetch":
            parsed = _number(name, value, int)
            if not 1 <= parsed <= MAX_PREFETCH:
                raise ShellUsageError(f"prefetch must be between 1 and {MAX_PREFETCH:,}")
        elif name == "pager":
            if value.lower() not in ("on", "off", "true", "false", "yes", "no"):
                raise ShellUsageError("pager must be on or off")
            parsed = value.lower() in ("on", "true", "yes")
        else:
            parsed = value
        return replace(self, **{name: parsed})

    def describe(self) -> list[tuple[str, str]]:
        """Each setting and its value, as text."""
        shown = []
        for name, value in asdict(self).items():
            if isinstance(value, bool):
                value = "on" if value else "off"
            elif name == "timeout":
                value = f"{value:g} s" if value else "0 (no limit)"
            shown.append((name, str(value)))
        return shown

    @classmethod
    def load(cls, path: Path) -> ShellConfig:
        """The settings saved at ``path``; defaults where it has none or is unreadable."""
        config = cls()
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return config
        if not isinstance(saved, dict):
            return config
        for name, value in saved.items():
            try:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                config = config.set(str(name), text)
            except ShellUsageError:
                continue
        return config

    def save(self, path: Path) -> None:
        """Write the settings to ``path`` whole: a temporary file renamed over the old one."""
        private_file(path)
        temporary = path.with_name(f".{path.name}.part-{secrets.token_hex(4)}")
        try:
            temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
            temporary.chmod(0o600)
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)


def _number(name: str, value: str, kind: type[float] | type[int]) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ShellUsageError(f"{name} must be a number, not {value!r}") from None
