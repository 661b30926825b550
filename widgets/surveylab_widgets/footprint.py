"""FootprintViewer: the release on the sky in ipyaladin, offline.

The viewer is an :class:`ipyaladin.Aladin` whose front end loads Aladin Lite from surveylab's
own copy (:mod:`surveylab_widgets.aladin`), whose background is the release's HiPS when one is
built, and whose overlays (tile outlines, HEALPix counts, the MOC, markers of result rows) live
in the widget state, so an exported notebook shows them with no kernel.

Examples
--------
>>> from surveylab_widgets.footprint import FootprintViewer
>>> viewer = FootprintViewer()  # doctest: +SKIP
>>> viewer.add_table(survey.quick("SELECT RA, DEC, MAG_AUTO_G FROM DR1_MAIN"))  # doctest: +SKIP
>>> viewer.selection("rectangle")  # ipyaladin's tool: drag a box on the sky  # doctest: +SKIP
>>> viewer.selected  # the rows picked, an astropy Table  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

import numpy as np
import traitlets
from astropy.table import Table
from ipyaladin import Aladin

from surveylab import Survey
from surveylab.hips import hips_properties

from .aladin import offline_esm
from .assets import AssetMissingError

__all__ = [
    "LAYER_NAMES",
    "FootprintViewer",
    "NoPositionsError",
    "as_table",
    "healpix_layer",
    "marker_layer",
    "moc_layer",
    "position_columns",
    "tile_layer",
]

#: The survey overlays a viewer draws by default, bottom to top.
LAYER_NAMES = ("tiles", "healpix", "moc")
#: The demo survey's M2 field: where the view starts when nothing better is known.
DEFAULT_TARGET = (323.36, -0.82)
TILE_COLOUR = "#4dd0e1"
MOC_COLOUR = "#ffb74d"
MARKER_COLOUR = "#ff4081"
#: viridis at 0, 0.25, 0.5, 0.75, 1 (the lab viewer's scale).
VIRIDIS = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
#: Where the view says why it cannot load Aladin Lite, instead of failing to import.
_ERROR_ESM = "export default { render({ el }) { el.textContent = %s; } };"


class NoPositionsError(ValueError):
    """A table has no rows or no RA/DEC columns to place on the sky."""


def _esm() -> str:
    try:
        return offline_esm()
    except AssetMissingError as err:
        return _ERROR_ESM % json.dumps(f"The footprint viewer cannot start: {err}")


# --- pure functions: the layers, as JSON-ready dicts --------------------------------------------


def _continuous(ring: Sequence[tuple[float, float]]) -> list[list[float]]:
    """A polygon's vertices with RA kept within 180° of its first vertex (no jump at 0/360)."""
    ra0 = ring[0][0]
    return [[ra0 + ((ra - ra0 + 180.0) % 360.0 - 180.0), dec] for ra, dec in ring]


def tile_layer(survey: Survey, color: str = TILE_COLOUR) -> dict[str, Any]:
    """The coadd tiles' outlines: one polygon of four corners per tile."""
    tiles = survey.footprint.tiles
    return {
        "type": "polygons",
        "name": "tiles",
        "color": color,
        "polygons": [_continuous(tile.corners) for tile in tiles],
        "labels": [tile.name for tile in tiles],
    }


def viridis(fractions: np.ndarray[Any, np.dtype[np.float64]]) -> list[str]:
    """Hex colours of ``fractions`` (0 to 1) on the viridis scale."""
    stops = np.linspace(0.0, 1.0, len(VIRIDIS))
    channels = np.array(VIRIDIS, dtype=float)
    rgb = np.stack([np.interp(fractions, stops, channels[:, c]) for c in range(3)], axis=-1)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in np.rint(rgb).astype(int)]


