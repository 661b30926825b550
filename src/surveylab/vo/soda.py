"""SODA 1.0: cutouts of the release's coadd tile images, at once or as cutout jobs.

A synchronous request (:func:`soda_sync`) cuts one region in one or more bands and answers
with a FITS file; an asynchronous one (:func:`soda_submit`) becomes a ``cutout`` job of the
user's job store, made by the same engine (:mod:`surveylab.cutouts`), so its pixels and
headers are those of every other cutout.

Parameters (names case-insensitive, values in degrees and metres, as DALI says):

``ID``
    A coadd tile image: ``ivo://surveylab/<release>?<TILENAME>/<band>`` (the publisher DID
    SIA and DataLink give, :func:`dataset_id`; ``<release>`` is the release's name with each
    run of other characters than letters, digits, ``.``, ``_`` and ``-`` made a ``-``, e.g.
    ``ivo://surveylab/DEMO-DR1?DES2134-0041/i``), or the short form ``<TILENAME>/<band>``.
    With an ID, that image is cut (the cutout is clipped to it); without one, the region is cut
    from the survey's images around its centre, stitched across tile edges.
``POS``
    A DALI shape: ``CIRCLE ra dec radius``, ``RANGE ra1 ra2 dec1 dec2`` or
    ``POLYGON ra1 dec1 ra2 dec2 ra3 dec3 ...``; or the same shapes as ``CIRCLE=ra dec radius``
    and ``POLYGON=ra1 dec1 ...``.
``BAND``
    An interval of wavelengths in metres, ``BAND=4.0e-7 5.5e-7`` (``-Inf``/``+Inf`` for an open
    end): the bands whose effective wavelength (:data:`surveylab.bands.PASSBANDS`) lies inside
    are cut. A single value selects the bands whose passband holds it.

The cutout is the smallest box of the image's pixel grid, centred on the region's centre, that
holds the whole region; its sides lie within the cutout engine's limits
(``CUTOUT_SIZE_MIN`` to ``CUTOUT_SIZE_MAX`` of :mod:`surveylab.limits`, in arcmin).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..bands import passband
from ..cutouts import known_bands
from ..cutouts.plan import TileGrid, read_grid
from ..cutouts.sync import CutImage, clip_to_image, cut_now, imaged_tile
from ..errors import (
    CutoutSizeError,
    ImageNotFoundError,
    PositionError,
    RequestError,
    TileNotFoundError,
)
from ..footprint import Footprint, TileInfo
from ..limits import CUTOUT_SIZE_MAX, CUTOUT_SIZE_MIN
from .protocol import Params, VORequest, VOResponse, read_chunks

if TYPE_CHECKING:
    from astropy.io import fits

    from ..survey import Survey

__all__ = [
    "DATASET_AUTHORITY",
    "FITS_TYPE",
    "Circle",
    "Dataset",
    "Polygon",
    "Range",
    "Shape",
    "dataset_id",
    "parse_dataset_id",
    "parse_interval",
    "parse_shape",
    "select_bands",
    "soda_job_parameters",
    "soda_submit",
    "soda_sync",
    "unit_vectors",
]

#: The authority of the release's dataset identifiers (``ivo://surveylab/<release>?...``).
DATASET_AUTHORITY = "surveylab"
#: The media type of a FITS file.
FITS_TYPE = "application/fits"
#: Points sampled on a circle's edge, and on each edge of a RANGE, to size a cutout.
_CIRCLE_SAMPLES = 72
_RANGE_SAMPLES = 16
#: Pixel scale (arcsec) of the grid that sizes the cutouts of positions outside the footprint.
_DEFAULT_SCALE = 0.263
#: SODA parameters the coadd images cannot honour (they have no time or polarization axis).
_UNSUPPORTED = ("TIME", "POL")
#: RESPONSEFORMAT values that mean FITS.
_FITS_FORMATS = {"fits", FITS_TYPE, "image/fits"}


# --- bands ---------------------------------------------------------------------------------------


def _band_list(bands: Sequence[str]) -> str:
    """``g 473 nm, r 642 nm, ...`` for messages."""
    described = []
    for band in bands:
        found = passband(band)
        described.append(f"{band} {found.effective * 1e9:.0f} nm" if found else band)
    return ", ".join(described) or "none"


def select_bands(
    available: Sequence[str], intervals: Sequence[tuple[float, float]], *, what: str
) -> tuple[str, ...]:
    """The bands of ``available`` that BAND's ``intervals`` select (all of them without any).

    An interval selects the bands whose effective wavelength lies inside it; a single value
    (``low == high``) the bands whose passband holds it.

    Raises
    ------
    RequestError
        If the intervals select none of ``available``; ``what`` names them in the message
        (e.g. ``"the release"``).
    """
    if not intervals:
        return tuple(available)
    chosen = []
    for band in available:
        found = passband(band)
        if found is None:
            continue
        for low, high in intervals:
            if low == high and found.minimum <= low <= found.maximum:
                chosen.append(band)
                break
            if low < high and low <= found.effective <= high:
                chosen.append(band)
                break
    if not chosen:
        asked = "; ".join(f"{low:g} {high:g}" for low, high in intervals)
        raise RequestError(
            f"BAND {asked}: no band of {what} has its effective wavelength (m) there; "
            f"its bands: {_band_list(available)}"
        )
    return tuple(chosen)


# --- DALI values -------------------------------------------------------------------------------


def _numbers(text: str, parameter: str, *, infinite: bool = False) -> list[float]:
    """The numbers of a DALI value (separated by spaces)."""
    numbers = []
    for word in text.split():
        try:
            number = float(word)
        except ValueError:
            raise RequestError(f"{parameter} {text!r}: {word!r} is not a number") from None
        if math.isnan(number) or (math.isinf(number) and not infinite):
            raise RequestError(f"{parameter} {text!r}: {word!r} must be a finite number")
        numbers.append(number)
    return numbers


def parse_interval(text: str, parameter: str = "BAND") -> tuple[float, float]:
    """A DALI interval ``low high`` (``-Inf``/``+Inf`` for open ends), or one value as
    ``(value, value)``.

    >>> parse_interval("4.0e-7 5.5e-7")
    (4e-07, 5.5e-07)
    >>> parse_interval("-Inf 5e-7")
    (-inf, 5e-07)
    """
    numbers = _numbers(text, parameter, infinite=True)
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2:
        raise RequestError(
            f"{parameter} {text!r}: expected an interval of two numbers like '4.0e-7 5.5e-7'"
        )
    low, high = numbers
    if low > high:
        raise RequestError(f"{parameter} {text!r}: the lower bound {low:g} exceeds {high:g}")
    return low, high


def _check_dec(dec: float, parameter: str, text: str) -> None:
    if not -90.0 <= dec <= 90.0:
        raise PositionError(f"{parameter} {text!r}: Dec {dec:g} is outside -90..+90 deg")


def unit_vectors(ra: Any, dec: Any) -> npt.NDArray[np.float64]:
    """Unit vectors of sky positions given in degrees (the last axis holds x, y, z)."""
    ra_rad, dec_rad = np.radians(ra), np.radians(dec)
    return np.stack(
        [np.cos(dec_rad) * np.cos(ra_rad), np.cos(dec_rad) * np.sin(ra_rad), np.sin(dec_rad)],
        axis=-1,
    )


def _radec(vector: npt.NDArray[np.float64]) -> tuple[float, float]:
    """RA in [0, 360) and Dec of a vector, degrees."""
    x, y, z = (float(value) for value in vector)
    ra = math.degrees(math.atan2(y, x)) % 360.0
    return (0.0 if ra >= 360.0 else ra), math.degrees(math.atan2(z, math.hypot(x, y)))


@dataclass(frozen=True)
class Circle:
    """A DALI circle: centre and radius, degrees."""

    ra: float
    dec: float
    radius: float

    @property
    def centre(self) -> tuple[float, float]:
        """The centre (RA, Dec), degrees."""
        return self.ra, self.dec

    def outline(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Points on the edge (RA, Dec arrays, degrees)."""
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        angles = np.linspace(0.0, 360.0, _CIRCLE_SAMPLES, endpoint=False) * u.deg
        edge = SkyCoord(self.ra, self.dec, unit="deg").directional_offset_by(
            angles, self.radius * u.deg
        )
        return np.asarray(edge.ra.deg), np.asarray(edge.dec.deg)

    def to_dali(self) -> str:
        """The shape as DALI text."""
        return f"CIRCLE {self.ra:.10g} {self.dec:.10g} {self.radius:.10g}"


