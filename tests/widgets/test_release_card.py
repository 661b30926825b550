"""The release card widget, on the demo survey (widget state only, no front end)."""

from __future__ import annotations

from pathlib import Path

from surveylab import Settings, Survey
from surveylab_widgets import release_card


def test_release_card_names_the_release_and_tables(demo_data_dir: Path) -> None:
    with Survey(Settings(data_dir=demo_data_dir, release_name="<b>DR & co</b>")) as survey:
        card = release_card(survey)
    assert "&lt;b&gt;DR &amp; co&lt;/b&gt;" in card.value  # names are escaped, never markup
    assert "<code>DR1_MAIN</code>" in card.value
    assert "backend duckdb" in card.value
    state = card.get_state()
    assert state["value"] == card.value  # what an exported notebook embeds
