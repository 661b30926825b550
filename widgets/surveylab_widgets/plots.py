"""Colour-magnitude and colour-colour diagrams of a result.

- :func:`colour_magnitude` and :func:`colour_colour`: HoloViews hex tiles (Bokeh). The rows are
  binned with numpy first (on a grid :data:`OVERSAMPLE` times finer than the hexagons, so that
  every hexagon under the data gets bins), so a million rows make a plot of a few thousand
  hexagons, in the kernel and in the output.
- :func:`sed`: objects' magnitudes against the DES bands' effective wavelengths
  (:data:`surveylab.bands.PASSBANDS`), with their errors: a few lines, not a binned cloud.
- :func:`colour_colour_sed`: the colour-colour hex tiles with the objects as points; clicking
  one shows its SED beside them (Bokeh ``TapTool`` + ``CustomJS``: no kernel needed, so it
  works in a published page too).
- :func:`linked_scatter`: a bqplot scatter with a brush; the brushed rows are in
  :attr:`LinkedScatter.selected` and, with a :class:`~surveylab_widgets.footprint.FootprintViewer`,
  shown on the sky as markers; rows picked on the viewer's sky are selected in the scatter.

Bad input (an empty table, missing magnitude columns) gives a plot or widget that says so.

Examples
--------
>>> import holoviews as hv; hv.extension("bokeh")  # doctest: +SKIP
>>> plots.colour_magnitude(result, blue="g", red="r", mag="r")  # doctest: +SKIP
>>> scatter = plots.linked_scatter(result, viewer=viewer)  # doctest: +SKIP
>>> scatter.selected  # the brushed rows, an astropy Table  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import ipywidgets as widgets
import numpy as np
from astropy.table import Table

from .footprint import as_table

__all__ = [
    "BadColumnsError",
    "LinkedScatter",
    "binned",
    "colour_colour",
    "colour_colour_sed",
    "colour_magnitude",
    "linked_scatter",
    "magnitude_column",
    "sed",
]

#: Hexagons across the x axis.
GRIDSIZE = 60
#: The numpy pre-aggregation's bins per hexagon width: with one bin per hexagon some rows of
#: hexagons would fall between bin centres and show as holes.
OVERSAMPLE = 4
#: Magnitudes beyond these are flags (99, -99) or failures, not measurements.
MAG_RANGE = (5.0, 40.0)
#: An SED plot shows at most this many objects (the first rows), so that it stays legible.
MAX_SED_OBJECTS = 20
#: The DES bands, blue to red.
DES_BANDS = ("g", "r", "i", "z", "Y")
#: The linked colour-colour plot draws at most this many objects as points to click.
MAX_LINKED_POINTS = 2_000
#: The bqplot scatter draws at most this many points (a random subset, reproducible).
MAX_SCATTER_POINTS = 20_000
SELECTED_COLOUR = "#ffee58"
#: The brushed points in the scatter (bqplot's own selected style, and the highlight mark).
BRUSHED_COLOUR = "orange"

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class BadColumnsError(ValueError):
    """A table lacks the columns a plot needs, or has no usable rows."""


def magnitude_column(table: Table, band: str, prefix: str = "MAG_AUTO_") -> str:
    """The column of ``band``'s magnitude: ``band`` itself if a column, else ``<prefix><BAND>``
    (case-insensitive).

    Raises
    ------
    BadColumnsError
        If there is none.
    """
    by_upper = {name.upper(): name for name in table.colnames}
    for candidate in (band.upper(), f"{prefix}{band}".upper()):
        if candidate in by_upper:
            return str(by_upper[candidate])
    raise BadColumnsError(
        f"no magnitude column for band {band!r} (looked for {band!r} and {prefix}{band.upper()}; "
        f"columns: {', '.join(table.colnames) or 'none'})"
    )


def _values(table: Table, column: str) -> FloatArray:
    values: FloatArray = np.asarray(
        np.ma.filled(np.ma.asarray(table[column], dtype=float), np.nan), dtype=float
    )
    return values


def _magnitudes(table: Table, bands: Sequence[str]) -> dict[str, FloatArray]:
    if len(table) == 0:
        raise BadColumnsError("the table is empty")
    mags = {band: _values(table, magnitude_column(table, band)) for band in bands}
    return mags


def _good(*arrays: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
    good = np.ones(len(arrays[0]), dtype=bool)
    for values in arrays:
        good &= np.isfinite(values)
    return good


def binned(x: FloatArray, y: FloatArray, gridsize: int = GRIDSIZE) -> tuple[FloatArray, ...]:
    """Counts of ``(x, y)`` on a square grid of ``gridsize`` bins a side: the non-empty bins'
    centres and counts.

    This is the aggregation that keeps a million rows out of the plot.
    """
    counts, x_edges, y_edges = np.histogram2d(x, y, bins=gridsize)
    xc = (x_edges[:-1] + x_edges[1:]) / 2
    yc = (y_edges[:-1] + y_edges[1:]) / 2
    ix, iy = np.nonzero(counts)
    return xc[ix], yc[iy], counts[ix, iy]


def _message(text: str) -> Any:
    import holoviews as hv
    import holoviews.plotting.bokeh  # registers the Bokeh options; shows text escaped

    return hv.Div(text).opts(width=480, height=40, backend="bokeh")


def _hex_plot(
    x: FloatArray,
    y: FloatArray,
    xlabel: str,
    ylabel: str,
    title: str,
    gridsize: int,
    invert_y: bool,
) -> Any:
    import holoviews as hv
    import holoviews.plotting.bokeh  # registers the Bokeh options used below

    if len(x) == 0:
        return _message(f"{title}: no rows with finite values")
    bx, by, counts = binned(x, y, gridsize * OVERSAMPLE)
    tiles = hv.HexTiles((bx, by, counts), kdims=[xlabel, ylabel], vdims=["count"])
    return tiles.opts(
        aggregator=np.sum,
        gridsize=gridsize,
        cmap="viridis",
        logz=True,
        colorbar=True,
        tools=["hover"],
        title=f"{title} ({int(counts.sum()):,} objects)",
        invert_yaxis=invert_y,
        width=480,
        height=420,
        backend="bokeh",
    )


def colour_magnitude(
    table: Any,
    blue: str = "g",
    red: str = "r",
    mag: str | None = None,
    gridsize: int = GRIDSIZE,
    title: str = "Colour-magnitude",
) -> Any:
    """A colour-magnitude diagram: ``blue - red`` against ``mag`` (default ``red``), as hex
    tiles of object counts (log colour scale), magnitudes bright at the top.

    Returns a HoloViews ``HexTiles``, or a ``Div`` with the problem (empty table, missing
    columns).
    """
    mag = mag or red
    try:
        mags = _magnitudes(as_table(table), [blue, red, mag])
    except (BadColumnsError, ValueError, TypeError) as err:
        return _message(f"{title}: {err}")
    colour = mags[blue] - mags[red]
    good = _good(colour, mags[mag]) & _in_range(mags[blue], mags[red], mags[mag])
    return _hex_plot(
        colour[good], mags[mag][good], f"{blue} - {red}", mag, title, gridsize, invert_y=True
    )


def colour_colour(
    table: Any,
    bands: Sequence[str] = ("g", "r", "i"),
    gridsize: int = GRIDSIZE,
    title: str = "Colour-colour",
) -> Any:
    """A colour-colour diagram of three bands ``(a, b, c)``: ``a - b`` against ``b - c``, as
    hex tiles of object counts. Returns ``HexTiles``, or a ``Div`` with the problem.
    """
    try:
        if len(bands) != 3:
            raise BadColumnsError(f"a colour-colour diagram needs 3 bands, got {list(bands)}")
        a, b, c = bands
        mags = _magnitudes(as_table(table), [a, b, c])
    except (BadColumnsError, ValueError, TypeError) as err:
        return _message(f"{title}: {err}")
    x = mags[b] - mags[c]
    y = mags[a] - mags[b]
    good = _good(x, y) & _in_range(mags[a], mags[b], mags[c])
    return _hex_plot(x[good], y[good], f"{b} - {c}", f"{a} - {b}", title, gridsize, False)


def sed(
    table: Any,
    bands: Sequence[str] = DES_BANDS,
    id_column: str = "COADD_OBJECT_ID",
    error_prefix: str = "MAGERR_AUTO_",
    max_objects: int = MAX_SED_OBJECTS,
    title: str = "SED",
) -> Any:
    """Spectral energy distributions: each object's magnitude in ``bands`` (columns as
    :func:`magnitude_column` finds them, ``MAG_AUTO_G``...) against the band's effective
    wavelength in nm (:data:`surveylab.bands.PASSBANDS`), with ``<error_prefix><BAND>`` error
    bars where the table has them; bright at the top, one line per object (labelled by
    ``id_column`` if present), at most ``max_objects`` (the first rows).

    Flags (99, -99) and NULLs leave a band out of that object's line. Returns a HoloViews
    ``Overlay``, or a ``Div`` with the problem (an empty table, an unknown band, no magnitude
    columns, no measured magnitude).
    """
    import holoviews as hv
    import holoviews.plotting.bokeh  # registers the Bokeh options used below

    from surveylab.bands import passband

    try:
        rows = as_table(table)[:max_objects]
        unknown = [band for band in bands if passband(band) is None]
        if unknown:
            raise BadColumnsError(f"no wavelength known for band(s) {', '.join(unknown)}")
        mags = _magnitudes(rows, bands)
    except (BadColumnsError, ValueError, TypeError) as err:
        return _message(f"{title}: {err}")
    nm = np.array([passband(band).effective * 1e9 for band in bands])  # type: ignore[union-attr]
    errors = {band: _optional_values(rows, f"{error_prefix}{band}") for band in bands}
    names = [str(v) for v in rows[id_column]] if id_column in rows.colnames else None
    layers: list[Any] = []
    for k in range(len(rows)):
        mag = np.array([mags[band][k] for band in bands])
        sigma = np.nan_to_num(np.array([errors[band][k] for band in bands]), nan=0.0)
        keep = _good(mag) & _in_range(mag)
        if not keep.any():
            continue
        label = names[k] if names else f"row {k + 1}"
        kdims, vdims = ["wavelength (nm)"], ["magnitude"]
        points = (nm[keep], mag[keep])
        layers += [
            hv.Curve(points, kdims, vdims, label=label),
            hv.Scatter(points, kdims, vdims, label=label).opts(size=7, backend="bokeh"),
            hv.ErrorBars((*points, sigma[keep]), kdims, [*vdims, "error"]),
        ]
    if not layers:
        return _message(f"{title}: no object has a measured magnitude in {', '.join(bands)}")
    return hv.Overlay(layers).opts(
        title=f"{title} ({len(layers) // 3} objects)",
        invert_yaxis=True,
        width=520,
        height=380,
        legend_position="right",
        show_grid=True,
        backend="bokeh",
    )


#: In the browser: fill the SED's source from the tapped point's magnitudes (``args``: the
#: points' and the SED's sources, the bands, their wavelengths, the magnitude range, the SED
#: figure's title). Flags, NULLs and NaNs leave a band out, as in :func:`sed`.
_SHOW_SED_JS = """
const i = points.selected.indices[0];
if (i === undefined) { return; }
const wavelength = [], magnitude = [], upper = [], lower = [], band = [];
for (let b = 0; b < bands.length; b++) {
  const mag = points.data['mag_' + bands[b]][i];
  if (!(mag > mag_range[0] && mag < mag_range[1])) { continue; }
  const raw = points.data['err_' + bands[b]][i];
  const err = Number.isFinite(raw) ? raw : 0;
  wavelength.push(nm[b]); magnitude.push(mag); band.push(bands[b]);
  upper.push(mag + err); lower.push(mag - err);
}
sed.data = {wavelength, magnitude, upper, lower, band};
title.text = 'SED of ' + points.data['label'][i] + ' (' + points.data['colours'][i] + ')';
"""


def colour_colour_sed(
    table: Any,
    bands: Sequence[str] = ("g", "r", "i"),
    sed_bands: Sequence[str] | None = None,
    id_column: str = "COADD_OBJECT_ID",
    error_prefix: str = "MAGERR_AUTO_",
    max_points: int = MAX_LINKED_POINTS,
    gridsize: int = GRIDSIZE,
    title: str = "Colour-colour",
) -> Any:
    """A colour-colour diagram linked to an SED: click an object's point and its SED shows.

    The hex tiles of :func:`colour_colour` with the objects drawn over them as points (at most
    ``max_points``, a seeded random subset, which the title says), and beside them an SED plot
    as :func:`sed` draws it (``sed_bands``: default the DES bands the table has magnitudes
    for). The link is a Bokeh ``TapTool`` and a ``CustomJS`` callback that fills the SED from
    the point's magnitudes, all carried by the page: it works in the notebook and in a
    published page, with no kernel.

    Returns a Panel ``Bokeh`` pane of a Bokeh ``Row`` (its ``object``), or a HoloViews ``Div``
    with the problem (as :func:`colour_colour`).

    Examples
    --------
    >>> plots.colour_colour_sed(result, bands=("g", "r", "i"))  # doctest: +SKIP
    """
    import panel as pn
    from bokeh.layouts import row
    from bokeh.models import ColumnDataSource, CustomJS, DataRange1d, HoverTool, Range1d, TapTool
    from bokeh.models.annotations import Whisker
    from bokeh.plotting import figure

    from surveylab.bands import passband

    hex_tiles = colour_colour(table, bands, gridsize, title)
    import holoviews as hv

    if isinstance(hex_tiles, hv.Div):
        return hex_tiles
    rows = as_table(table)
    a, b, c = bands
    if sed_bands is None:
        sed_bands = [band for band in DES_BANDS if _has_magnitude(rows, band)]
    try:
        unknown = [band for band in sed_bands if passband(band) is None]
        if unknown:
            raise BadColumnsError(f"no wavelength known for band(s) {', '.join(unknown)}")
        mags = _magnitudes(rows, list(dict.fromkeys([a, b, c, *sed_bands])))
    except (BadColumnsError, ValueError, TypeError) as err:
        return _message(f"{title}: {err}")
    x, y = mags[b] - mags[c], mags[a] - mags[b]
    good = np.flatnonzero(_good(x, y) & _in_range(mags[a], mags[b], mags[c]))
    shown = good
    if len(good) > max_points:
        shown = np.sort(np.random.default_rng(0).choice(good, max_points, replace=False))
    ids = [str(v) for v in rows[id_column][shown]] if id_column in rows.colnames else None
    labels = ids or [f"row {k + 1}" for k in shown]
    data: dict[str, Any] = {
        "x": x[shown],
        "y": y[shown],
        "label": labels,
        "colours": [
            f"{b}-{c} {u:.2f}, {a}-{b} {v:.2f}" for u, v in zip(x[shown], y[shown], strict=True)
        ],
    }
    for band in sed_bands:
        data[f"mag_{band}"] = mags[band][shown]
        data[f"err_{band}"] = _optional_values(rows, f"{error_prefix}{band}")[shown]
    points = ColumnDataSource(data, name="surveylab-ccd-points")

    ccd = hv.render(hex_tiles, backend="bokeh")
    ccd.name = "surveylab-ccd-figure"
    subset = "" if len(shown) == len(good) else f"; {len(shown):,} of them as points"
    ccd.title.text = f"{title} ({len(good):,} objects{subset}): click a point for its SED"
    dots = ccd.scatter(
        "x",
        "y",
        source=points,
        size=6,
        fill_color="white",
        line_color="black",
        fill_alpha=0.7,
        selection_fill_color=SELECTED_COLOUR,
        selection_line_color="black",
        nonselection_fill_alpha=0.4,
        name="surveylab-ccd-dots",
    )
    ccd.add_tools(
        HoverTool(renderers=[dots], tooltips=[("object", "@label"), ("colours", "@colours")]),
    )

    nm = [passband(band).effective * 1e9 for band in sed_bands]  # type: ignore[union-attr]
    sed_source = ColumnDataSource(
        {"wavelength": [], "magnitude": [], "upper": [], "lower": [], "band": []},
        name="surveylab-sed",
    )
    spectrum = figure(
        title="SED: click a point of the colour-colour diagram",
        x_axis_label="wavelength (nm)",
        y_axis_label="magnitude",
        width=460,
        height=420,
        x_range=Range1d(start=min(nm) - 60, end=max(nm) + 60),
        y_range=DataRange1d(flipped=True),  # bright at the top
        name="surveylab-sed-figure",
    )
    spectrum.line("wavelength", "magnitude", source=sed_source, line_width=2)
    spectrum.scatter("wavelength", "magnitude", source=sed_source, size=8)
    spectrum.add_layout(Whisker(base="wavelength", upper="upper", lower="lower", source=sed_source))
    callback = CustomJS(
        args={
            "points": points,
            "sed": sed_source,
            "bands": list(sed_bands),
            "nm": nm,
            "mag_range": list(MAG_RANGE),
            "title": spectrum.title,
        },
        code=_SHOW_SED_JS,
    )
    ccd.add_tools(TapTool(renderers=[dots]))
    points.selected.js_on_change("indices", callback)
    layout = row(ccd, spectrum, name="surveylab-ccd-sed")
    return pn.pane.Bokeh(layout)  # type: ignore[no-untyped-call]  # panel has no type hints here


def _has_magnitude(table: Table, band: str) -> bool:
    try:
        magnitude_column(table, band)
    except BadColumnsError:
        return False
    return True


def _optional_values(table: Table, column: str) -> FloatArray:
    """The column (case-insensitive) as floats, or NaN everywhere if the table has none."""
    by_upper = {name.upper(): name for name in table.colnames}
    if column.upper() not in by_upper:
        return np.full(len(table), np.nan)
    return _values(table, by_upper[column.upper()])


def _in_range(*mags: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
    good = np.ones(len(mags[0]), dtype=bool)
    for values in mags:
        with np.errstate(invalid="ignore"):
            good &= (values > MAG_RANGE[0]) & (values < MAG_RANGE[1])
    return good


class LinkedScatter(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A bqplot scatter of a table with a brush: :attr:`selected` holds the brushed rows.

    The selected points are also drawn by a second mark (:attr:`highlight`), from the widget
    state: bqplot styles a selection only when it changes in a live view, so without it a
    selection made in code would not show in a published page. With ``viewer``, the brushed
    rows are shown on its sky as the ``"selected"`` markers. Build it with
    :func:`linked_scatter`.
    """

    def __init__(
        self,
        table: Table,
        x: str,
        y: str,
        viewer: Any = None,
        invert_y: bool = False,
        max_points: int = MAX_SCATTER_POINTS,
    ) -> None:
        import bqplot

        self.table = table
        self.viewer = viewer
        self.message = widgets.HTML()
        self.message.add_class("surveylab-plot-message")
        self.rows = np.zeros(0, dtype=np.int64)
        x_scale, y_scale = bqplot.LinearScale(), bqplot.LinearScale(reverse=invert_y)
        self.scatter = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": x_scale, "y": y_scale},
            default_size=4,
            colors=["#1f77b4"],
            selected_style={"fill": BRUSHED_COLOUR, "stroke": BRUSHED_COLOUR},
            unselected_style={"opacity": 0.3},
        )
        self.highlight = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": x_scale, "y": y_scale},
            default_size=8,
            colors=[BRUSHED_COLOUR],
            enable_hover=False,
        )
        self.brush = bqplot.interacts.BrushSelector(
            x_scale=x_scale, y_scale=y_scale, marks=[self.scatter], color=BRUSHED_COLOUR
        )
        self.figure = bqplot.Figure(
            marks=[self.scatter, self.highlight],
            axes=[
                bqplot.Axis(scale=x_scale, label=x),
                bqplot.Axis(scale=y_scale, label=y, side="left"),
            ],
            interaction=self.brush,
            layout=widgets.Layout(width="520px", height="440px"),
            title="Drag to select",
        )
        super().__init__([self.message, self.figure])
        try:
            xs, ys = self._columns(table, x, y)
        except (BadColumnsError, ValueError, TypeError) as err:
            self.message.value = f"<span style='color:#b71c1c'>{escape(str(err))}</span>"
            return
        good = np.flatnonzero(_good(xs, ys))
        if len(good) > max_points:
            good = np.sort(np.random.default_rng(0).choice(good, max_points, replace=False))
            self.message.value = f"{max_points:,} of {len(table):,} rows shown (a random subset)"
        self.rows = good
        self.scatter.x, self.scatter.y = xs[good], ys[good]
        self.scatter.observe(self._on_select, names="selected")
        if viewer is not None:
            viewer.on_selection(self._from_viewer)

    @staticmethod
    def _columns(table: Table, x: str, y: str) -> tuple[FloatArray, FloatArray]:
        if len(table) == 0:
            raise BadColumnsError("the table is empty")
        return _expression(table, x), _expression(table, y)

    @property
    def selected_rows(self) -> list[int]:
        """The indices (in :attr:`table`) of the brushed rows."""
        picked = self.scatter.selected
        if picked is None or len(picked) == 0:
            return []
        return sorted(int(self.rows[i]) for i in np.asarray(picked, dtype=np.int64))

    @property
    def selected(self) -> Table:
        """The brushed rows of the table."""
        return self.table[self.selected_rows]

    def select(self, rows: Sequence[int] | np.ndarray[Any, Any]) -> None:
        """Select these rows of :attr:`table` (those shown), as if brushed; ``[]`` clears."""
        shown = np.flatnonzero(np.isin(self.rows, np.asarray(rows, dtype=np.int64)))
        self.scatter.selected = shown.tolist() or None

    def _on_select(self, _change: dict[str, Any]) -> None:
        selected = self.scatter.selected
        picked = np.asarray([] if selected is None else selected, dtype=np.int64)
        with self.highlight.hold_sync():
            self.highlight.x = np.asarray(self.scatter.x, dtype=float)[picked]
            self.highlight.y = np.asarray(self.scatter.y, dtype=float)[picked]
        if self.viewer is None:
            return
        rows = self.selected_rows
        if rows:
            self.viewer.add_table(self.table, name="selected", color=SELECTED_COLOUR, rows=rows)
        else:
            self.viewer.remove_layer("selected")

    def _from_viewer(self, _rows: Table) -> None:
        """Rows picked on the viewer's sky (in a layer of this same table) become selected here."""
        names = [name for name, shown in self.viewer.tables.items() if shown is self.table]
        if not names:
            return
        self.select(self.viewer.selected_rows(names[0]))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, plus an SVG of the points for renderers with no widgets."""
        data = dict(super()._repr_mimebundle_(**kwargs) or {})
        data["text/html"] = _scatter_svg(
            np.asarray(self.scatter.x, dtype=float),
            np.asarray(self.scatter.y, dtype=float),
            self.message.value,
        )
        return data


def _expression(table: Table, spec: str) -> FloatArray:
    """A column, a band's magnitude, or the difference ``"a-b"`` of two (``"g-r"``)."""
    if "-" in spec and spec not in table.colnames:
        first, second = (part.strip() for part in spec.split("-", 1))
        return _values(table, magnitude_column(table, first)) - _values(
            table, magnitude_column(table, second)
        )
    return _values(table, magnitude_column(table, spec))


