"""Cutouts: FITS, colour and preview images around positions, as a job of the job store.

- :mod:`~surveylab.cutouts.request`: what is asked (positions, object ids or CSV; sizes, bands,
  colour images), checked up front with messages that say what is wrong and where.
- :mod:`~surveylab.cutouts.plan`: which tile owns each position, its pixel box, which tiles a
  stitched cutout needs; tasks of one tile each.
- :mod:`~surveylab.cutouts.engine`: a task's work: each tile image opened once, its needed rows
  decompressed once, cutouts sliced (or stitched from neighbours), files written.
- :mod:`~surveylab.cutouts.executors`: a local process pool, or a ``dask.distributed`` cluster.
- :mod:`~surveylab.cutouts.job`: the ``cutout`` job type; ``summary.json``. It reads the release
  through a :class:`CutoutSource` (the footprint, the release's name, a query runner), which
  :class:`~surveylab.Survey` is.
- :mod:`~surveylab.cutouts.labels`: a cutout job's quick labels 0-9.

Examples
--------
>>> from astropy.coordinates import SkyCoord
>>> from surveylab import Survey
>>> job = Survey().cutouts(SkyCoord("21h33m27s -00d49m24s"), size=2.0, rgb="irg")  # doctest: +SKIP
>>> job.wait().phase  # doctest: +SKIP
<Phase.COMPLETED: 'COMPLETED'>
>>> job.summary()["positions"][0]["files"]  # doctest: +SKIP
['DES2134-0041_DESJ213327.00-004924.0_i.fits', ...]
"""

from .engine import CutoutSpec, TileTask, run_tile_task
from .executors import (
    CutoutExecutor,
    DaskExecutor,
    InlineExecutor,
    ProcessExecutor,
    executor_from_settings,
)
from .job import CUTOUT_JOB, SUMMARY_NAME, CutoutSource, cutout_work, known_bands, resolve_ids
from .plan import Plan, des_name, plan_cutouts
from .request import (
    DEFAULT_BANDS,
    DEFAULT_RGB,
    DEFAULT_SIZE,
    MAX_SIZE,
    MIN_SIZE,
    CutoutOptions,
    CutoutRequest,
    Problem,
    Target,
    check_bands,
    check_size,
    parse_csv,
    parse_ids,
    parse_positions,
)

__all__ = [
    "CUTOUT_JOB",
    "DEFAULT_BANDS",
    "DEFAULT_RGB",
    "DEFAULT_SIZE",
    "MAX_SIZE",
    "MIN_SIZE",
    "SUMMARY_NAME",
    "CutoutExecutor",
    "CutoutOptions",
    "CutoutRequest",
    "CutoutSource",
    "CutoutSpec",
    "DaskExecutor",
    "InlineExecutor",
    "Plan",
    "Problem",
    "ProcessExecutor",
    "Target",
    "TileTask",
    "check_bands",
    "check_size",
    "cutout_work",
    "des_name",
    "executor_from_settings",
    "known_bands",
    "parse_csv",
    "parse_ids",
    "parse_positions",
    "plan_cutouts",
    "resolve_ids",
    "run_tile_task",
]