@dataclass(frozen=True)
class Range:
    """A DALI range: RA from ``ra_min`` eastwards over ``ra_width`` (wrapped; 360 for all RA)
    and Dec from ``dec_min`` to ``dec_max``, degrees."""

    ra_min: float
    ra_width: float
    dec_min: float
    dec_max: float

    @property
    def whole_ra(self) -> bool:
        """Whether the range holds every RA."""
        return self.ra_width >= 360.0

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the range (RA, Dec), degrees."""
        ra = (self.ra_min + self.ra_width / 2.0) % 360.0
        return ra, (self.dec_min + self.dec_max) / 2.0

    def outline(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Points on the edges (RA, Dec arrays, degrees)."""
        steps = np.linspace(0.0, 1.0, _RANGE_SAMPLES)
        ra = self.ra_min + steps * self.ra_width
        dec = self.dec_min + steps * (self.dec_max - self.dec_min)
        ones = np.ones_like(steps)
        all_ra = np.concatenate([ra, ra, self.ra_min * ones, (self.ra_min + self.ra_width) * ones])
        all_dec = np.concatenate([self.dec_min * ones, self.dec_max * ones, dec, dec])
        return np.mod(all_ra, 360.0), all_dec

    def to_dali(self) -> str:
        """The shape as DALI text."""
        east = self.ra_min + min(self.ra_width, 360.0)
        return f"RANGE {self.ra_min:.10g} {east:.10g} {self.dec_min:.10g} {self.dec_max:.10g}"


