""" "Objects like this one": resolve a target to an indexed object and find its neighbours.

A target is what a finding chart takes (:func:`surveylab.finding_chart.resolve_target`): a
``COADD_OBJECT_ID``, a DES object name, a position, or a row of a query result. An object id
is looked up in the index; a position (or a row without an id) is resolved to the nearest
indexed object within ``MATCH_ARCSEC``. The stamp at an arbitrary position is not embedded:
every object worth asking about is in the catalog, and its own embedding is the one its
neighbours were compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ErrorCategory, ObjectNotFoundError, RequestError, SurveylabError
from ..footprint import MAIN_TABLE
from .build import MAG_COLUMN
from .index import SimilarityIndex

if TYPE_CHECKING:
    from astropy.table import Table

    from ..cutouts.job import CutoutSource

__all__ = ["MATCH_ARCSEC", "Neighbours", "NotIndexedError", "check_k", "find_similar"]

#: Largest separation, arcsec, between a position and the indexed object it resolves to.
MATCH_ARCSEC = 3.0


class NotIndexedError(SurveylabError):
    """The object (or position) is not in the similarity index; the message says why."""

    category = ErrorCategory.NOT_FOUND


def check_k(k: Any, maximum: int) -> int:
    """``k`` as a whole number from 1 to ``maximum``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= maximum:
        raise RequestError(f"k must be a whole number from 1 to {maximum}, not {k!r}")
    return int(k)


@dataclass(frozen=True)
class Neighbours:
    """The answer: the query object and its ``k`` nearest indexed objects, nearest first (the
    first is the object itself, at distance 0)."""

    object_id: int
    ra: float
    dec: float
    ids: list[int]
    ras: list[float]
    decs: list[float]
    tiles: list[str]
    distances: list[float]
    separation: float | None = None  # arcsec, when resolved from a position

    def to_json(self) -> dict[str, Any]:
        """The REST API's reply."""
        rows = [
            {"COADD_OBJECT_ID": i, "RA": r, "DEC": d, "TILENAME": t, "distance": s, "rank": n}
            for n, (i, r, d, t, s) in enumerate(
                zip(self.ids, self.ras, self.decs, self.tiles, self.distances, strict=True),
                start=1,
            )
        ]
        return {
            "query": {
                "COADD_OBJECT_ID": self.object_id,
                "RA": self.ra,
                "DEC": self.dec,
                "separation": self.separation,
            },
            "neighbours": rows,
        }

    def to_table(self) -> Table:
        """An astropy Table: COADD_OBJECT_ID, RA, DEC, TILENAME, distance, rank."""
        from astropy.table import Table

        table = Table(
            {
                "COADD_OBJECT_ID": np.array(self.ids, dtype=np.int64),
                "RA": np.array(self.ras),
                "DEC": np.array(self.decs),
                "TILENAME": np.array(self.tiles, dtype=str),
                "distance": np.array(self.distances, dtype=np.float32),
                "rank": np.arange(1, len(self.ids) + 1),
            }
        )
        table["RA"].unit = table["DEC"].unit = "deg"
        table["distance"].description = "L2 distance between the PCA embeddings of the stamps"
        table.meta["query_id"] = self.object_id
        return table


def _row(source: CutoutSource, index: SimilarityIndex, target: Any) -> tuple[int, float | None]:
    """The index row ``target`` resolves to, and the separation when it was a position."""
    from ..finding_chart import resolve_target

    known = _plain_id(target)
    row = None if known is None else index.row_of(known)
    if row is not None:  # an indexed object's id: no catalog round trip
        return row, None
    resolved = resolve_target(source, target)
    if resolved.object_id is not None:
        row = index.row_of(resolved.object_id)
        if row is None:
            raise _not_indexed(source, index, resolved.object_id)
        return row, None
    tile = source.footprint.tile_at(resolved.ra, resolved.dec)
    where = f"({resolved.ra:.6f}, {resolved.dec:.6f})"
    if tile is None:
        raise NotIndexedError(f"{where} is outside the release's footprint")
    if tile not in set(index.manifest.get("tiles", ())):
        raise NotIndexedError(
            f"{where} is in tile {tile}, which is not in the similarity index (it has no images "
            f"in bands {''.join(index.manifest['parameters']['bands'])})"
        )
    row, separation = index.nearest_object(resolved.ra, resolved.dec)
    if separation > MATCH_ARCSEC:
        raise NotIndexedError(
            f"no indexed object within {MATCH_ARCSEC:g}″ of {where}: the nearest, "
            f"COADD_OBJECT_ID {int(index.ids[row])}, is {separation:.1f}″ away"
        )
    return row, separation


def _plain_id(target: Any) -> int | None:
    """``target`` as an object id when it is one (a whole number, or its digits), else None."""
    if isinstance(target, bool):
        return None
    if isinstance(target, int | np.integer):
        return int(target)
    if isinstance(target, str) and target.strip().isdigit() and len(target.strip()) <= 19:
        return int(target.strip())
    return None


def _not_indexed(source: CutoutSource, index: SimilarityIndex, object_id: int) -> SurveylabError:
    data = source.query_arrow(
        f"SELECT TILENAME, {MAG_COLUMN} FROM {MAIN_TABLE} WHERE COADD_OBJECT_ID = {object_id}"
    )
    if data.num_rows == 0:
        return ObjectNotFoundError(f"COADD_OBJECT_ID {object_id} is not in {MAIN_TABLE}")
    tile, magnitude = data.column(0)[0].as_py(), data.column(1)[0].as_py()
    limit = index.manifest["parameters"]["mag_limit"]
    bands = "".join(index.manifest["parameters"]["bands"])
    if tile not in set(index.manifest.get("tiles", ())):
        why = f"its tile {tile} is not imaged in bands {bands}"
    elif magnitude is None or magnitude >= limit:
        why = f"{MAG_COLUMN} = {magnitude} is not brighter than the index's limit {limit}"
    else:
        why = "the index was built before it was added; rebuild the index"
    return NotIndexedError(f"COADD_OBJECT_ID {object_id} is not in the similarity index: {why}")


def find_similar(source: CutoutSource, index: SimilarityIndex, target: Any, k: int) -> Neighbours:
    """The ``k`` indexed objects most like ``target`` (itself first)."""
    row, separation = _row(source, index, target)
    distances, rows = index.search([row], k)
    found = [int(r) for r in rows[0] if r >= 0]
    return Neighbours(
        object_id=int(index.ids[row]),
        ra=float(index.ra[row]),
        dec=float(index.dec[row]),
        ids=[int(index.ids[r]) for r in found],
        ras=[float(index.ra[r]) for r in found],
        decs=[float(index.dec[r]) for r in found],
        tiles=[index.tiles[r] for r in found],
        distances=[round(float(d), 6) for d in distances[0][: len(found)]],
        separation=None if separation is None else round(separation, 3),
    )
