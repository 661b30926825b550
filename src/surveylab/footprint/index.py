"""A spatial index of tile boxes: a regular RA/Dec grid whose cells list the tiles they touch.

A look-up finds a position's cell by two divisions, then tests only the few tiles of that cell
(at most :attr:`TileIndex.depth`, 4 to 6 for DES tiles), never every tile. The cells are half a
tile high, so each tile touches a handful of cells; the grid is stored as compressed rows (CSR):
``members[starts[c]:starts[c + 1]]`` are the tiles of cell ``c``. Positions are processed in
chunks, so the memory a look-up needs stays bounded whatever the number of positions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from .positions import FloatArray, IntArray

__all__ = ["CHUNK", "TileIndex"]

#: Positions per chunk of a look-up (bounds the temporary arrays to tens of MB).
CHUNK = 1 << 20
#: Margin added around every box when it is registered in the grid, degrees.
_EPSILON = 1e-9


def _wrapped_offset(ra: FloatArray, centre: FloatArray) -> FloatArray:
    """``ra - centre`` wrapped into [-180, 180) degrees."""
    return np.mod(ra - centre + 180.0, 360.0) - 180.0


class TileIndex:
    """Find which tile boxes contain positions, and which tile owns each position.

    Parameters
    ----------
    ra, dec : ndarray
        Tile centres in degrees.
    ra_min, ra_max, dec_min, dec_max : ndarray
        Outer boxes in degrees (``ra_max`` may exceed 360 across RA 0).
    unique : ndarray, optional
        ``(n, 4)`` unique areas ``uramin, uramax, udecmin, udecmax`` (RA wrapped); rows of NaN
        for tiles without one.
    cell : float, optional
        Grid cell size in degrees; default half the median tile height.
    """

    def __init__(
        self,
        ra: FloatArray,
        dec: FloatArray,
        ra_min: FloatArray,
        ra_max: FloatArray,
        dec_min: FloatArray,
        dec_max: FloatArray,
        unique: FloatArray | None = None,
        cell: float | None = None,
    ) -> None:
        self.size = int(ra.size)
        self._ra = np.asarray(ra, dtype=np.float64)
        self._dec = np.asarray(dec, dtype=np.float64)
        self._cos_dec = np.cos(np.radians(self._dec))
        self._west = np.asarray(ra_min, dtype=np.float64) - self._ra
        self._west = _wrapped_offset(self._west, np.zeros_like(self._west))
        self._east = self._west + (np.asarray(ra_max) - np.asarray(ra_min))
        self._dec_min = np.asarray(dec_min, dtype=np.float64)
        self._dec_max = np.asarray(dec_max, dtype=np.float64)
        if unique is None:
            unique = np.full((self.size, 4), np.nan)
        known = np.isfinite(unique).all(axis=1)
        uwest = _wrapped_offset(unique[:, 0], self._ra)
        width = np.mod(unique[:, 1] - unique[:, 0], 360.0)
        # tiles without a unique area get an empty one, which no position is inside
        self._uwest = np.where(known, uwest, np.inf)
        self._ueast = np.where(known, uwest + width, -np.inf)
        self._udec_min = np.where(known, unique[:, 2], np.inf)
        self._udec_max = np.where(known, unique[:, 3], -np.inf)
        heights = self._dec_max - self._dec_min
        self.cell = float(cell or max(float(np.median(heights)) / 2.0, 1e-3))
        self._build()

    # --- the grid ------------------------------------------------------------------------------

    def _build(self) -> None:
        cell = self.cell
        self._dec0 = math.floor((float(self._dec_min.min()) - _EPSILON) / cell) * cell
        self._n_dec = math.ceil((float(self._dec_max.max()) + _EPSILON - self._dec0) / cell)
        self._n_dec = max(self._n_dec, 1)
        self._n_ra = max(round(360.0 / cell), 1)
        self._cell_ra = 360.0 / self._n_ra
        cells: list[IntArray] = []
        tiles: list[IntArray] = []
        west = self._ra + self._west
        east = self._ra + self._east
        for k in range(self.size):
            i0 = int((self._dec_min[k] - _EPSILON - self._dec0) // cell)
            i1 = int((self._dec_max[k] + _EPSILON - self._dec0) // cell)
            j0 = math.floor((west[k] - _EPSILON) / self._cell_ra)
            j1 = math.floor((east[k] + _EPSILON) / self._cell_ra)
            j = np.unique(np.mod(np.arange(j0, min(j1, j0 + self._n_ra - 1) + 1), self._n_ra))
            i = np.arange(max(i0, 0), min(i1, self._n_dec - 1) + 1)
            ids = (i[:, None] * self._n_ra + j[None, :]).ravel()
            cells.append(ids)
            tiles.append(np.full(ids.size, k, dtype=np.int64))
        cell_ids = np.concatenate(cells) if cells else np.empty(0, dtype=np.int64)
        tile_ids = np.concatenate(tiles) if tiles else np.empty(0, dtype=np.int64)
        order = np.argsort(cell_ids, kind="stable")
        self._members = tile_ids[order].astype(np.int32)
        counts = np.bincount(cell_ids, minlength=self._n_dec * self._n_ra)
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        #: Most tiles listed in one cell: the number of passes a look-up makes.
        self.depth = int(counts.max()) if counts.size else 0

    @property
    def nbytes(self) -> int:
        """Memory held by the grid, bytes."""
        return int(self._members.nbytes + self._starts.nbytes)

    def _cells(self, ra: FloatArray, dec: FloatArray) -> tuple[IntArray, IntArray]:
        """First member offset and member count of each position's cell (0 outside the grid)."""
        i = np.floor((dec - self._dec0) / self.cell).astype(np.int64)
        j = np.minimum((ra / self._cell_ra).astype(np.int64), self._n_ra - 1)
        inside = (i >= 0) & (i < self._n_dec)
        cell = np.where(inside, i, 0) * self._n_ra + j
        start = self._starts[cell]
        count = np.where(inside, self._starts[cell + 1] - start, 0)
        return start, count

    # --- look-ups ------------------------------------------------------------------------------

    def _candidates(
        self, ra: FloatArray, dec: FloatArray
    ) -> Iterator[tuple[IntArray, IntArray, FloatArray, npt.NDArray[np.bool_]]]:
        """For each pass: positions, a candidate tile each, RA offsets, and box containment."""
        start, count = self._cells(ra, dec)
        for rank in range(self.depth):
            positions = np.flatnonzero(count > rank)
            if positions.size == 0:
                return
            tiles = self._members[start[positions] + rank].astype(np.int64)
            p_ra, p_dec = ra[positions], dec[positions]
            offset = _wrapped_offset(p_ra, self._ra[tiles])
            inside = (
                (offset >= self._west[tiles])
                & (offset <= self._east[tiles])
                & (p_dec >= self._dec_min[tiles])
                & (p_dec <= self._dec_max[tiles])
            )
            yield positions, tiles, offset, inside

    def matches(self, ra: FloatArray, dec: FloatArray) -> tuple[IntArray, IntArray]:
        """Every (position, tile) pair whose tile box contains the position, sorted by position.

        ``ra`` (wrapped into [0, 360)) and ``dec`` are 1-d arrays of degrees.
        """
        found_positions: list[IntArray] = []
        found_tiles: list[IntArray] = []
        for first in range(0, ra.size, CHUNK):
            chunk = slice(first, first + CHUNK)
            for positions, tiles, _offset, inside in self._candidates(ra[chunk], dec[chunk]):
                found_positions.append(positions[inside] + first)
                found_tiles.append(tiles[inside])
        if not found_positions:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        positions = np.concatenate(found_positions)
        tiles = np.concatenate(found_tiles)
        order = np.lexsort((tiles, positions))
        return positions[order], tiles[order]

    def locate(self, ra: FloatArray, dec: FloatArray) -> IntArray:
        """The tile owning each position, or -1 where no tile box contains it.

        Among the tiles whose box contains a position, the one whose unique area holds it wins;
        where none does (the outer rim at the footprint's edge, or tiles without unique areas),
        the one whose centre is nearest.
        """
        result = np.full(ra.size, -1, dtype=np.int64)
        for first in range(0, ra.size, CHUNK):
            chunk = slice(first, first + CHUNK)
            c_ra, c_dec = ra[chunk], dec[chunk]
            best = np.full(c_ra.size, -1, dtype=np.int64)
            score = np.full(c_ra.size, np.inf)
            for positions, tiles, offset, inside in self._candidates(c_ra, c_dec):
                positions, tiles, offset = positions[inside], tiles[inside], offset[inside]
                p_dec = c_dec[positions]
                unique = (
                    (offset >= self._uwest[tiles])
                    & (offset < self._ueast[tiles])
                    & (p_dec >= self._udec_min[tiles])
                    & (p_dec < self._udec_max[tiles])
                )
                distance = np.hypot(offset * self._cos_dec[tiles], p_dec - self._dec[tiles])
                candidate = np.where(unique, -1.0, distance)
                better = candidate < score[positions]
                score[positions[better]] = candidate[better]
                best[positions[better]] = tiles[better]
            result[chunk] = best
        return result