@dataclass(frozen=True)
class Polygon:
    """A DALI polygon: vertices (RA, Dec) in degrees joined by great circles."""

    vertices: tuple[tuple[float, float], ...]

    @property
    def centre(self) -> tuple[float, float]:
        """The mean direction of the vertices (RA, Dec), degrees."""
        ra, dec = np.array(self.vertices).T
        return _radec(unit_vectors(ra, dec).sum(axis=0))

    def outline(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The vertices (RA, Dec arrays, degrees): the edges are straight in a tile's gnomonic
        pixel grid."""
        ra, dec = np.array(self.vertices, dtype=np.float64).T
        return ra, dec

    def to_dali(self) -> str:
        """The shape as DALI text."""
        return "POLYGON " + " ".join(f"{ra:.10g} {dec:.10g}" for ra, dec in self.vertices)


Shape = Circle | Range | Polygon

_SHAPE_WORDS = ("CIRCLE", "RANGE", "POLYGON")


def parse_shape(text: str, parameter: str = "POS", kind: str | None = None) -> Shape:
    """A DALI shape: ``CIRCLE ra dec radius``, ``RANGE ra1 ra2 dec1 dec2`` or
    ``POLYGON ra1 dec1 ...`` (degrees, ICRS).

    Parameters
    ----------
    text : str
        The value as sent.
    parameter : str
        The parameter's name, for messages.
    kind : {"CIRCLE", "POLYGON"}, optional
        The shape the value must be (SODA's ``CIRCLE`` and ``POLYGON`` parameters), whose
        leading word may then be left out.

    Notes
    -----
    A RANGE's RA runs east from ``ra1`` to ``ra2``: ``RANGE 359 1 -1 1`` and
    ``RANGE -1 1 -1 1`` both cross RA 0; ``-Inf``/``+Inf`` leave an end open.

    Examples
    --------
    >>> parse_shape("CIRCLE 323.36 -0.82 0.05")
    Circle(ra=323.36, dec=-0.82, radius=0.05)
    >>> parse_shape("RANGE 359 1 -1 1").ra_width
    2.0
    """
    words = text.split()
    if words and words[0].upper() in _SHAPE_WORDS:
        word, words = words[0].upper(), words[1:]
    elif kind is not None:
        word = kind
    else:
        raise RequestError(
            f"{parameter} {text!r}: expected a shape: CIRCLE ra dec radius, "
            "RANGE ra1 ra2 dec1 dec2 or POLYGON ra1 dec1 ra2 dec2 ra3 dec3 ... (degrees)"
        )
    if kind is not None and word != kind:
        raise RequestError(f"{parameter} {text!r}: expected a {kind.lower()}, not a {word}")
    if words and words[0].upper() == "ICRS":  # STC-S style frame
        words = words[1:]
    body = " ".join(words)
    if word == "CIRCLE":
        numbers = _numbers(body, parameter)
        if len(numbers) != 3:
            raise RequestError(f"{parameter} {text!r}: a circle is 'ra dec radius' (degrees)")
        ra, dec, radius = numbers
        _check_dec(dec, parameter, text)
        if not 0.0 < radius <= 180.0:
            raise RequestError(f"{parameter} {text!r}: the radius must be above 0 and at most 180")
        return Circle(ra % 360.0, dec, radius)
    if word == "RANGE":
        return _parse_range(text, body, parameter)
    numbers = _numbers(body, parameter)
    if len(numbers) < 6 or len(numbers) % 2:
        raise RequestError(
            f"{parameter} {text!r}: a polygon is at least 3 vertices 'ra1 dec1 ra2 dec2 ra3 "
            f"dec3 ...', {len(numbers)} number(s) given"
        )
    vertices = tuple((numbers[k] % 360.0, numbers[k + 1]) for k in range(0, len(numbers), 2))
    for _ra, dec in vertices:
        _check_dec(dec, parameter, text)
    return Polygon(vertices)


def _parse_range(text: str, body: str, parameter: str) -> Range:
    numbers = _numbers(body, parameter, infinite=True)
    if len(numbers) != 4:
        raise RequestError(f"{parameter} {text!r}: a range is 'ra1 ra2 dec1 dec2' (degrees)")
    ra1, ra2, dec1, dec2 = numbers
    dec1, dec2 = max(dec1, -90.0), min(dec2, 90.0)
    for dec in (dec1, dec2):
        _check_dec(dec, parameter, text)
    if dec1 > dec2:
        raise RequestError(f"{parameter} {text!r}: Dec {dec1:g} exceeds {dec2:g}")
    if math.isinf(ra1) or math.isinf(ra2):
        if ra1 == math.inf or ra2 == -math.inf:
            raise RequestError(f"{parameter} {text!r}: RA runs from -Inf to +Inf")
        return Range(0.0, 360.0, dec1, dec2)
    width = ra2 - ra1 if ra2 >= ra1 else (ra2 - ra1) % 360.0
    return Range(ra1 % 360.0, min(width, 360.0), dec1, dec2)


def _shapes(params: Params) -> list[tuple[str, str, Shape]]:
    """Every region asked for: ``(parameter, value, shape)`` of POS, CIRCLE and POLYGON."""
    found: list[tuple[str, str, Shape]] = []
    for name, kind in (("POS", None), ("CIRCLE", "CIRCLE"), ("POLYGON", "POLYGON")):
        for value in params.getall(name):
            found.append((name, value, parse_shape(value, name, kind)))
    return found


# --- dataset identifiers -----------------------------------------------------------------------


def release_path(release: str) -> str:
    """The release's name as the path of its identifiers: ``DEMO DR1`` -> ``DEMO-DR1``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", release).strip("-") or "release"


def dataset_id(release: str, tile: str, band: str) -> str:
    """The publisher DID of a coadd tile image.

    >>> dataset_id("DEMO DR1", "DES2134-0041", "i")
    'ivo://surveylab/DEMO-DR1?DES2134-0041/i'
    """
    return f"ivo://{DATASET_AUTHORITY}/{release_path(release)}?{tile}/{band}"


@dataclass(frozen=True)
class Dataset:
    """A coadd tile image named by an ID: its tile, band, file and publisher DID."""

    tile: TileInfo
    band: str
    path: Path
    did: str


def parse_dataset_id(survey: Survey, text: str, parameter: str = "ID") -> Dataset:
    """The tile image an ID names: ``ivo://surveylab/<release>?<TILENAME>/<band>`` or
    ``<TILENAME>/<band>`` (tile and band case-insensitive).

    Raises
    ------
    RequestError
        If the ID is malformed or belongs to another release.
    TileNotFoundError, ImageNotFoundError
        If the release has no such tile, or no image of it in that band.
    """
    value = text.strip()
    release = survey.release
    prefix = f"ivo://{DATASET_AUTHORITY}/{release_path(release)}"
    example = dataset_id(release, survey.footprint.tiles[0].name, "i")
    local = value
    if value.lower().startswith("ivo://"):
        head, _, local = value.partition("?")
        if head.lower() != prefix.lower():
            raise RequestError(
                f"{parameter} {text!r} is not an image of this release: its IDs look like {example}"
            )
    tile_name, _, band = local.partition("/")
    if not tile_name.strip() or not band.strip():
        raise RequestError(
            f"{parameter} {text!r}: expected a tile image as <TILENAME>/<band> or {example}"
        )
    try:
        tile = survey.footprint.tile(tile_name)
        path = survey.tile_image(tile.name, band.strip())
    except (TileNotFoundError, ImageNotFoundError) as err:
        raise type(err)(f"{parameter} {text!r}: {err}") from None
    spelled = next(name for name in tile.images if name.lower() == band.strip().lower())
    return Dataset(tile, spelled, path, dataset_id(release, tile.name, spelled))


# --- sizing ------------------------------------------------------------------------------------


def _cutout_sides(shape: Shape, grid: TileGrid, label: str) -> tuple[float, float]:
    """Width and height (arcmin) of the box of ``grid``'s pixels, centred on the shape's centre
    as the cutout engine centres it, that holds the whole shape.

    Raises
    ------
    CutoutSizeError
        If a side would pass the engine's cap.
    """
    _check_reach(shape, label)
    ra, dec = shape.centre
    edge_ra, edge_dec = shape.outline()
    x, y = grid.wcs.wcs_world2pix(edge_ra, edge_dec, 0)
    centre_x, centre_y = grid.wcs.wcs_world2pix([ra], [dec], 0)
    reach_x = float(np.max(np.abs(x - centre_x[0])))
    reach_y = float(np.max(np.abs(y - centre_y[0])))
    # odd sides around the centre's pixel: the box's edges clear the region's by half a pixel
    columns = 2 * math.ceil(reach_x + 0.5) + 1
    rows = 2 * math.ceil(reach_y + 0.5) + 1
    # rounded for tidy job parameters: 1e-9 arcmin is far below the engine's half-pixel slack
    width = max(round(columns * grid.scale_arcsec / 60.0, 9), CUTOUT_SIZE_MIN)
    height = max(round(rows * grid.scale_arcsec / 60.0, 9), CUTOUT_SIZE_MIN)
    if max(width, height) > CUTOUT_SIZE_MAX:
        _too_big(label, width, height)
    return width, height


def _check_reach(shape: Shape, label: str) -> None:
    """Refuse a shape far too big for a cutout, before projecting it onto a pixel grid."""
    reach = _reach(shape)
    if 2.0 * reach * 60.0 > CUTOUT_SIZE_MAX * 1.5:
        _too_big(label, 2.0 * reach * 60.0, 2.0 * reach * 60.0)


def _reach(shape: Shape) -> float:
    """The largest angle (degrees) from the shape's centre to its edge."""
    if isinstance(shape, Range) and (shape.whole_ra or shape.dec_max - shape.dec_min >= 180.0):
        return 180.0
    ra, dec = shape.centre
    edge_ra, edge_dec = shape.outline()
    cosines = unit_vectors(edge_ra, edge_dec) @ unit_vectors(ra, dec)
    return float(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))).max())


