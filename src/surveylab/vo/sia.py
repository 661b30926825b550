"""SIA 2.0: find the release's coadd tile images; download them.

``sia/query`` answers a VOTable of ObsCore records, one per tile and band that has an image.
Each record's ``access_url`` downloads the FITS file (``sia/files/<TILENAME>/<band>``, served
by :func:`sia_file`), its ``obs_publisher_did`` is the ID that SODA and DataLink take, and its
``datalink_url`` lists its links (the file, a SODA cutout, the other bands). The document also
carries the DataLink and SODA service descriptors, whose ``ID`` input takes
``obs_publisher_did``, so clients such as pyvo find both services from the records.

Constraints (each may repeat; values of one parameter are OR-ed, parameters AND-ed):

``POS``
    A DALI shape (degrees): ``CIRCLE ra dec radius`` and ``POLYGON ...`` match the tiles whose
    outline (four corners joined by great circles) meets the shape; ``RANGE ra1 ra2 dec1 dec2``
    the tiles whose RA/Dec bounds meet it. A polygon may reach at most 80 deg from its centre.
``BAND``
    Wavelengths in metres, ``low high`` or one value: the bands whose passband
    (:data:`~surveylab.bands.PASSBANDS`) meets the interval, or holds the value.
``COLLECTION``
    The release's name (case-insensitive); another name is an error.
``CALIB``
    An ObsCore calibration level 0 to 4: the coadds are level 3.
``DPTYPE``, ``FACILITY``, ``INSTRUMENT``, ``FORMAT``, ``ID``
    ``image``; ``CTIO``; ``DECam``; ``application/fits``; a publisher DID (case-insensitive).
``MAXREC``
    The most records to return (default :data:`DEFAULT_MAXREC`, at most :data:`MAX_MAXREC`);
    when more match, ``<INFO name="QUERY_STATUS" value="OVERFLOW"/>`` follows the table.

``TIME``, ``POL``, ``FOV``, ``SPATRES``, ``EXPTIME``, ``SPECRP``, ``TIMERES`` and ``TARGET`` are
refused (400): the coadds have no time or polarization axis, and the service does not filter on
the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..bands import passband
from ..cutouts import known_bands
from ..cutouts.engine import image_hdu
from ..errors import RequestError
from .datalink import (
    Column,
    datalink_descriptor,
    image_url,
    links_url,
    soda_descriptor,
    votable_bytes,
    votable_with_table,
)
from .protocol import VOTABLE_TYPE, Params, VORequest, VOResponse, read_chunks
from .soda import (
    FITS_TYPE,
    Circle,
    Polygon,
    Range,
    Shape,
    dataset_id,
    parse_interval,
    parse_shape,
    unit_vectors,
)

if TYPE_CHECKING:
    from ..footprint import TileInfo
    from ..survey import Survey

__all__ = [
    "CALIB_LEVEL",
    "DEFAULT_MAXREC",
    "FACILITY",
    "INSTRUMENT",
    "MAX_MAXREC",
    "MAX_POLYGON_REACH",
    "OBSCORE_COLUMNS",
    "sia_file",
    "sia_query",
    "tiles_in_region",
]

#: The ObsCore calibration level of the coadd images.
CALIB_LEVEL = 3
#: The telescope and camera of the DES images.
FACILITY = "CTIO"
INSTRUMENT = "DECam"
#: Records returned without MAXREC, and at most.
DEFAULT_MAXREC = 10_000
MAX_MAXREC = 100_000
#: Degrees a POS polygon may reach from its centre (it is tested in a gnomonic projection).
MAX_POLYGON_REACH = 80.0
#: SIA parameters this service cannot honour: the coadds have no time or polarization axis,
#: and resolution constraints are not offered.
_UNSUPPORTED = ("TIME", "POL", "FOV", "SPATRES", "EXPTIME", "SPECRP", "TIMERES", "TARGET")
#: DPTYPE values SIA defines.
_PRODUCT_TYPES = ("image", "cube")
#: RESPONSEFORMAT values that mean a VOTable.
_VOTABLE_FORMATS = {"votable", VOTABLE_TYPE, "text/xml"}

_OBSCORE = "obscore:"
OBSCORE_COLUMNS = (
    Column(
        "dataproduct_type", "char", "meta.code.class", "data product type",
        utype=f"{_OBSCORE}ObsDataset.dataProductType",
    ),
    Column(
        "calib_level", "short", "meta.code;obs.calib", "calibration level (3: coadd)",
        utype=f"{_OBSCORE}ObsDataset.calibLevel",
    ),
    Column(
        "obs_collection", "char", "meta.id", "the data release",
        utype=f"{_OBSCORE}DataID.Collection",
    ),
    Column(
        "obs_id", "char", "meta.id", "the image: tile and band",
        utype=f"{_OBSCORE}DataID.observationID",
    ),
    Column(
        "obs_publisher_did", "char", "meta.ref.ivoid", "the image's ID for SODA and DataLink",
        utype=f"{_OBSCORE}Curation.PublisherDID",
    ),
    Column(
        "access_url", "char", "meta.ref.url", "downloads the FITS file",
        utype=f"{_OBSCORE}Access.Reference",
    ),
    Column(
        "access_format", "char", "meta.code.mime", "media type of the file",
        utype=f"{_OBSCORE}Access.Format",
    ),
    Column(
        "access_estsize", "long", "phys.size;meta.file", "size of the file", unit="kbyte",
        utype=f"{_OBSCORE}Access.Size",
    ),
    Column(
        "s_ra", "double", "pos.eq.ra", "RA of the tile centre (ICRS)", unit="deg",
        utype=f"{_OBSCORE}Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1",
    ),
    Column(
        "s_dec", "double", "pos.eq.dec", "Dec of the tile centre (ICRS)", unit="deg",
        utype=f"{_OBSCORE}Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2",
    ),
    Column(
        "s_fov", "double", "phys.angSize;instr.fov", "diameter of the tile (its diagonal)",
        unit="deg", utype=f"{_OBSCORE}Char.SpatialAxis.Coverage.Bounds.Extent.diameter",
    ),
    Column(
        "s_region", "char", "pos.outline;obs.field", "the tile's corners (STC-S, ICRS)",
        xtype="adql:REGION", utype=f"{_OBSCORE}Char.SpatialAxis.Coverage.Support.Area",
    ),
    Column(
        "s_resolution", "double", "pos.angResolution", "seeing FWHM of the coadd",
        unit="arcsec", utype=f"{_OBSCORE}Char.SpatialAxis.Resolution.Refval.value",
    ),
    Column(
        "s_xel1", "long", "meta.number", "pixels along the first axis",
        utype=f"{_OBSCORE}Char.SpatialAxis.numBins1",
    ),
    Column(
        "s_xel2", "long", "meta.number", "pixels along the second axis",
        utype=f"{_OBSCORE}Char.SpatialAxis.numBins2",
    ),
    Column(
        "t_exptime", "double", "time.duration;obs.exposure", "total exposure time of the coadd",
        unit="s", utype=f"{_OBSCORE}Char.TimeAxis.Coverage.Support.Extent",
    ),
    Column(
        "em_min", "double", "em.wl;stat.min", "start of the band's passband", unit="m",
        utype=f"{_OBSCORE}Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit",
    ),
    Column(
        "em_max", "double", "em.wl;stat.max", "end of the band's passband", unit="m",
        utype=f"{_OBSCORE}Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit",
    ),
    Column(
        "o_ucd", "char", "meta.ucd", "what the pixels measure",
        utype=f"{_OBSCORE}Char.ObservableAxis.ucd",
    ),
    Column(
        "facility_name", "char", "meta.id;instr.tel", "the telescope",
        utype=f"{_OBSCORE}Provenance.ObsConfig.Facility.name",
    ),
    Column(
        "instrument_name", "char", "meta.id;instr", "the camera",
        utype=f"{_OBSCORE}Provenance.ObsConfig.Instrument.name",
    ),
    Column("band", "char", "instr.bandpass", "the band (not an ObsCore column)"),
    Column(
        "datalink_url", "char", "meta.ref.url",
        "the image's DataLink links: the file, a SODA cutout, the other bands",
    ),
)  # fmt: skip


# --- footprint geometry ------------------------------------------------------------------------


def tiles_in_region(tiles: Sequence[TileInfo], shape: Shape) -> npt.NDArray[np.bool_]:
    """Which ``tiles`` meet ``shape``: a circle or polygon meets a tile's outline (its four
    corners joined by great circles); a range meets a tile's RA/Dec bounds.

    Raises
    ------
    RequestError
        For a polygon that reaches more than :data:`MAX_POLYGON_REACH` degrees from its centre.
    """
    if not tiles:
        return np.zeros(0, dtype=bool)
    if isinstance(shape, Range):
        return _range_hits(tiles, shape)
    corners = np.array([tile.corners for tile in tiles], dtype=np.float64)
    vectors = unit_vectors(corners[..., 0], corners[..., 1])  # (tiles, 4, 3)
    if isinstance(shape, Circle):
        return _circle_hits(vectors, shape)
    return _polygon_hits(tiles, vectors, shape)


def _rows_dot(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> Any:
    """Dot products along the last axis."""
    return np.einsum("...j,...j->...", a, b)


def _range_hits(tiles: Sequence[TileInfo], shape: Range) -> npt.NDArray[np.bool_]:
    ra_min = np.array([tile.ra_min for tile in tiles])
    ra_max = np.array([tile.ra_max for tile in tiles])
    dec_min = np.array([tile.dec_min for tile in tiles])
    dec_max = np.array([tile.dec_max for tile in tiles])
    hits: npt.NDArray[np.bool_] = (dec_max >= shape.dec_min) & (dec_min <= shape.dec_max)
    if shape.whole_ra:
        return hits
    # two arcs of RA meet if one starts inside the other, going east
    start = np.mod(ra_min - shape.ra_min, 360.0)
    hits &= (start <= shape.ra_width) | (start + (ra_max - ra_min) >= 360.0)
    return hits


def _circle_hits(vectors: npt.NDArray[np.float64], shape: Circle) -> npt.NDArray[np.bool_]:
    centre = unit_vectors(shape.ra, shape.dec)
    first, second = vectors, np.roll(vectors, -1, axis=1)
    normals = np.cross(first, second)
    sides = normals @ centre
    inside = np.all(sides >= 0.0, axis=1) | np.all(sides <= 0.0, axis=1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    offset = normals @ centre  # sine of the angle to each edge's great circle
    foot = centre - offset[..., None] * normals
    on_edge = (_rows_dot(np.cross(first, foot), normals) >= 0.0) & (
        _rows_dot(np.cross(foot, second), normals) >= 0.0
    )
    to_edge = np.where(on_edge, np.arcsin(np.clip(np.abs(offset), 0.0, 1.0)), np.inf)
    to_corner = np.arccos(np.clip(first @ centre, -1.0, 1.0))
    nearest = np.minimum(to_edge.min(axis=1), to_corner.min(axis=1))
    hits: npt.NDArray[np.bool_] = inside | (nearest <= math.radians(shape.radius))
    return hits


def _orientation(
    origin: npt.NDArray[np.float64], a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> Any:
    """Twice the signed area of the triangles (origin, a, b) in the plane."""
    return (a[..., 0] - origin[..., 0]) * (b[..., 1] - origin[..., 1]) - (
        a[..., 1] - origin[..., 1]
    ) * (b[..., 0] - origin[..., 0])


def _polygon_hits(
    tiles: Sequence[TileInfo], vectors: npt.NDArray[np.float64], shape: Polygon
) -> npt.NDArray[np.bool_]:
    """Great-circle polygons are straight in a gnomonic projection: test there, about the
    polygon's centre, the tiles near enough to it."""
    ra, dec = np.array(shape.vertices, dtype=np.float64).T
    vertices = unit_vectors(ra, dec)
    total = vertices.sum(axis=0)
    if np.linalg.norm(total) < 1e-9:
        raise RequestError(f"POS {shape.to_dali()!r}: the polygon has no centre")
    centre = total / np.linalg.norm(total)
    reach = math.degrees(math.acos(float(np.clip((vertices @ centre).min(), -1.0, 1.0))))
    if reach > MAX_POLYGON_REACH:
        raise RequestError(
            f"POS {shape.to_dali()!r}: a polygon may reach at most {MAX_POLYGON_REACH:g} deg "
            f"from its centre; this one reaches {reach:.1f} deg: split it"
        )
    centres = unit_vectors(
        np.array([tile.ra for tile in tiles]), np.array([tile.dec for tile in tiles])
    )
    tile_reach = np.arccos(np.clip(_rows_dot(vectors, centres[:, None, :]).min(axis=1), -1, 1))
    distance = np.arccos(np.clip(centres @ centre, -1.0, 1.0))
    near = np.flatnonzero(distance <= math.radians(reach) + tile_reach + 1e-9)
    hits = np.zeros(len(tiles), dtype=bool)
    if not near.size:
        return hits
    east = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(east) < 1e-12:  # a pole
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)

    def project(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        depth = points @ centre
        return np.stack([(points @ east) / depth, (points @ north) / depth], axis=-1)

    polygon = project(vertices)  # (V, 2)
    quads = project(vectors[near])  # (K, 4, 2)
    p1, p2 = polygon, np.roll(polygon, -1, axis=0)
    q1, q2 = quads[:, :, None, :], np.roll(quads, -1, axis=1)[:, :, None, :]
    crossing = (_orientation(q1, q2, p1) * _orientation(q1, q2, p2) <= 0.0) & (
        _orientation(p1, p2, q1) * _orientation(p1, p2, q2) <= 0.0
    )
    for axis in (0, 1):  # boxes must meet too (collinear segments)
        crossing &= np.maximum(
            np.minimum(p1[..., axis], p2[..., axis]), np.minimum(q1[..., axis], q2[..., axis])
        ) <= np.minimum(
            np.maximum(p1[..., axis], p2[..., axis]), np.maximum(q1[..., axis], q2[..., axis])
        )
    corner = quads[:, 0, :][:, None, :]  # a tile corner inside the polygon (ray casting)
    straddles = (p1[:, 1] > corner[..., 1]) != (p2[:, 1] > corner[..., 1])
    rise = np.where(p2[:, 1] == p1[:, 1], 1.0, p2[:, 1] - p1[:, 1])
    crossing_x = p1[:, 0] + (corner[..., 1] - p1[:, 1]) * (p2[:, 0] - p1[:, 0]) / rise
    corner_inside = (straddles & (corner[..., 0] < crossing_x)).sum(axis=1) % 2 == 1
    sides = _orientation(quads, np.roll(quads, -1, axis=1), polygon[0])  # a vertex in a tile
    vertex_inside = np.all(sides >= 0.0, axis=1) | np.all(sides <= 0.0, axis=1)
    hits[near] = crossing.any(axis=(1, 2)) | corner_inside | vertex_inside
    return hits


# --- the query ---------------------------------------------------------------------------------


def _maxrec(text: str | None) -> int:
    if text is None:
        return DEFAULT_MAXREC
    try:
        value = int(text.strip())
    except ValueError:
        raise RequestError(f"MAXREC {text!r} must be a whole number") from None
    if value < 0:
        raise RequestError(f"MAXREC {text!r} must not be negative")
    return min(value, MAX_MAXREC)


def _calib(text: str) -> int:
    try:
        level = int(text.strip())
    except ValueError:
        raise RequestError(f"CALIB {text!r} must be a calibration level, 0 to 4") from None
    if not 0 <= level <= 4:
        raise RequestError(f"CALIB {text!r} must be a calibration level, 0 to 4")
    return level


def _check_parameters(params: Params, release: str) -> None:
    for name in _UNSUPPORTED:
        if name in params:
            raise RequestError(
                f"{name} is not supported by this SIA service: the coadd images have no time "
                "or polarization axis, and it filters on POS, BAND, COLLECTION, CALIB, DPTYPE, "
                "FACILITY, INSTRUMENT, FORMAT and ID"
            )
    response_format = params.get("RESPONSEFORMAT")
    if response_format is not None and response_format.strip().lower() not in _VOTABLE_FORMATS:
        raise RequestError(
            f"RESPONSEFORMAT {response_format!r} is not supported: the answer is a VOTable "
            f"({VOTABLE_TYPE})"
        )
    for collection in params.getall("COLLECTION"):
        if collection.strip().lower() != release.lower():
            raise RequestError(
                f"COLLECTION {collection!r} is unknown: this service has one collection, "
                f"{release!r}"
            )
    for kind in params.getall("DPTYPE"):
        if kind.strip().lower() not in _PRODUCT_TYPES:
            raise RequestError(f"DPTYPE {kind!r} must be image or cube")


def _any_equal(values: Sequence[str], constant: str) -> bool:
    """Whether a repeated parameter allows ``constant`` (none given: yes)."""
    return not values or any(value.strip().lower() == constant.lower() for value in values)


def sia_query(survey: Survey, request: VORequest) -> VOResponse:
    """Find the coadd tile images matching SIA 2.0 constraints: one ObsCore record per image.

    Parameters
    ----------
    survey : Survey
        The release.
    request : VORequest
        ``POS``, ``BAND``, ``COLLECTION``, ``CALIB``, ``DPTYPE``, ``FACILITY``, ``INSTRUMENT``,
        ``FORMAT``, ``ID``, ``MAXREC``, ``RESPONSEFORMAT`` (see the module's notes).

    Returns
    -------
    VOResponse
        A VOTable (:data:`OBSCORE_COLUMNS`), ordered by tile then band, with the DataLink and
        SODA service descriptors; an ``OVERFLOW`` status after the table when more records
        match than MAXREC allows.

    Raises
    ------
    RequestError, PositionError
        For a malformed or unsupported parameter, an unknown collection or a bad CALIB.
    """
    params = request.params
    release = survey.release
    _check_parameters(params, release)
    maxrec = _maxrec(params.get("MAXREC"))
    regions = [parse_shape(text, "POS") for text in params.getall("POS")]
    intervals = [parse_interval(text, "BAND") for text in params.getall("BAND")]
    levels = [_calib(text) for text in params.getall("CALIB")]
    wanted_ids = {text.strip().lower() for text in params.getall("ID")}
    allowed = (
        (not levels or CALIB_LEVEL in levels)
        and _any_equal(params.getall("DPTYPE"), "image")
        and _any_equal(params.getall("FACILITY"), FACILITY)
        and _any_equal(params.getall("INSTRUMENT"), INSTRUMENT)
        and _any_equal(params.getall("FORMAT"), FITS_TYPE)
    )
    tiles = [tile for tile in survey.footprint if tile.images] if allowed else []
    if regions and tiles:
        mask = np.zeros(len(tiles), dtype=bool)
        for region in regions:
            mask |= tiles_in_region(tiles, region)
        tiles = [tile for tile, hit in zip(tiles, mask.tolist(), strict=True) if hit]
    order = {band: k for k, band in enumerate(known_bands(survey.footprint))}
    matches: list[tuple[TileInfo, str]] = []
    for tile in tiles:
        for band in sorted(tile.images, key=lambda name: order.get(name, len(order))):
            if intervals and not _band_matches(band, intervals):
                continue
            if wanted_ids and dataset_id(release, tile.name, band).lower() not in wanted_ids:
                continue
            matches.append((tile, band))
    overflow = len(matches) > maxrec
    rows = [_record(release, request, tile, band) for tile, band in matches[:maxrec]]
    votable, _results = votable_with_table(OBSCORE_COLUMNS, rows)
    votable.resources.append(datalink_descriptor(votable, request, "obs_publisher_did"))
    votable.resources.append(
        soda_descriptor(votable, request, "obs_publisher_did", known_bands(survey.footprint))
    )
    document = votable_bytes(votable)
    if overflow:  # DALI: after the table (astropy writes a RESOURCE's INFOs before it)
        document = document.replace(
            b"</TABLE>", b'</TABLE>\n  <INFO name="QUERY_STATUS" value="OVERFLOW"/>', 1
        )
    return VOResponse(200, f"{VOTABLE_TYPE}; charset=utf-8", document)


def _band_matches(band: str, intervals: Sequence[tuple[float, float]]) -> bool:
    found = passband(band)
    return found is not None and any(found.overlaps(low, high) for low, high in intervals)


@dataclass(frozen=True)
class _ImageFacts:
    """What a record needs from an image's header."""

    columns: int
    rows: int
    fwhm: float | None
    exptime: float | None


@lru_cache(maxsize=4096)
def _image_facts(path: str, modified_ns: int) -> _ImageFacts:
    """The facts of an image file, read once per version of the file."""
    from astropy.io import fits

    with fits.open(path, lazy_load_hdus=True) as hdul:
        header = image_hdu(hdul).header

        def number(key: str) -> float | None:
            value = header.get(key)
            return float(value) if isinstance(value, int | float) else None

        return _ImageFacts(
            int(header["NAXIS1"]), int(header["NAXIS2"]), number("FWHM"), number("EXPTIME")
        )


def _diagonal(tile: TileInfo) -> float:
    """The largest angle between two corners of a tile, degrees."""
    corners = np.array(tile.corners, dtype=np.float64)
    vectors = unit_vectors(corners[:, 0], corners[:, 1])
    return float(np.degrees(np.arccos(np.clip((vectors @ vectors.T).min(), -1.0, 1.0))))


def _record(release: str, request: VORequest, tile: TileInfo, band: str) -> dict[str, Any]:
    path = Path(tile.images[band])
    status = path.stat()
    facts = _image_facts(str(path), status.st_mtime_ns)
    found = passband(band)
    did = dataset_id(release, tile.name, band)
    corners = " ".join(f"{ra:.8f} {dec:.8f}" for ra, dec in tile.corners)
    return {
        "dataproduct_type": "image",
        "calib_level": CALIB_LEVEL,
        "obs_collection": release,
        "obs_id": f"{tile.name}_{band}",
        "obs_publisher_did": did,
        "access_url": image_url(request, tile.name, band),
        "access_format": FITS_TYPE,
        "access_estsize": math.ceil(status.st_size / 1024),
        "s_ra": tile.ra,
        "s_dec": tile.dec,
        "s_fov": _diagonal(tile),
        "s_region": f"POLYGON ICRS {corners}",
        "s_resolution": facts.fwhm,
        "s_xel1": facts.columns,
        "s_xel2": facts.rows,
        "t_exptime": facts.exptime,
        "em_min": found.minimum if found else None,
        "em_max": found.maximum if found else None,
        "o_ucd": f"phot.flux.density;{found.ucd}" if found else "phot.flux.density",
        "facility_name": FACILITY,
        "instrument_name": INSTRUMENT,
        "band": band,
        "datalink_url": links_url(request, did),
    }


# --- files -------------------------------------------------------------------------------------


def sia_file(survey: Survey, request: VORequest, tile: str, band: str) -> VOResponse:
    """Stream the image file of ``tile`` in ``band`` (an SIA record's ``access_url``).

    Raises
    ------
    TileNotFoundError, ImageNotFoundError
        If the release has no such tile, or no image of it in that band (404).
    """
    del request  # the file needs nothing more of the request
    path = survey.tile_image(tile, band)
    size = path.stat().st_size
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{path.name}"',
    }
    return VOResponse(200, FITS_TYPE, read_chunks(path), headers)
