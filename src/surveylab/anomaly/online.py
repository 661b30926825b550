"""Online scoring: a saved model scores rows as they arrive (a generator, or CSV text).

Examples
--------
>>> model = AnomalyModel.load(job_folder)  # doctest: +SKIP
>>> for row, score in model.score_rows(stream_of_dicts):  # doctest: +SKIP
...     print(row["COADD_OBJECT_ID"], score)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import TextIO

from .features import FeatureError
from .model import AnomalyModel

__all__ = ["SCORE_COLUMN", "score_csv"]

#: The column written after a row's own.
SCORE_COLUMN = "ANOMALY_SCORE"


def _data_lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            yield line


def score_csv(model: AnomalyModel, lines: Iterable[str], out: TextIO, batch: int = 1) -> int:
    """Read CSV rows (a header first) from ``lines`` as they come and write each, with its
    ``ANOMALY_SCORE``, to ``out`` (flushed after each batch); the number of rows scored.

    Raises
    ------
    FeatureError
        For a header without a column the model's features need, or a value that is not a
        number (naming its line).
    """
    reader = csv.DictReader(_data_lines(lines))
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise FeatureError("the CSV input is empty: it needs a header line")
    lacking = [c for c in model.columns if c not in {name.upper() for name in header}]
    if lacking:
        raise FeatureError(
            f"the CSV header has no column(s) {', '.join(lacking)}, which the model's features "
            f"({', '.join(model.feature_names)}) need"
        )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, SCORE_COLUMN])
    out.flush()
    count = 0
    rows = ({k.strip(): v for k, v in row.items() if k is not None} for row in reader)
    try:
        for row, score in model.score_rows(rows, batch=batch):
            writer.writerow([*(row.get(name, "") for name in header), f"{score:.6f}"])
            count += 1
            if count % batch == 0:
                out.flush()
    except FeatureError as err:
        raise FeatureError(f"line {reader.line_num}: {err}") from None
    out.flush()
    return count