def _too_big(label: str, width: float, height: float) -> None:
    raise CutoutSizeError(
        f"{label} needs a cutout of {width:.3g} x {height:.3g} arcmin; a cutout is at most "
        f"{CUTOUT_SIZE_MAX:g} arcmin on a side (the cutout size cap): ask for a smaller region"
    )


def _generic_grid(ra: float, dec: float) -> TileGrid:
    """A gnomonic grid of DES pixels about a position (for positions outside the footprint)."""
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [1.0, 1.0]
    wcs.wcs.cdelt = [-_DEFAULT_SCALE / 3600.0, _DEFAULT_SCALE / 3600.0]
    return TileGrid([], wcs, (1, 1))


def _label(parameter: str, value: str) -> str:
    return f"{parameter} {value!r}"


# --- synchronous cutouts -----------------------------------------------------------------------


def _refuse_unsupported(params: Params) -> None:
    for name in _UNSUPPORTED:
        if name in params:
            raise RequestError(
                f"{name} is not supported: the coadd images have no time or polarization axis"
            )
    response_format = params.get("RESPONSEFORMAT")
    if response_format is not None and response_format.strip().lower() not in _FITS_FORMATS:
        raise RequestError(
            f"RESPONSEFORMAT {response_format!r} is not supported: cutouts are FITS ({FITS_TYPE})"
        )