def healpix_layer(counts: Table, opacity: float = 0.3) -> dict[str, Any]:
    """Filled HEALPix pixels coloured by their object count (log scale, viridis).

    ``counts`` is :meth:`surveylab.Survey.healpix_counts`'s table (``HPIX``, ``COUNT``, meta
    ``NSIDE``, nested ordering).
    """
    from astropy_healpix import HEALPix

    nside = int(counts.meta["NSIDE"])
    pixels = np.asarray(counts["HPIX"], dtype=np.int64)
    values = np.asarray(counts["COUNT"], dtype=float)
    polygons: list[list[list[float]]] = []
    if len(pixels):
        lon, lat = HEALPix(nside=nside, order="nested").boundaries_lonlat(pixels, step=1)
        for ras, decs in zip(lon.to_value("deg"), lat.to_value("deg"), strict=True):
            polygons.append(_continuous(list(zip(ras.tolist(), decs.tolist(), strict=True))))
    logs = np.log10(np.maximum(values, 1.0))
    span = float(logs.max() - logs.min()) if len(logs) else 0.0
    fractions = (logs - logs.min()) / span if span > 0 else np.zeros_like(logs)
    return {
        "type": "polygons",
        "name": "healpix",
        "fill": True,
        "opacity": opacity,
        "color": "#21918c",
        "colors": viridis(fractions),
        "polygons": polygons,
        "labels": [f"{int(v):,} objects" for v in values],
        "nside": nside,
        "range": [int(values.min()), int(values.max())] if len(values) else [0, 0],
    }


def moc_layer(moc: Any, color: str = MOC_COLOUR) -> dict[str, Any]:
    """A mocpy MOC as Aladin's JSON MOC (``{"order": [cells]}``)."""
    cells = moc.serialize(format="json")
    return {
        "type": "moc",
        "name": "moc",
        "color": color,
        "json": {str(order): [int(c) for c in pixels] for order, pixels in cells.items()},
    }


def as_table(data: Any) -> Table:
    """An astropy Table from a Table, a quick result (``columns``/``rows``) or anything
    ``Table()`` takes (a dict of columns, a pandas DataFrame...)."""
    if isinstance(data, Table):
        return data
    if hasattr(data, "columns") and hasattr(data, "rows"):
        names = [column.name for column in data.columns]
        return Table(rows=data.rows, names=names) if data.rows else Table(names=names)
    return Table(data)


def position_columns(table: Table) -> tuple[str, str]:
    """The names of ``table``'s RA and Dec columns (``RA``/``DEC`` in any case, or
    ``RA_DEG``/``DEC_DEG``, ``ALPHAWIN_J2000``/``DELTAWIN_J2000``).

    Raises
    ------
    NoPositionsError
        If there are none.
    """
    by_upper = {name.upper(): name for name in table.colnames}
    for ra, dec in (("RA", "DEC"), ("RA_DEG", "DEC_DEG"), ("ALPHAWIN_J2000", "DELTAWIN_J2000")):
        if ra in by_upper and dec in by_upper:
            return by_upper[ra], by_upper[dec]
    raise NoPositionsError(
        "the table has no RA/DEC columns (its columns: "
        + (", ".join(table.colnames) or "none")
        + ")"
    )


