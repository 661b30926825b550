"""Handlers of the footprint: ``/footprint/tiles``, tile images, HEALPix counts and the MOC."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from surveylab.footprint import DEFAULT_MOC_ORDER, DEFAULT_NSIDE
from surveylab.inputs import parse_degrees, parse_moc_format, parse_moc_order, parse_nside

from .base import SurveylabHandler

__all__ = [
    "FootprintTileHandler",
    "HealpixHandler",
    "MOCHandler",
    "TileImageHandler",
    "TilesAtHandler",
    "TilesGeoJSONHandler",
]


class TilesAtHandler(SurveylabHandler):
    """``GET /footprint/tiles?ra=&dec=``: the tile owning a position, and every tile holding it."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        ra = parse_degrees("ra", self.get_argument("ra", None))
        dec = parse_degrees("dec", self.get_argument("dec", None))
        tiles = await self.call(self.survey.tiles_at, ra, dec)
        self.write_json({"ra": ra, "dec": dec, "tile": tiles[0] if tiles else None, "tiles": tiles})


class FootprintTileHandler(SurveylabHandler):
    """``GET /footprint/tiles/{name}``: a tile's geometry, object count and image links."""

    @web.authenticated
    @authorized
    async def get(self, tilename: str) -> None:
        tile = await self.call(self.survey.tile, tilename)
        reply = tile.to_json()
        base = url_path_join(
            self.base_url, f"{self.mount}api/footprint/tiles", quote(tile.name, safe="")
        )
        reply["images"] = [
            {
                "band": band,
                "file": path.name,
                "size": path.stat().st_size,
                "url": url_path_join(base, "images", quote(band, safe="")),
            }
            for band, path in tile.images.items()
        ]
        self.write_json(reply)


class TileImageHandler(SurveylabHandler):
    """``GET /footprint/tiles/{name}/images/{band}``: download the tile's FITS image.

    Only files that the release's tile table names, and that lie inside the release folder, are
    served: the path comes from the tile and band, never from the request.
    """

    @web.authenticated
    @authorized
    async def get(self, tilename: str, band: str) -> None:
        path = await self.call(self.survey.tile_image, tilename, band)
        await self.send_file(path, path.name, "application/fits")


class TilesGeoJSONHandler(SurveylabHandler):
    """``GET /footprint/tiles.geojson``: every tile outline, for map overlays."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        footprint = await self.call(lambda: self.survey.footprint)
        text = await self.call(lambda: json.dumps(footprint.geojson()))
        await self.finish(text, set_content_type="application/geo+json")


class HealpixHandler(SurveylabHandler):
    """``GET /footprint/healpix?nside=32``: objects per HEALPix pixel (NESTED)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        nside = parse_nside(self.get_argument("nside", str(DEFAULT_NSIDE)))
        counts = await self.call(self.survey.healpix_counts, nside)
        self.write_json(
            {
                "nside": counts.meta["NSIDE"],
                "ordering": "NESTED",
                "total": int(counts["COUNT"].sum()),
                "pixels": counts["HPIX"].tolist(),
                "counts": counts["COUNT"].tolist(),
            }
        )


class MOCHandler(SurveylabHandler):
    """``GET /footprint/moc?order=10&format=fits``: the footprint as a MOC (FITS or JSON)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        order = parse_moc_order(self.get_argument("order", str(DEFAULT_MOC_ORDER)))
        kind = parse_moc_format(self.get_argument("format", "fits"))
        moc = await self.call(self.survey.moc, order)
        if kind == "json":
            self.write_json(await self.call(moc.serialize, "json"))
            return
        data = await self.call(_moc_fits, moc)
        self.set_header("Content-Disposition", f'inline; filename="moc-order{order}.fits"')
        await self.finish(data, set_content_type="application/fits")


def _moc_fits(moc: Any) -> bytes:
    """A MOC as FITS bytes, NUNIQ-encoded so that MOC 1.0 readers (old Aladin Lite) read it."""
    buffer = io.BytesIO()
    moc.serialize("fits", v1_compatible=True).writeto(buffer)
    return buffer.getvalue()
