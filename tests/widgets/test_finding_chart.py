"""The finding-chart widget on the demo survey (widget state only, no front end)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from surveylab import Settings, Survey
from surveylab.errors import SurveylabError
from surveylab_widgets import FindingChart
from tests.support.pdf import pdf_page_count


@pytest.fixture(scope="module")
def survey(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    jobs = tmp_path_factory.mktemp("chart-widget-jobs")
    with Survey(Settings(data_dir=demo_data_dir, jobs_dir=jobs)) as opened:
        yield opened


def test_the_widget_shows_the_chart_and_leaves_it_in_the_output(
    survey: Survey, tmp_path: Path
) -> None:
    chart = FindingChart("323.36 -0.82", survey, size=1.0, band="irg")
    assert chart.png is not None and chart.image.value == chart.png
    with Image.open(io.BytesIO(chart.png)) as image:
        assert image.format == "PNG"
    bundle = chart._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == chart.png
    assert "data:image/png;base64," in bundle["text/html"]
    assert chart.save(tmp_path / "chart.png").read_bytes() == chart.png
    pdf = chart.save(tmp_path / "chart.pdf")
    assert pdf_page_count(pdf.read_bytes()) == 1


def test_a_target_outside_the_footprint_is_a_message_not_a_traceback(
    survey: Survey, tmp_path: Path
) -> None:
    chart = FindingChart((10.0, 60.0), survey)
    assert chart.png is None and chart.image.layout.display == "none"
    assert "outside the survey&#x27;s footprint" in chart.message.value
    assert chart.static_html() == chart.message.value
    with pytest.raises(SurveylabError, match="no chart to save"):
        chart.save(tmp_path / "chart.png")