def soda_sync(survey: Survey, request: VORequest) -> VOResponse:
    """Cut one region of the release's images in one or more bands: a SODA ``sync`` request.

    Parameters
    ----------
    survey : Survey
        The release.
    request : VORequest
        ``ID`` (at most one; see the module's notes for its forms), one region (``POS``,
        ``CIRCLE`` or ``POLYGON``) and any ``BAND`` intervals.

    Returns
    -------
    VOResponse
        A FITS file (``application/fits``): for one band, one image in the primary HDU; for
        several, an empty primary HDU and one image extension per band (``EXTNAME`` = band).
        Each image carries the WCS of the tile grid it is cut on, and the cutout engine's
        provenance cards (``TILENAME``, ``TILES``, ``STITCHED``, ``COVERAGE``...).

    Raises
    ------
    RequestError, PositionError, CutoutSizeError
        For a malformed request, a region whose centre lies outside the survey's footprint
        (or off the ID's image), or one larger than the cutout size cap.
    TileNotFoundError, ImageNotFoundError
        For an ID naming no image of the release.
    """
    params = request.params
    _refuse_unsupported(params)
    ids = params.getall("ID")
    if len(ids) > 1:
        raise RequestError(
            f"ID is given {len(ids)} times; a sync request cuts one image: give one ID (or "
            "none), or send several to soda/async"
        )
    dataset = parse_dataset_id(survey, ids[0]) if ids else None
    shapes = _shapes(params)
    if not shapes:
        whole = " (the whole image is the #this link of DataLink)" if dataset else ""
        raise RequestError(
            "give the region to cut: POS (CIRCLE, RANGE or POLYGON), CIRCLE or POLYGON" + whole
        )
    if len(shapes) > 1:
        raise RequestError(
            f"{len(shapes)} regions given (POS, CIRCLE, POLYGON); a sync request cuts one: "
            "send several to soda/async"
        )
    parameter, value, shape = shapes[0]
    intervals = [parse_interval(text) for text in params.getall("BAND")]
    if dataset is not None:
        bands = select_bands([dataset.band], intervals, what=f"ID {dataset.did}")
    else:
        bands = select_bands(known_bands(survey.footprint), intervals, what="the release")
    images = _cut(survey, shape, _label(parameter, value), bands, dataset)
    return _fits_response(images)