def _scatter_svg(x: FloatArray, y: FloatArray, message: str = "", size: int = 300) -> str:
    note = f"<p>{message}</p>" if message else ""
    if len(x) == 0:
        return f"<div class='surveylab-plot-static'>{note}</div>"
    step = max(1, len(x) // 2000)
    x, y = x[::step], y[::step]
    sx = size / max(float(np.ptp(x)), 1e-9)
    sy = size / max(float(np.ptp(y)), 1e-9)
    dots = "".join(
        f"<circle cx='{(a - x.min()) * sx + 5:.1f}' cy='{(y.max() - b) * sy + 5:.1f}' r='1.5'/>"
        for a, b in zip(x, y, strict=True)
    )
    return (
        f"<div class='surveylab-plot-static'>{note}<svg xmlns='http://www.w3.org/2000/svg' "
        f"width='{size + 10}' height='{size + 10}' fill='#1f77b4'>{dots}</svg></div>"
    )


def linked_scatter(
    table: Any, x: str = "g-r", y: str = "r", viewer: Any = None, invert_y: bool | None = None
) -> LinkedScatter:
    """A bqplot scatter of ``y`` against ``x`` with a brush linked to ``viewer``.

    ``x`` and ``y`` are columns, bands (``"r"`` → ``MAG_AUTO_R``) or colours (``"g-r"``). A
    magnitude on ``y`` is drawn bright at the top unless ``invert_y`` says otherwise.
    """
    if invert_y is None:
        invert_y = "-" not in y
    try:
        data = as_table(table)
    except (ValueError, TypeError) as err:
        data = Table()
        scatter = LinkedScatter(data, x, y, viewer, invert_y)
        scatter.message.value = f"<span style='color:#b71c1c'>{escape(str(err))}</span>"
        return scatter
    return LinkedScatter(data, x, y, viewer, invert_y)