def marker_layer(
    table: Table,
    name: str = "result",
    color: str = MARKER_COLOUR,
    label: str | None = None,
    rows: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Markers at ``table``'s rows (or at ``rows`` of it), each knowing its row index.

    Raises
    ------
    NoPositionsError
        If the table is empty or has no RA/DEC columns.
    """
    if len(table) == 0:
        raise NoPositionsError("the table is empty")
    ra_name, dec_name = position_columns(table)
    index = np.arange(len(table)) if rows is None else np.asarray(rows, dtype=np.int64)
    ra: np.ndarray[Any, np.dtype[np.float64]] = np.ma.filled(
        np.ma.asarray(table[ra_name], dtype=float), np.nan
    )[index]
    dec: np.ndarray[Any, np.dtype[np.float64]] = np.ma.filled(
        np.ma.asarray(table[dec_name], dtype=float), np.nan
    )[index]
    good = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90)
    if not good.any():
        raise NoPositionsError("the table has no rows with valid RA/DEC")
    labels = None
    if label is not None:
        labels = [str(v) for v in np.asarray(table[label])[index][good]]
    return {
        "type": "markers",
        "name": name,
        "color": color,
        "ra": (ra[good] % 360.0).tolist(),
        "dec": dec[good].tolist(),
        "rows": index[good].tolist(),
        "labels": labels,
    }


# --- the widget ----------------------------------------------------------------------------------


class FootprintViewer(Aladin):  # type: ignore[misc]  # ipyaladin ships no type hints
    """The survey's footprint in Aladin Lite: HiPS, tiles, HEALPix counts, MOC and markers.

    Parameters
    ----------
    survey : Survey, optional
        The release; ``Survey()`` (from ``SURVEYLAB_*`` settings) by default.
    target : SkyCoord, str or (ra, dec), optional
        Where the view starts; the HiPS's initial position (or M2's field) by default.
    fov : float
        The field of view, degrees.
    layers : iterable of str
        The survey overlays to draw (:data:`LAYER_NAMES`).
    nside, moc_order : int
        Resolution of the HEALPix counts and of the MOC.
    **options
        More ipyaladin/Aladin Lite options (``height``, ``projection``, ...).

    Notes
    -----
    With a HiPS built (``surveylab hips build``), the background is ``surveylab:hips``, which
    the front end resolves to the lab's ``/surveylab/api/hips``. A published notebook has no
    server: it asks for no HiPS, draws the overlays on a plain sky and says why under the view.
    Problems (no footprint, bad tables) go to :attr:`message`, which the widget shows; nothing
    raises into the output.
    """

    _esm = _esm()

    _layers = traitlets.List(
        traitlets.Dict(), help="The overlays, as drawn by the front end (JSON, in the state)."
    ).tag(sync=True)
    message = traitlets.Unicode("", help="A problem to show in the widget; '' for none.").tag(
        sync=True
    )

    def __init__(
        self,
        survey: Survey | None = None,
        target: Any = None,
        fov: float = 4.0,
        layers: Iterable[str] = LAYER_NAMES,
        nside: int = 32,
        moc_order: int = 9,
        **options: Any,
    ) -> None:
        self._survey = survey or Survey()
        self._tables: dict[str, Table] = {}
        self._listeners: list[Callable[[Table], None]] = []
        problems: list[str] = []
        hips = self._hips()
        start = target if target is not None else _hips_target(hips)
        options.setdefault("show_simbad_pointer_control", False)
        options.setdefault("show_settings_control", False)
        options.setdefault("show_share_control", False)
        super().__init__(target=start, fov=fov, survey="surveylab:hips" if hips else "", **options)
        drawn = []
        builders: dict[str, Callable[[], dict[str, Any]]] = {
            "tiles": lambda: tile_layer(self._survey),
            "healpix": lambda: healpix_layer(self._survey.healpix_counts(nside)),
            "moc": lambda: moc_layer(self._survey.moc(moc_order)),
        }
        for name in layers:
            if name not in builders:
                problems.append(f"unknown layer {name!r} (known: {', '.join(builders)})")
                continue
            try:
                drawn.append(builders[name]())
            except Exception as err:  # any core error becomes the widget's message
                problems.append(f"{name}: {err}")
        self._layers = drawn
        self.message = "; ".join(problems)
        self.observe(self._on_select, names="_selected_objects")

    def _hips(self) -> dict[str, str] | None:
        try:
            return hips_properties(self._survey.settings.data_dir)
        except Exception:  # no HiPS built: a plain dark sky
            return None

    @property
    def source(self) -> Survey:
        """The release shown (``survey`` is ipyaladin's trait: the background HiPS's URL)."""
        return self._survey

    @property
    def layers(self) -> dict[str, int]:
        """The overlays, by name, with their number of shapes (a MOC's: its cells), as the
        front end counts them."""
        return {layer["name"]: _shapes(layer) for layer in self._layers}

    def add_table(  # replaces ipyaladin's (a VOTable by message): markers in the state
        self,
        table: Any,
        name: str = "result",
        color: str = MARKER_COLOUR,
        label: str | None = None,
        rows: Sequence[int] | None = None,
    ) -> bool:
        """Show ``table``'s rows as markers (replacing a layer of the same ``name``).

        Returns False, with the reason in :attr:`message`, if the table cannot be placed (empty,
        no RA/DEC). The rows picked in the view come back in :attr:`selected`.
        """
        try:
            table = as_table(table)
            layer = marker_layer(table, name=name, color=color, label=label, rows=rows)
        except (NoPositionsError, KeyError, ValueError, TypeError) as err:
            self.message = f"Cannot show {name!r}: {err}"
            return False
        self._tables[name] = table
        self._layers = [other for other in self._layers if other["name"] != name] + [layer]
        self.message = ""
        return True

    @property
    def tables(self) -> dict[str, Table]:
        """The tables shown as markers, by layer name."""
        return dict(self._tables)

    def remove_layer(self, name: str) -> None:
        """Remove the overlay ``name`` (a survey layer or a table's markers)."""
        self._layers = [layer for layer in self._layers if layer["name"] != name]
        self._tables.pop(name, None)

    def selected_rows(self, name: str = "result") -> list[int]:
        """Row indices of table ``name`` that are selected in the view, in order."""
        rows = {
            int(obj["data"]["row"])
            for group in self._selected_objects
            for obj in group
            if isinstance(obj.get("data"), dict) and obj["data"].get("layer") == name
        }
        return sorted(rows)

    @property
    def selected(self) -> Table:
        """The rows of the added table (``"result"``, else the first) selected in the view
        (with ipyaladin's ``selection("rectangle")`` or ``selection("circle")`` tool)."""
        if not self._tables:
            return Table()
        name = "result" if "result" in self._tables else next(iter(self._tables))
        return self._tables[name][self.selected_rows(name)]

    def on_selection(self, callback: Callable[[Table], None]) -> None:
        """Call ``callback(selection)`` whenever the selection in the view changes."""
        self._listeners.append(callback)

    def _on_select(self, _change: dict[str, Any]) -> None:
        selection = self.selected
        for callback in self._listeners:
            callback(selection)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | tuple[dict[str, Any], Any]:
        """The widget view, plus an SVG sketch of the overlays for renderers with no widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/html"] = static_html(self._layers, self.message)
        return data, metadata


def _shapes(layer: dict[str, Any]) -> int:
    """How many shapes a layer draws: polygons, markers or MOC cells."""
    if layer["type"] == "moc":
        return sum(len(cells) for cells in layer["json"].values())
    return len(layer.get("polygons") or layer.get("ra") or [])


def _hips_target(hips: dict[str, str] | None) -> tuple[float, float]:
    try:
        if hips is not None:
            return float(hips["hips_initial_ra"]), float(hips["hips_initial_dec"])
    except (KeyError, ValueError):
        pass
    return DEFAULT_TARGET


def static_html(layers: Sequence[dict[str, Any]], message: str = "", size: int = 360) -> str:
    """An SVG sketch of the overlays (RA increasing to the left), the viewer's static fallback."""
    points: list[tuple[float, float]] = []
    for layer in layers:
        for polygon in layer.get("polygons", []):
            points.extend((ra, dec) for ra, dec in polygon)
        points.extend(zip(layer.get("ra", []), layer.get("dec", []), strict=True))
    parts = [f"<p style='color:#b71c1c'>{escape(message)}</p>" if message else ""]
    if points:
        ras = np.array([p[0] for p in points])
        ra0 = float(ras[0])
        ras = ra0 + ((ras - ra0 + 180.0) % 360.0 - 180.0)
        decs = np.array([p[1] for p in points])
        cos = max(math.cos(math.radians(float(np.median(decs)))), 0.05)
        lo_x, hi_x, lo_y, hi_y = ras.min(), ras.max(), decs.min(), decs.max()
        scale = size / max((hi_x - lo_x) * cos, hi_y - lo_y, 1e-6)

        def xy(ra: float, dec: float) -> str:
            ra = ra0 + ((ra - ra0 + 180.0) % 360.0 - 180.0)
            return f"{(hi_x - ra) * cos * scale + 5:.1f},{(hi_y - dec) * scale + 5:.1f}"

        shapes = []
        for layer in layers:
            colours = layer.get("colors") or [layer.get("color", TILE_COLOUR)] * len(
                layer.get("polygons", [])
            )
            for polygon, colour in zip(layer.get("polygons", []), colours, strict=True):
                fill = colour if layer.get("fill") else "none"
                shapes.append(
                    f"<polygon points='{' '.join(xy(ra, dec) for ra, dec in polygon)}' "
                    f"stroke='{colour}' fill='{fill}' fill-opacity='0.5'/>"
                )
            for ra, dec in zip(layer.get("ra", []), layer.get("dec", []), strict=True):
                x, y = xy(ra, dec).split(",")
                shapes.append(f"<circle cx='{x}' cy='{y}' r='2' fill='{layer['color']}'/>")
        parts.append(
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{size + 10}' height='{size + 10}' "
            f"style='background:#000'>{''.join(shapes)}</svg>"
        )
    return "<div class='surveylab-footprint-static'>" + "".join(parts) + "</div>"
