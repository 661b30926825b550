"""Finding charts: an image of the sky around an object, as astronomers take to a telescope.

A chart is a cutout (one band, or a colour image of three) around a target, drawn on its WCS
with matplotlib's WCSAxes, with

- a cross-hair (or a circle) on the target;
- a north/east compass that follows the WCS (a rotated or flipped image turns it);
- a scale bar in arcseconds or arcminutes;
- optionally the catalog's objects in the field (down to a magnitude limit) and the user's own
  positions;
- a title block: the object's ID or name, its coordinates in degrees and sexagesimal, its tile
  and its magnitudes (``MAG_AUTO``) when known.

A target is a ``COADD_OBJECT_ID``, a DES object name (``DESJhhmmss.ss±ddmmss.s``), a tile name
(its centre), a position (text, ``(ra, dec)`` or a SkyCoord) or a row of a query result (a
mapping with ``RA`` and ``DEC``, and optionally ``COADD_OBJECT_ID`` and ``MAG_AUTO_*``).

The geometry (:func:`compass`, :func:`scale_bar_pixels`, :func:`scale_bar_length`) is pure; the
renderer uses matplotlib's ``Figure`` with the Agg and PDF backends only (no pyplot state), so
it is safe in a server. Charts are PNG (:func:`render_png`) or PDF, one page per target
(:func:`render_pdf`).

Examples
--------
>>> from surveylab import Survey
>>> png = Survey().finding_chart(1000001, size=2.0, band="i")  # doctest: +SKIP
>>> pdf = Survey().finding_charts(["323.36 -0.82", "DES2134-0041"])  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .cutouts.job import CutoutSource
from .cutouts.plan import des_name
from .cutouts.request import DEFAULT_LUPTON, check_bands, check_size, parse_positions
from .cutouts.sync import CutImage, cut_now, imaged_tile
from .cutouts.writers import lupton_rgb
from .errors import CutoutError, ObjectNotFoundError, PositionError, TileNotFoundError
from .footprint.release import MAIN_TABLE
from .limits import FINDING_CHART_POSITIONS_MAX, FINDING_CHART_TARGETS_MAX

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CATALOG_OBJECTS_MAX",
    "DEFAULT_CHART_SIZE",
    "MEDIA_TYPES",
    "ChartOptions",
    "ChartTarget",
    "Compass",
    "FindingChart",
    "chart_bytes",
    "chart_options",
    "compass",
    "draw_chart",
    "field_objects",
    "make_charts",
    "render_pdf",
    "render_png",
    "resolve_target",
    "scale_bar_length",
    "scale_bar_pixels",
]

#: The media type of each output format.
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf"}
#: A chart's side by default, arcmin.
DEFAULT_CHART_SIZE = 2.0
#: Catalog objects drawn on one chart at most (the brightest first).
CATALOG_OBJECTS_MAX = 2000
#: Lengths a scale bar may take, arcsec: the longest at most a third of the chart's side.
_SCALE_BAR_CHOICES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300)
#: A DES object name: DESJhhmmss.ss±ddmmss.s.
_DES_NAME = re.compile(
    r"^DESJ(\d{2})(\d{2})(\d{2}(?:\.\d+)?)([+-])(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$", re.IGNORECASE
)
#: A DES tile name: DEShhmm±ddmm.
_TILE_NAME = re.compile(r"^DES\d{4}[+-]\d{4}$", re.IGNORECASE)
_ID_KEYS = ("COADD_OBJECT_ID", "ID", "OBJECT_ID")
#: matplotlib is not thread-safe: a server draws one chart at a time.
_DRAWING = threading.Lock()


# --- geometry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compass:
    """Unit vectors, in pixel coordinates (x right, y up), pointing north and east on the sky."""

    north: tuple[float, float]
    east: tuple[float, float]


def compass(wcs: Any, x: float, y: float) -> Compass:
    """The directions of north and east at pixel (``x``, ``y``) of ``wcs`` (0-based).

    Found by stepping a small angle north and east on the sky from the pixel's position and
    converting back to pixels, so a rotated, flipped or distorted WCS turns the arrows with it.

    >>> from astropy.wcs import WCS
    >>> wcs = WCS(naxis=2)
    >>> wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> wcs.wcs.cdelt = [-0.263 / 3600, 0.263 / 3600]
    >>> arrows = compass(wcs, 0.0, 0.0)
    >>> [round(v, 6) + 0.0 for v in (*arrows.north, *arrows.east)]  # + 0.0: no -0.0
    [0.0, 1.0, -1.0, 0.0]
    """
    from astropy import units as u
    from astropy.wcs.utils import pixel_to_skycoord, skycoord_to_pixel

    centre = pixel_to_skycoord(x, y, wcs, origin=0)
    step = 0.5 * scale_arcsec(wcs) * u.arcsec
    vectors = []
    for angle in (0.0, 90.0):  # position angle: north, then east
        moved = centre.directional_offset_by(angle * u.deg, step)
        px, py = skycoord_to_pixel(moved, wcs, origin=0)
        dx, dy = float(px) - x, float(py) - y
        length = math.hypot(dx, dy)
        vectors.append((dx / length, dy / length))
    return Compass(north=vectors[0], east=vectors[1])


def scale_arcsec(wcs: Any) -> float:
    """The pixel scale of ``wcs``, arcsec per pixel (the mean of its two axes)."""
    from astropy.wcs.utils import proj_plane_pixel_scales

    return float(np.mean(proj_plane_pixel_scales(wcs.celestial))) * 3600.0


def scale_bar_pixels(wcs: Any, arcsec: float) -> float:
    """The length in pixels of a scale bar of ``arcsec``: the arcseconds over the pixel scale.

    >>> from astropy.wcs import WCS
    >>> wcs = WCS(naxis=2)
    >>> wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> wcs.wcs.cdelt = [-0.25 / 3600, 0.25 / 3600]
    >>> scale_bar_pixels(wcs, 10.0)
    40.0
    """
    return arcsec / scale_arcsec(wcs)


def scale_bar_length(side_arcmin: float) -> tuple[float, str]:
    """A round scale-bar length for a chart ``side_arcmin`` wide: arcsec, and its label.

    >>> scale_bar_length(2.0)
    (30.0, '30"')
    >>> scale_bar_length(10.0)
    (180.0, "3'")
    """
    longest = side_arcmin * 60.0 / 3.0
    arcsec = float(max([c for c in _SCALE_BAR_CHOICES if c <= longest] or [1]))
    label = f"{arcsec / 60.0:g}'" if arcsec >= 60.0 else f'{arcsec:g}"'
    return arcsec, label


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartTarget:
    """What a chart is centred on.

    Attributes
    ----------
    ra, dec : float
        Degrees, ICRS.
    name : str
        How it is named in the title: ``COADD_OBJECT_ID 123``, a DES name, a tile...
    object_id : int or None
        The catalog's ``COADD_OBJECT_ID``, when known.
    magnitudes : mapping of str to float
        ``MAG_AUTO`` by band, when known.
    """

    ra: float
    dec: float
    name: str
    object_id: int | None = None
    magnitudes: Mapping[str, float] = field(default_factory=dict)


def _object_row(source: CutoutSource, object_id: int, bands: Sequence[str]) -> ChartTarget:
    if not 0 <= object_id < 2**63:
        raise ObjectNotFoundError(f"COADD_OBJECT_ID {object_id} is not in {MAIN_TABLE}")
    mags = ", ".join(f"MAG_AUTO_{band.upper()}" for band in bands)
    data = source.query_arrow(
        f"SELECT RA, DEC{', ' + mags if mags else ''} FROM {MAIN_TABLE} "
        f"WHERE COADD_OBJECT_ID = {object_id}",
        limit=1,
    )
    if data.num_rows == 0:
        raise ObjectNotFoundError(f"COADD_OBJECT_ID {object_id} is not in {MAIN_TABLE}")
    row = data.to_pylist()[0]
    magnitudes = {
        band: float(row[f"MAG_AUTO_{band.upper()}"])
        for band in bands
        if _usable_magnitude(row.get(f"MAG_AUTO_{band.upper()}"))
    }
    return ChartTarget(
        float(row["RA"]), float(row["DEC"]), f"COADD_OBJECT_ID {object_id}", object_id, magnitudes
    )


def _usable_magnitude(value: Any) -> bool:
    """Whether a MAG_AUTO is measured (not null, masked, NaN or DES's 99)."""
    if not isinstance(value, Real) or isinstance(value, bool):
        return False
    magnitude = float(value)
    return math.isfinite(magnitude) and abs(magnitude) < 90.0


def _from_des_name(text: str) -> ChartTarget | None:
    found = _DES_NAME.match(text.strip())
    if found is None:
        return None
    hours, minutes, seconds, sign, degrees, arcmin, arcsec = found.groups()
    ra = (int(hours) + int(minutes) / 60.0 + float(seconds) / 3600.0) * 15.0
    dec = int(degrees) + int(arcmin) / 60.0 + float(arcsec) / 3600.0
    return ChartTarget(ra, -dec if sign == "-" else dec, "DESJ" + text.strip()[4:])


def _row_value(row: Mapping[str, Any], *keys: str) -> Any:
    upper = {str(key).upper(): value for key, value in row.items()}
    for key in keys:
        if key in upper and upper[key] is not None and upper[key] is not np.ma.masked:
            return upper[key]
    return None


def _from_row(row: Mapping[str, Any], bands: Sequence[str], label: str) -> ChartTarget:
    ra, dec = _row_value(row, "RA"), _row_value(row, "DEC")
    if ra is None or dec is None:
        raise PositionError(f"{label}: a row needs RA and DEC columns, it has {', '.join(row)}")
    [position] = parse_positions([(ra, dec)], 1)
    assert position.ra is not None and position.dec is not None
    object_id = _row_value(row, *_ID_KEYS)
    magnitudes = {}
    for band in bands:
        value = _row_value(row, f"MAG_AUTO_{band.upper()}")
        if _usable_magnitude(value):
            magnitudes[band] = float(value)
    if object_id is not None:
        if isinstance(object_id, bool) or not re.fullmatch(r"\d{1,19}", str(object_id).strip()):
            raise PositionError(f"{label}: COADD_OBJECT_ID {object_id!r} is not a whole number")
        object_id = int(str(object_id).strip())
        name = f"COADD_OBJECT_ID {object_id}"
    else:
        name = des_name(position.ra, position.dec)
    return ChartTarget(position.ra, position.dec, name, object_id, magnitudes)


def resolve_target(
    source: CutoutSource, target: Any, bands: Sequence[str] = (), label: str = "target"
) -> ChartTarget:
    """The position, name and known magnitudes of a chart's ``target``.

    Parameters
    ----------
    source : CutoutSource
        The release (a :class:`~surveylab.Survey`).
    target : int, str, (ra, dec), SkyCoord or mapping
        A ``COADD_OBJECT_ID`` (a whole number, or its digits as text), a DES object name
        (``DESJ213326.40-004912.0``), a tile name (``DES2134-0041``: its centre), a position
        (``"323.36 -0.82"``, ``"21:33:26.4 -0:49:12"``, a pair of degrees or a SkyCoord), or a
        row of a query result (a mapping or an astropy ``Row``: ``RA``, ``DEC``; optionally
        ``COADD_OBJECT_ID`` and ``MAG_AUTO_<band>``).
    bands : sequence of str
        Bands whose ``MAG_AUTO`` to look up for an object id.
    label : str
        What the target is, for messages (e.g. ``"target 2"``).

    Raises
    ------
    ObjectNotFoundError
        For an object id the catalog does not have.
    TileNotFoundError
        For a tile name the footprint does not have.
    PositionError
        For a position that cannot be read.
    """
    from astropy.coordinates import SkyCoord
    from astropy.table import Row

    if isinstance(target, Row):
        target = {name: target[name] for name in target.colnames}
    if isinstance(target, Mapping):
        return _from_row(target, bands, label)
    if isinstance(target, bool):
        raise PositionError(f"{label}: {target!r} is not an object id, a name or a position")
    if isinstance(target, int | np.integer):
        return _object_row(source, int(target), bands)
    if isinstance(target, str):
        text = target.strip()
        if re.fullmatch(r"\d{1,19}", text):
            return _object_row(source, int(text), bands)
        named = _from_des_name(text)
        if named is not None:
            return named
        if _TILE_NAME.match(text):
            try:
                tile = source.footprint.tile(text)
            except TileNotFoundError as err:
                raise TileNotFoundError(f"{label}: {err}") from None
            return ChartTarget(tile.ra, tile.dec, f"tile {tile.name}")
    if isinstance(target, SkyCoord) and not target.isscalar:
        raise PositionError(f"{label}: one position per chart, got {target.size}")
    try:
        [position] = parse_positions([target], 1)
    except PositionError as err:
        raise PositionError(
            f"{label}: {target!r} is not an object id, a DES name, a tile or a position "
            f"({str(err).removeprefix('position 1: ')})"
        ) from None
    assert position.ra is not None and position.dec is not None
    return ChartTarget(position.ra, position.dec, des_name(position.ra, position.dec))


# --- what to draw -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartOptions:
    """How to draw a chart.

    Attributes
    ----------
    size : float
        Side, arcmin (the cutout size limits).
    bands : tuple of str
        One band (a grey image) or three (red, green, blue: a Lupton colour image).
    marker : {"cross", "circle"}
        How the target is marked.
    catalog : bool
        Draw the catalog's objects in the field.
    mag_limit : float or None
        Only objects brighter (``MAG_AUTO`` of the first band) than this.
    positions : tuple of (ra, dec)
        The user's own positions to mark, degrees.
    """

    size: float = DEFAULT_CHART_SIZE
    bands: tuple[str, ...] = ("i",)
    marker: Literal["cross", "circle"] = "cross"
    catalog: bool = False
    mag_limit: float | None = None
    positions: tuple[tuple[float, float], ...] = ()


def chart_options(
    known: Sequence[str],
    *,
    size: Any = DEFAULT_CHART_SIZE,
    band: Any = "i",
    marker: str = "cross",
    catalog: bool = False,
    mag_limit: Any = None,
    positions: Any = (),
) -> ChartOptions:
    """Checked :class:`ChartOptions`; ``band`` is one band or three for colour (``"irg"``).

    Raises
    ------
    CutoutSizeError, UnknownBandError, CutoutError, PositionError
        For a size outside the cutout limits, an unknown band, two bands, a bad marker, a
        magnitude limit that is not a number, or a malformed position.
    """
    side = check_size(size, "size")
    bands = check_bands(band, known, "band")
    if len(bands) not in (1, 3):
        raise CutoutError(
            f"band: give one band, or three (red, green, blue) for colour, e.g. 'irg'; "
            f"got {', '.join(bands)}"
        )
    if marker not in ("cross", "circle"):
        raise CutoutError(f"marker must be 'cross' or 'circle', not {marker!r}")
    limit: float | None = None
    if mag_limit is not None:
        if isinstance(mag_limit, bool):
            raise CutoutError(f"mag_limit must be a number, not {mag_limit!r}")
        try:
            limit = float(mag_limit)
        except (TypeError, ValueError):
            raise CutoutError(f"mag_limit must be a number, not {mag_limit!r}") from None
        if not math.isfinite(limit):
            raise CutoutError(f"mag_limit must be a finite number, not {mag_limit!r}")
    marks: tuple[tuple[float, float], ...] = ()
    if positions is not None and len(positions):
        if len(positions) > FINDING_CHART_POSITIONS_MAX:
            raise CutoutError(
                f"positions: {len(positions)} given; a chart marks at most "
                f"{FINDING_CHART_POSITIONS_MAX} of your own positions"
            )
        try:
            parsed = parse_positions(positions, FINDING_CHART_POSITIONS_MAX)
        except PositionError as err:
            raise PositionError(f"positions: {err}") from None
        marks = tuple((p.ra, p.dec) for p in parsed if p.ra is not None and p.dec is not None)
    return ChartOptions(
        side,
        bands,
        "circle" if marker == "circle" else "cross",
        bool(catalog) or limit is not None,
        limit,
        marks,
    )


def field_objects(
    source: CutoutSource, ra: float, dec: float, radius_deg: float, options: ChartOptions
) -> list[tuple[float, float, float | None]]:
    """Catalog objects within ``radius_deg`` of (``ra``, ``dec``): (RA, Dec, MAG_AUTO of the
    chart's first band), the brightest :data:`CATALOG_OBJECTS_MAX` down to ``mag_limit``."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    magnitude = f"MAG_AUTO_{options.bands[0].upper()}"
    dec_low, dec_high = max(dec - radius_deg, -90.0), min(dec + radius_deg, 90.0)
    widest = max(abs(dec_low), abs(dec_high))
    half = 180.0 if widest >= 89.0 else radius_deg / math.cos(math.radians(widest))
    if half >= 180.0:
        ra_clause = "1 = 1"
    else:
        west, east = (ra - half) % 360.0, (ra + half) % 360.0
        joiner = "AND" if west <= east else "OR"
        ra_clause = f"(RA >= {west!r} {joiner} RA <= {east!r})"
    where = f"{ra_clause} AND DEC BETWEEN {dec_low!r} AND {dec_high!r}"
    if options.mag_limit is not None:
        where += f" AND {magnitude} < {options.mag_limit!r}"
    data = source.query_arrow(
        f"SELECT RA, DEC, {magnitude} AS MAG FROM {MAIN_TABLE} WHERE {where} ORDER BY MAG",
        limit=CATALOG_OBJECTS_MAX,
    )
    found = data.to_pydict()
    if not found["RA"]:
        return []
    centre = SkyCoord(ra, dec, unit="deg")
    objects = SkyCoord(found["RA"], found["DEC"], unit="deg")
    inside = centre.separation(objects) <= radius_deg * u.deg
    return [
        (float(a), float(d), float(m) if _usable_magnitude(m) else None)
        for a, d, m, keep in zip(found["RA"], found["DEC"], found["MAG"], inside, strict=True)
        if keep
    ]


@dataclass
class FindingChart:
    """A chart ready to draw: its target, options, image(s) and catalog objects.

    Attributes
    ----------
    target : ChartTarget
    options : ChartOptions
    images : list of CutImage
        One per band of ``options.bands``, on one pixel grid.
    tile : str
        The tile owning the target.
    release : str
    objects : list of (ra, dec, mag)
        The catalog's objects in the field, when asked for.
    """

    target: ChartTarget
    options: ChartOptions
    images: list[CutImage]
    tile: str
    release: str
    objects: list[tuple[float, float, float | None]] = field(default_factory=list)

    @property
    def wcs(self) -> Any:
        """The images' WCS (astropy)."""
        from astropy.wcs import WCS

        return WCS(self.images[0].header).celestial

    def pixel(self, ra: float, dec: float) -> tuple[float, float]:
        """The 0-based pixel (x, y) of a sky position on the chart's image."""
        x, y = self.wcs.wcs_world2pix([ra], [dec], 0)
        return float(x[0]), float(y[0])


def make_charts(
    source: CutoutSource, targets: Sequence[Any], options: ChartOptions
) -> list[FindingChart]:
    """Resolve ``targets``, cut their images and find their field's objects.

    Raises
    ------
    CutoutError
        For no target, or more than ``FINDING_CHART_TARGETS_MAX``.
    PositionError
        For a target outside the survey's (imaged) footprint; the message names it.
    ObjectNotFoundError, TileNotFoundError
        As :func:`resolve_target`.
    """
    if not targets:
        raise CutoutError("no target given: give an object id, a name or a position")
    if len(targets) > FINDING_CHART_TARGETS_MAX:
        raise CutoutError(
            f"{len(targets)} targets; finding charts take at most {FINDING_CHART_TARGETS_MAX} "
            "at once: make several PDFs, or a cutout job for many positions"
        )
    several = len(targets) > 1
    resolved = []
    for index, target in enumerate(targets, start=1):
        label = f"target {index}" if several else "target"
        found = resolve_target(source, target, options.bands, label)
        where = f"{label} {found.name}"
        tile = imaged_tile(source.footprint, found.ra, found.dec, where)
        resolved.append((found, tile, where))
    charts = []
    for found, tile, where in resolved:
        images = cut_now(
            source.footprint,
            source.release,
            found.ra,
            found.dec,
            options.size,
            options.size,
            options.bands,
            label=where,
            tile=tile,
        )
        by_band = {image.band: image for image in images}
        chart = FindingChart(
            found, options, [by_band[band] for band in options.bands], tile.name, source.release
        )
        if options.catalog:
            radius = options.size / 60.0 / math.sqrt(2.0)
            chart.objects = field_objects(source, found.ra, found.dec, radius, options)
        charts.append(chart)
    return charts


# --- drawing ----------------------------------------------------------------------------------


def _sexagesimal(ra: float, dec: float) -> str:
    from astropy.coordinates import SkyCoord

    position = SkyCoord(ra, dec, unit="deg")
    return str(position.to_string("hmsdms", sep=":", precision=2))


def _title(chart: FindingChart) -> str:
    target = chart.target
    lines = [
        f"{target.name}    tile {chart.tile}    {chart.release}",
        f"RA, Dec {target.ra:.6f} {target.dec:+.6f} deg    {_sexagesimal(target.ra, target.dec)}",
    ]
    if target.magnitudes:
        mags = "  ".join(f"{band} {mag:.2f}" for band, mag in target.magnitudes.items())
        lines.append(f"MAG_AUTO  {mags}")
    bands = "".join(chart.options.bands)
    lines.append(
        f"{bands}-band{' colour' if len(bands) == 3 else ''}, {chart.options.size:g} arcmin"
    )
    return "\n".join(lines)


def _pixels(chart: FindingChart) -> npt.NDArray[Any]:
    """The image to show: a Lupton colour image of three bands, or one band stretched."""
    if len(chart.images) == 3:
        red, green, blue = (image.data for image in chart.images)
        rgb = lupton_rgb(red, green, blue, *DEFAULT_LUPTON)  # as the cutout jobs' colour images
        return rgb[::-1]  # rows from the bottom, as the WCS counts them
    return np.nan_to_num(np.asarray(chart.images[0].data, dtype=np.float64))


def draw_chart(chart: FindingChart, figure: Figure | None = None) -> Figure:
    """Draw ``chart`` on a new matplotlib ``Figure`` (or ``figure``), with WCSAxes.

    The artists carry ids (``gid``) for tests and for the SVG/PDF reader: ``target``,
    ``compass-north``, ``compass-east``, ``scale-bar``, ``catalog``, ``positions``.
    """
    from astropy.visualization import AsinhStretch, ImageNormalize, ZScaleInterval
    from matplotlib import patheffects
    from matplotlib.figure import Figure

    fig = figure if figure is not None else Figure(figsize=(6.4, 7.4), layout="constrained")
    wcs = chart.wcs
    ax = fig.add_subplot(projection=wcs)
    pixels = _pixels(chart)
    rows, columns = pixels.shape[:2]
    colour = pixels.ndim == 3
    if colour:
        ax.imshow(pixels, origin="lower", interpolation="nearest")
    else:
        norm = ImageNormalize(pixels, interval=ZScaleInterval(), stretch=AsinhStretch(0.3))
        ax.imshow(pixels, origin="lower", cmap="gray_r", norm=norm, interpolation="nearest")
    ink = "white" if colour else "black"
    halo = [patheffects.withStroke(linewidth=3.5, foreground="black" if colour else "white")]
    accent = "#ff3030" if colour else "#d00000"
    ax.set_xlim(-0.5, columns - 0.5)
    ax.set_ylim(-0.5, rows - 0.5)
    ax.coords[0].set_axislabel("RA")
    ax.coords[1].set_axislabel("Dec")
    ax.coords[0].set_major_formatter("hh:mm:ss")
    ax.coords[1].set_major_formatter("dd:mm:ss")
    side = min(rows, columns)

    # the target
    x, y = chart.pixel(chart.target.ra, chart.target.dec)
    if chart.options.marker == "circle":
        ax.plot(
            [x],
            [y],
            marker="o",
            markersize=30,
            markeredgewidth=2,
            fillstyle="none",
            color=accent,
            gid="target",
            path_effects=halo,
        )
    else:
        gap, arm = 0.04 * side, 0.12 * side
        xs = [x - gap - arm, x - gap, np.nan, x + gap, x + gap + arm, np.nan, x, x, np.nan, x, x]
        ys = [y, y, np.nan, y, y, np.nan, y - gap - arm, y - gap, np.nan, y + gap, y + gap + arm]
        ax.plot(xs, ys, color=accent, linewidth=2, gid="target", path_effects=halo)
        ax.plot([x], [y], linestyle="none", gid="target-centre")

    # overlays
    if chart.objects:
        pixels_x, pixels_y = wcs.wcs_world2pix(
            [o[0] for o in chart.objects], [o[1] for o in chart.objects], 0
        )
        ax.scatter(pixels_x, pixels_y, s=60, facecolors="none", edgecolors="#1f77b4", gid="catalog")
    if chart.options.positions:
        pixels_x, pixels_y = wcs.wcs_world2pix(
            [p[0] for p in chart.options.positions], [p[1] for p in chart.options.positions], 0
        )
        ax.scatter(
            pixels_x,
            pixels_y,
            s=80,
            marker="s",
            facecolors="none",
            edgecolors="#2ca02c",
            gid="positions",
        )

    # compass, top right
    origin_x, origin_y = 0.8 * columns, 0.76 * rows
    arrows = compass(wcs, origin_x, origin_y)
    length = 0.12 * side
    for name, (dx, dy) in (("north", arrows.north), ("east", arrows.east)):
        tip_x, tip_y = origin_x + dx * length, origin_y + dy * length
        ax.plot(
            [origin_x, tip_x],
            [origin_y, tip_y],
            color=ink,
            linewidth=1.5,
            gid=f"compass-{name}",
            path_effects=halo,
        )
        ax.plot(
            [tip_x],
            [tip_y],
            marker=(3, 0, math.degrees(math.atan2(dy, dx)) - 90.0),
            color=ink,
            markersize=7,
            path_effects=halo,
        )
        ax.text(
            origin_x + dx * length * 1.35,
            origin_y + dy * length * 1.35,
            name[0].upper(),
            color=ink,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            path_effects=halo,
        )

    # scale bar, bottom left
    arcsec, label = scale_bar_length(chart.options.size)
    bar = scale_bar_pixels(wcs, arcsec)
    start_x, bar_y = 0.06 * columns, 0.07 * rows
    ax.plot(
        [start_x, start_x + bar],
        [bar_y, bar_y],
        color=ink,
        linewidth=3,
        gid="scale-bar",
        solid_capstyle="butt",
        path_effects=halo,
    )
    ax.text(
        start_x + bar / 2.0,
        bar_y + 0.025 * rows,
        label,
        color=ink,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        path_effects=halo,
    )

    fig.suptitle(_title(chart), fontsize=9, family="monospace", ha="left", x=0.02)
    return fig


def render_png(chart: FindingChart, dpi: int = 100) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    with _DRAWING:
        figure = draw_chart(chart)
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def render_pdf(charts: Iterable[FindingChart]) -> bytes:
    """The charts as one PDF, a page each."""
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with _DRAWING, PdfPages(buffer) as pages:
        for chart in charts:
            pages.savefig(draw_chart(chart))
    return buffer.getvalue()


def chart_bytes(
    source: CutoutSource, targets: Sequence[Any], *, format: str | None = None, **options: Any
) -> tuple[bytes, str]:
    """Finding charts of ``targets`` as a file: (bytes, media type).

    Parameters
    ----------
    source : CutoutSource
        The release (a :class:`~surveylab.Survey`).
    targets : sequence
        What to chart (see :func:`resolve_target`), at most ``FINDING_CHART_TARGETS_MAX``.
    format : {"png", "pdf"}, optional
        PNG (one target only) or PDF (a page per target); by default PNG for one target and PDF
        for several.
    **options
        Of :func:`chart_options`: ``size``, ``band``, ``marker``, ``catalog``, ``mag_limit``,
        ``positions``.

    Raises
    ------
    SurveylabError
        As :func:`chart_options` and :func:`make_charts`, or for an unknown format or a PNG of
        several targets.
    """
    from .cutouts.job import known_bands

    chosen = format or ("png" if len(targets) == 1 else "pdf")
    if chosen not in MEDIA_TYPES:
        raise CutoutError(f"format must be 'png' or 'pdf', not {format!r}")
    if chosen == "png" and len(targets) > 1:
        raise CutoutError(
            f"a PNG holds one chart, and {len(targets)} targets are given: ask for a PDF"
        )
    checked = chart_options(known_bands(source.footprint), **options)
    charts = make_charts(source, targets, checked)
    data = render_png(charts[0]) if chosen == "png" else render_pdf(charts)
    return data, MEDIA_TYPES[chosen]