def _cut(
    survey: Survey, shape: Shape, label: str, bands: Sequence[str], dataset: Dataset | None
) -> list[CutImage]:
    """Cut ``shape`` in ``bands`` with the cutout engine: from the ID's image alone (clipped to
    it), or from the survey's images (stitched across tile edges)."""
    _check_reach(shape, label)
    ra, dec = shape.centre
    if dataset is not None:
        tile = dataset.tile
        if not tile.contains(ra, dec):
            raise PositionError(
                f"{label}: its centre (RA {ra:.6f}, Dec {dec:.6f}) is not on tile {tile.name} "
                f"of ID {dataset.did}"
            )
        footprint = Footprint([tile], name=f"tile {tile.name}")
    else:
        tile = imaged_tile(survey.footprint, ra, dec, label)
        footprint = survey.footprint
    grid = read_grid(next(iter(tile.images.values())))
    width, height = _cutout_sides(shape, grid, label)
    images = cut_now(
        footprint, survey.release, ra, dec, width, height, bands, label=label, tile=tile, grid=grid
    )
    if dataset is not None:
        images = [clip_to_image(image, grid.shape, label) for image in images]
    return images


def _fits_response(images: Sequence[CutImage]) -> VOResponse:
    """The cutout as one FITS file, streamed from a temporary file."""
    from astropy.io import fits

    if len(images) == 1:
        image = images[0]
        primary = fits.PrimaryHDU(image.data, image.header)
        primary.header["EXTNAME"] = (image.band, "band")
        hdus = fits.HDUList([primary])
        filename = f"{image.name.removesuffix('.fits')}.fits"
    else:
        head = fits.PrimaryHDU()
        for key in ("RELEASE", "TILENAME", "OBJ_RA", "OBJ_DEC", "ORIGIN"):
            if key in images[0].header:
                head.header[key] = (images[0].header[key], images[0].header.comments[key])
        head.header["BANDS"] = (",".join(image.band for image in images), "one HDU per band")
        extensions = [fits.ImageHDU(image.data, _extension_header(image)) for image in images]
        hdus = fits.HDUList([head, *extensions])
        stem = images[0].name.removesuffix(".fits").removesuffix(f"_{images[0].band}")
        filename = f"{stem}_{''.join(image.band for image in images)}.fits"
    spool = tempfile.TemporaryFile(prefix="surveylab-soda-")  # noqa: SIM115 - _chunks closes it
    hdus.writeto(spool)
    size = spool.tell()
    spool.seek(0)
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": f'inline; filename="{filename}"',
    }
    return VOResponse(200, FITS_TYPE, read_chunks(spool), headers)


