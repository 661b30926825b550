"""The configuration page of the docs names every setting the core reads."""

from __future__ import annotations

from pathlib import Path

from surveylab import Settings
from surveylab.labenv import lab_variable

CONFIGURATION = Path(__file__).resolve().parents[1] / "docs" / "admin-guide" / "configuration.md"


def test_every_setting_has_a_row_on_the_configuration_page() -> None:
    page = CONFIGURATION.read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `SURVEYLAB_")]
    missing = [
        lab_variable(name)
        for name in Settings.model_fields
        if not any(f"`{lab_variable(name)}`" in row for row in rows)
    ]
    assert not missing, f"{CONFIGURATION.name} has no row for {', '.join(missing)}"