def _extension_header(image: CutImage) -> fits.Header:
    """A band's header as an extension's: without SIMPLE and EXTEND, ``EXTNAME`` the band as
    the release spells it (astropy's ``name=`` would upper-case it)."""
    header = image.header.copy()
    for key in ("SIMPLE", "EXTEND"):
        header.remove(key, ignore_missing=True)
    header["EXTNAME"] = (image.band, "band")
    return header


# --- asynchronous cutouts ----------------------------------------------------------------------


def soda_job_parameters(survey: Survey, params: Params) -> dict[str, Any]:
    """The keyword arguments of :meth:`Survey.cutouts <surveylab.survey.Survey.cutouts>` for an
    asynchronous SODA request: one cutout per region, in the chosen bands, FITS only.

    The regions travel as the cutout job's CSV (``RA,DEC,XSIZE,YSIZE``), so the job's
    ``summary.json`` names the k-th region (POS values first, then CIRCLE, then POLYGON) as
    ``line k+1``. A region whose centre lies outside the footprint is not refused here: the job
    reports it as a position it could not cut, and cuts the others. With IDs, the bands are the
    IDs' (narrowed by BAND) and every region's centre must lie on one of their tiles; the job
    cuts from the survey's images, stitched across tile edges, as every cutout job does.

    Raises
    ------
    RequestError, PositionError, CutoutSizeError
        For a malformed request, a region larger than the cutout size cap, or (with IDs) a
        region off the IDs' tiles.
    TileNotFoundError, ImageNotFoundError
        For an ID naming no image of the release.
    """
    _refuse_unsupported(params)
    datasets = [parse_dataset_id(survey, text) for text in params.getall("ID")]
    shapes = _shapes(params)
    if not shapes:
        raise RequestError("give the regions to cut: POS, CIRCLE or POLYGON (each may repeat)")
    intervals = [parse_interval(text) for text in params.getall("BAND")]
    if datasets:
        available = list(dict.fromkeys(dataset.band for dataset in datasets))
        what = "the IDs"
    else:
        available, what = known_bands(survey.footprint), "the release"
    bands = select_bands(available, intervals, what=what)
    grids: dict[str, TileGrid] = {}
    lines = ["RA,DEC,XSIZE,YSIZE"]
    for parameter, value, shape in shapes:
        label = _label(parameter, value)
        ra, dec = shape.centre
        if datasets and not any(d.tile.contains(ra, dec) for d in datasets):
            names = ", ".join(dict.fromkeys(d.tile.name for d in datasets))
            raise PositionError(
                f"{label}: its centre (RA {ra:.6f}, Dec {dec:.6f}) is on none of the IDs' "
                f"tiles ({names})"
            )
        width, height = _cutout_sides(shape, _grid_at(survey, ra, dec, grids), label)
        lines.append(f"{ra!r},{dec!r},{width!r},{height!r}")
    return {"csv": "\n".join(lines) + "\n", "bands": list(bands), "previews": False}


def _grid_at(survey: Survey, ra: float, dec: float, grids: dict[str, TileGrid]) -> TileGrid:
    """The pixel grid of the tile owning a position (cached by tile), or a generic one."""
    index = int(survey.footprint.locate(ra, dec))
    if index < 0 or not survey.footprint.tiles[index].images:
        return _generic_grid(ra, dec)
    tile = survey.footprint.tiles[index]
    if tile.name not in grids:
        grids[tile.name] = read_grid(next(iter(tile.images.values())))
    return grids[tile.name]


def soda_submit(survey: Survey, request: VORequest, *, email: str | None = None) -> str:
    """Start an asynchronous SODA request (a UWS job creation) as a ``cutout`` job of the
    user's job store, and return the job's id: PENDING until ``PHASE=RUN``, or queued at
    once with ``PHASE=RUN`` at creation (UWS).

    See :func:`soda_job_parameters` for what the parameters become; UWS's ``RUNID`` names the
    job. Its files are one FITS
    file per region and band, and its ``summary.json``.

    Raises
    ------
    SurveylabError
        As :func:`soda_job_parameters` and :meth:`Survey.cutouts
        <surveylab.survey.Survey.cutouts>` (e.g. more regions than a cutout job takes), or for
        another ``PHASE``.
    """
    params = request.params
    phase = (params.get("PHASE") or "").strip().upper()
    if phase not in ("", "RUN"):
        raise RequestError(f"PHASE={phase} cannot start a cutout job: give RUN, or no PHASE")
    arguments = soda_job_parameters(survey, params)
    name = (params.get("RUNID") or "").strip() or "SODA cutouts"
    return survey.cutouts(name=name, email=email, start=phase == "RUN", **arguments).id
