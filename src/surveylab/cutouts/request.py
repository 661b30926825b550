"""What a cutout job is asked for: positions (or object ids), sizes, bands, colour images.

Everything a user sends is checked here, before a job exists, with a message that says what is
wrong and where. Positions come as a :class:`~astropy.coordinates.SkyCoord`, as (RA, Dec) pairs in
degrees or sexagesimal, as ``COADD_OBJECT_ID`` values, or as CSV text. A CSV file is read row by
row: a bad row becomes a *problem* naming its line, and the other rows go on; only an upload that
cannot be used at all (empty, no usable header, too many rows) is refused as a whole.

A request travels to the job as plain JSON (:meth:`CutoutRequest.to_parameters`), and back
(:meth:`CutoutRequest.from_parameters`), checked again on the way in.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    CutoutError,
    CutoutInputError,
    CutoutLimitError,
    CutoutSizeError,
    PositionError,
    UnknownBandError,
)
from ..limits import CUTOUT_SIZE_MAX, CUTOUT_SIZE_MIN

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_RGB",
    "DEFAULT_SIZE",
    "MAX_SIZE",
    "MIN_SIZE",
    "CutoutOptions",
    "CutoutRequest",
    "Problem",
    "Target",
    "check_bands",
    "check_size",
    "parse_csv",
    "parse_ids",
    "parse_positions",
]

#: Cutout side by default, and the sides allowed, in arcmin.
DEFAULT_SIZE = 1.0
MIN_SIZE = CUTOUT_SIZE_MIN
MAX_SIZE = CUTOUT_SIZE_MAX
#: FITS bands by default, and the colour image's bands (red, green, blue) when asked for one.
DEFAULT_BANDS = ("i",)
DEFAULT_RGB = ("i", "r", "g")
#: Lupton et al. (2004) parameters by default (as DESaccess): minimum, stretch, Q.
DEFAULT_LUPTON = (1.0, 50.0, 10.0)

#: CSV columns (upper case) and the per-row option each one sets; aliases are DESaccess's names.
_OPTION_COLUMNS = {
    "XSIZE": "xsize",
    "YSIZE": "ysize",
    "BANDS": "bands",
    "COLORS_FITS": "bands",
    "RGB": "rgb",
    "COLORS_RGB": "rgb",
    "RGB_MINIMUM": "rgb_minimum",
    "RGB_STRETCH": "rgb_stretch",
    "RGB_Q": "rgb_q",
    "RGB_ASINH": "rgb_q",
}
_ID_COLUMN = "COADD_OBJECT_ID"
_SEXAGESIMAL = re.compile(r"[:hdms\s]", re.IGNORECASE)
#: Problems listed in a refusal message at most.
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Problem:
    """A position (or CSV row) that cannot be cut, and why; the others go on."""

    row: int
    error: str

    def to_json(self) -> dict[str, Any]:
        """``{"row": ..., "error": ...}``."""
        return {"row": self.row, "error": self.error}


@dataclass(frozen=True)
class CutoutOptions:
    """How to cut: sizes in arcmin, FITS bands, an optional colour image and its stretch.

    Attributes
    ----------
    xsize, ysize : float
        Width and height in arcmin (0.1 to 12).
    bands : tuple of str
        Bands to write as FITS (may be empty when only a colour image is wanted).
    rgb : tuple of str, optional
        Bands of the colour image as (red, green, blue), e.g. ``("i", "r", "g")``.
    rgb_minimum, rgb_stretch, rgb_q : float
        Parameters of :func:`astropy.visualization.make_lupton_rgb`.
    previews : bool
        Write a PNG preview of each FITS band.
    list_only : bool
        Make no cutouts: list the tiles and image files that hold each position.
    """

    xsize: float = DEFAULT_SIZE
    ysize: float = DEFAULT_SIZE
    bands: tuple[str, ...] = DEFAULT_BANDS
    rgb: tuple[str, ...] | None = None
    rgb_minimum: float = DEFAULT_LUPTON[0]
    rgb_stretch: float = DEFAULT_LUPTON[1]
    rgb_q: float = DEFAULT_LUPTON[2]
    previews: bool = True
    list_only: bool = False

    @property
    def all_bands(self) -> tuple[str, ...]:
        """Every band to read: the FITS bands and the colour image's."""
        return tuple(dict.fromkeys((*self.bands, *(self.rgb or ()))))

    def to_json(self) -> dict[str, Any]:
        """The options as JSON values."""
        return {
            "xsize": self.xsize,
            "ysize": self.ysize,
            "bands": list(self.bands),
            "rgb": None if self.rgb is None else list(self.rgb),
            "rgb_minimum": self.rgb_minimum,
            "rgb_stretch": self.rgb_stretch,
            "rgb_q": self.rgb_q,
            "previews": self.previews,
            "list_only": self.list_only,
        }

    @classmethod
    def create(cls, known_bands: Sequence[str], **values: Any) -> CutoutOptions:
        """Options from user values, each checked (``None`` keeps the default).

        Raises
        ------
        CutoutSizeError
            For a size outside 0.1..12 arcmin.
        UnknownBandError
            For a band the release has no images in.
        CutoutError
            For anything else malformed.
        """
        unknown = sorted(set(values) - {f.name for f in _option_fields()})
        if unknown:
            raise CutoutError(f"unknown cutout option(s): {', '.join(unknown)}")
        return _apply(cls(), {k: v for k, v in values.items() if v is not None}, known_bands, "")


def _option_fields() -> tuple[Any, ...]:
    import dataclasses

    return dataclasses.fields(CutoutOptions)


def _apply(
    options: CutoutOptions, values: Mapping[str, Any], known: Sequence[str], where: str
) -> CutoutOptions:
    """``options`` with ``values`` applied, each checked; ``where`` prefixes messages."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        label = f"{where}{key.upper() if where else key}"
        if key in ("xsize", "ysize"):
            changes[key] = check_size(value, label)
        elif key == "bands":
            changes[key] = check_bands(value, known, label, allow_empty=True)
        elif key == "rgb":
            changes[key] = _check_rgb(value, known, label)
        elif key in ("rgb_minimum", "rgb_stretch", "rgb_q"):
            changes[key] = _number(value, label, positive=key != "rgb_minimum")
        elif key in ("previews", "list_only"):
            if not isinstance(value, bool):
                raise CutoutError(f"{label} must be true or false, not {value!r}")
            changes[key] = value
    result = replace(options, **changes)
    if not result.list_only and not result.bands and not result.rgb:
        raise CutoutError(f"{where}nothing to make: give FITS bands, a colour image, or both")
    return result


def _number(value: Any, label: str, *, positive: bool = False) -> float:
    if isinstance(value, bool):
        raise CutoutError(f"{label} must be a number, not {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            raise CutoutError(f"{label} is not a number: {text!r}") from None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CutoutError(f"{label} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise CutoutError(f"{label} must be a finite number, not {value!r}")
    if positive and number <= 0:
        raise CutoutError(f"{label} must be positive, not {number:g}")
    return number


def check_size(value: Any, label: str = "size") -> float:
    """A cutout side in arcmin, from a number of arcmin or an angle Quantity.

    Raises
    ------
    CutoutSizeError
        If it is not a number, or outside ``MIN_SIZE``..``MAX_SIZE`` arcmin.

    Examples
    --------
    >>> check_size(2)
    2.0
    >>> check_size(100, "xsize")
    Traceback (most recent call last):
    ...
    surveylab.errors.CutoutSizeError: xsize must be from 0.1 to 12 arcmin, not 100 arcmin
    """
    from astropy import units as u

    if isinstance(value, u.Quantity):
        try:
            value = float(value.to_value(u.arcmin))
        except u.UnitConversionError:
            raise CutoutSizeError(f"{label} must be an angle, not {value.unit}") from None
    try:
        size = _number(value, label)
    except CutoutError as err:
        raise CutoutSizeError(str(err)) from None
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise CutoutSizeError(
            f"{label} must be from {MIN_SIZE:g} to {MAX_SIZE:g} arcmin, not {size:g} arcmin"
        )
    return size


def _band_tokens(value: Any) -> list[str]:
    if isinstance(value, str):
        tokens = [t for t in re.split(r"[^A-Za-z0-9]+", value) if t]
        if len(tokens) == 1 and len(tokens[0]) > 1:
            return list(tokens[0])  # "gri"
        return tokens
    if isinstance(value, Iterable):
        return [str(item).strip() for item in value]
    raise CutoutError(f"bands must be text like 'g,r,i' or a list, not {value!r}")


def check_bands(
    value: Any, known: Sequence[str], label: str = "bands", *, allow_empty: bool = False
) -> tuple[str, ...]:
    """Bands as the release spells them (case-insensitive; ``"gri"``, ``"g,r,i"`` or a list).

    Raises
    ------
    UnknownBandError
        For a band the release has no images in; the message lists the bands it has.
    """
    by_lower = {band.lower(): band for band in known}
    chosen: list[str] = []
    for token in _band_tokens(value):
        band = by_lower.get(token.lower())
        if band is None:
            have = ", ".join(known) or "none"
            raise UnknownBandError(f"{label}: unknown band {token!r}; the release has {have}")
        if band not in chosen:
            chosen.append(band)
    if not chosen and not allow_empty:
        raise CutoutError(f"{label}: no band given")
    return tuple(chosen)


def _check_rgb(value: Any, known: Sequence[str], label: str) -> tuple[str, ...] | None:
    if value is False or value is None or (isinstance(value, str) and not value.strip()):
        return None
    if value is True:
        value = DEFAULT_RGB
    bands = check_bands(value, known, label)
    if len(bands) != 3:
        raise CutoutError(
            f"{label}: a colour image needs 3 different bands (red, green, blue), e.g. 'i,r,g'; "
            f"got {', '.join(bands)}"
        )
    return bands


@dataclass(frozen=True)
class Target:
    """One position to cut: where, or which object, and its own options.

    Attributes
    ----------
    row : int
        Where it came from: the line of the CSV upload, or the 1-based index of a list.
    ra, dec : float or None
        Degrees (RA wrapped into [0, 360)); None until an object id is resolved.
    object_id : int or None
        The catalog's ``COADD_OBJECT_ID``, when given.
    options : dict
        Per-position overrides of the job's options (CSV columns), already checked.
    """

    row: int
    ra: float | None = None
    dec: float | None = None
    object_id: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A compact JSON form (absent fields are left out)."""
        data: dict[str, Any] = {"row": self.row}
        if self.ra is not None and self.dec is not None:
            data.update(ra=self.ra, dec=self.dec)
        if self.object_id is not None:
            data["id"] = self.object_id
        data.update(self.options)
        return data


@dataclass(frozen=True)
class CutoutRequest:
    """A whole cutout request: targets, the job's options and the rows already refused."""

    targets: tuple[Target, ...]
    options: CutoutOptions
    problems: tuple[Problem, ...] = ()

    def options_for(self, target: Target, known_bands: Sequence[str]) -> CutoutOptions:
        """The options of one target: the job's, with the target's overrides."""
        if not target.options:
            return self.options
        return _apply(self.options, target.options, known_bands, f"row {target.row}: ")

    def to_parameters(self) -> dict[str, Any]:
        """The request as job parameters (plain JSON)."""
        return {
            **self.options.to_json(),
            "positions": [target.to_json() for target in self.targets],
            "problems": [problem.to_json() for problem in self.problems],
        }

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, Any], known_bands: Sequence[str]
    ) -> CutoutRequest:
        """The inverse of :meth:`to_parameters`, checked again."""
        option_names = {f.name for f in _option_fields()}
        options = CutoutOptions.create(
            known_bands, **{k: v for k, v in parameters.items() if k in option_names}
        )
        targets = []
        for index, item in enumerate(parameters.get("positions") or [], start=1):
            if not isinstance(item, Mapping):
                raise CutoutError(f"positions[{index}] must be an object")
            overrides = {k: v for k, v in item.items() if k in option_names}
            object_id = item.get("id")
            ra, dec = item.get("ra"), item.get("dec")
            targets.append(
                Target(
                    row=int(item.get("row", index)),
                    ra=None if ra is None else float(ra),
                    dec=None if dec is None else float(dec),
                    object_id=None if object_id is None else int(object_id),
                    options=overrides,
                )
            )
        problems = tuple(
            Problem(int(p["row"]), str(p["error"])) for p in parameters.get("problems") or []
        )
        return cls(tuple(targets), options, problems)


# --- positions ---------------------------------------------------------------------------------


def _angle(value: Any, what: str, label: str) -> float:
    """One coordinate in degrees: a number (degrees), a Quantity, or sexagesimal text."""
    from astropy import units as u
    from astropy.coordinates import Angle

    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.deg))
        except (u.UnitConversionError, TypeError):
            raise PositionError(f"{label}: {what} must be an angle, not {value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise PositionError(f"{label}: {what} is empty")
        try:
            return float(text)
        except ValueError:
            pass
        if not _SEXAGESIMAL.search(text):
            raise PositionError(f"{label}: {what} is not a number: {text!r}")
        unit = u.hourangle if what == "RA" and (":" in text or "h" in text.lower()) else u.deg
        try:
            return float(Angle(text, unit=unit).to_value(u.deg))
        except (ValueError, u.UnitsError):
            raise PositionError(f"{label}: {what} is not an angle: {text!r}") from None
    if isinstance(value, bool):
        raise PositionError(f"{label}: {what} must be a number of degrees, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PositionError(f"{label}: {what} must be a number of degrees, not {value!r}") from None


def _checked(ra: float, dec: float, label: str) -> tuple[float, float]:
    if not (math.isfinite(ra) and math.isfinite(dec)):
        raise PositionError(f"{label}: RA and Dec must be finite numbers, not ({ra}, {dec})")
    if abs(dec) > 90.0:
        raise PositionError(f"{label}: Dec {dec:g} is outside -90..+90 deg")
    wrapped = math.fmod(ra, 360.0)
    if wrapped < 0.0:
        wrapped += 360.0  # wrapped, never mirrored
    return (0.0 if wrapped >= 360.0 else wrapped), dec


def _split_text(text: str, label: str) -> tuple[str, str]:
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 6:  # "21 33 27.0 -00 49 24"
        return ":".join(parts[:3]), ":".join(parts[3:])
    raise PositionError(
        f"{label}: {text!r} is not a position like '323.36 -0.82' or '21:33:27 -0:49:24'"
    )


def parse_positions(positions: Any, max_positions: int) -> list[Target]:
    """Targets from a SkyCoord, (RA, Dec) pairs or position strings.

    Parameters
    ----------
    positions : SkyCoord, sequence of (ra, dec), sequence of str, or str
        Numbers are degrees; strings may be sexagesimal (RA in hours with ``:`` or ``h``).
    max_positions : int
        The most a job may hold.

    Raises
    ------
    PositionError
        For a malformed position; the message names its index (1-based).
    CutoutLimitError
        For more than ``max_positions`` positions.
    """
    from astropy.coordinates import SkyCoord

    if isinstance(positions, SkyCoord):
        icrs = positions.icrs
        ra = np.atleast_1d(np.asarray(icrs.ra.deg, dtype=np.float64)).ravel()
        dec = np.atleast_1d(np.asarray(icrs.dec.deg, dtype=np.float64)).ravel()
        _check_count(ra.size, max_positions)
        return [
            Target(k, *_checked(float(a), float(d), f"position {k}"))
            for k, (a, d) in enumerate(zip(ra.tolist(), dec.tolist(), strict=True), start=1)
        ]
    if isinstance(positions, str):
        positions = [positions]
    items = list(positions)
    _check_count(len(items), max_positions)
    if not items:
        raise CutoutInputError("no positions given")
    targets = []
    for k, item in enumerate(items, start=1):
        label = f"position {k}"
        if isinstance(item, str):
            ra_value, dec_value = _split_text(item, label)
        elif isinstance(item, SkyCoord):
            ra_value, dec_value = item.icrs.ra.deg, item.icrs.dec.deg
        else:
            try:
                ra_value, dec_value = item
            except (TypeError, ValueError):
                raise PositionError(f"{label}: expected (ra, dec), got {item!r}") from None
        ra_deg = _angle(ra_value, "RA", label)
        dec_deg = _angle(dec_value, "Dec", label)
        targets.append(Target(k, *_checked(ra_deg, dec_deg, label)))
    return targets


def parse_ids(ids: Any, max_positions: int) -> list[Target]:
    """Targets from catalog ``COADD_OBJECT_ID`` values (resolved when the job runs)."""
    items = [ids] if isinstance(ids, int | np.integer | str) else list(ids)
    _check_count(len(items), max_positions)
    if not items:
        raise CutoutInputError("no object ids given")
    targets = []
    for k, item in enumerate(items, start=1):
        targets.append(Target(k, object_id=_object_id(item, f"id {k}")))
    return targets


def _object_id(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise CutoutError(f"{label}: COADD_OBJECT_ID must be a whole number, not {value!r}")
    text = str(value).strip()
    if not re.fullmatch(r"[+]?\d{1,19}", text):
        raise CutoutError(f"{label}: COADD_OBJECT_ID must be a whole number, not {text!r}")
    number = int(text)
    if number >= 2**63:
        raise CutoutError(f"{label}: COADD_OBJECT_ID {text} is too large")
    return number


def _check_count(count: int, max_positions: int) -> None:
    if count > max_positions:
        raise CutoutLimitError(
            f"{count:,} positions requested; a cutout job takes at most {max_positions:,}: "
            "split the list into several jobs"
        )


# --- CSV -------------------------------------------------------------------------------------


def parse_csv(
    text: str | bytes | Path, known_bands: Sequence[str], max_positions: int
) -> tuple[list[Target], list[Problem]]:
    """Targets from CSV text with a header ``RA,DEC`` or ``COADD_OBJECT_ID`` (any case).

    Lines starting with ``#`` and blank lines are skipped. Optional columns set per-row options:
    ``XSIZE``, ``YSIZE`` (arcmin), ``BANDS`` (``COLORS_FITS``; e.g. ``g;r;i`` or ``gri``),
    ``RGB`` (``COLORS_RGB``; red, green, blue, e.g. ``irg``), ``RGB_MINIMUM``, ``RGB_STRETCH``,
    ``RGB_Q`` (``RGB_ASINH``). An empty cell keeps the job's option.

    Returns
    -------
    targets : list of Target
        The good rows (``row`` is the line number).
    problems : list of Problem
        One per bad row, naming its line and what is wrong; columns the reader does not know.

    Raises
    ------
    CutoutInputError
        If the upload is empty, has no usable header, or no good row.
    CutoutLimitError
        If it has more than ``max_positions`` rows.

    Examples
    --------
    >>> targets, problems = parse_csv("ra,dec\\n323.36,-0.82\\n1,95\\n", ["g", "r", "i"], 10)
    >>> targets[0].ra, problems[0].error
    (323.36, 'line 3: DEC 95 is outside -90..+90 deg')
    """
    if isinstance(text, Path):
        try:
            text = text.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise CutoutInputError(f"cannot read the CSV file {text}: {err}") from None
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise CutoutInputError(f"the CSV upload is not UTF-8 text: {err}") from None
    text = text.removeprefix("\ufeff")
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise CutoutInputError(
            "the CSV upload is empty: it needs a header line (RA,DEC or COADD_OBJECT_ID) and "
            "one line per position"
        )
    _check_count(len(numbered) - 1, max_positions)
    header_line, header_text = numbered[0]
    header = [name.strip().upper() for name in next(csv.reader([header_text]))]
    columns = {name: k for k, name in enumerate(header) if name}
    by_position = "RA" in columns and "DEC" in columns
    if not by_position and _ID_COLUMN not in columns:
        raise CutoutInputError(
            f"line {header_line}: the header must have the columns RA,DEC or COADD_OBJECT_ID "
            f"(any case); it has {', '.join(header) or 'none'}"
        )
    problems: list[Problem] = []
    known_columns = {"RA", "DEC", _ID_COLUMN, *_OPTION_COLUMNS}
    ignored = [name for name in columns if name not in known_columns]
    if ignored:
        problems.append(
            Problem(header_line, f"line {header_line}: column(s) {', '.join(ignored)} ignored")
        )
    if len(numbered) == 1:
        raise CutoutInputError(f"the CSV upload has a header (line {header_line}) but no rows")
    targets: list[Target] = []
    reader = csv.reader(line for _number, line in numbered[1:])
    for (number, _line), fields in zip(numbered[1:], reader, strict=True):
        try:
            targets.append(_csv_row(number, fields, columns, by_position, known_bands))
        except CutoutError as err:
            problems.append(Problem(number, str(err)))
    if not targets:
        shown = "; ".join(p.error for p in problems[-_SHOWN_PROBLEMS:])
        raise CutoutInputError(f"no row of the CSV upload can be used: {shown}")
    return targets, problems


def _cell(fields: list[str], columns: Mapping[str, int], name: str) -> str:
    index = columns.get(name)
    return "" if index is None or index >= len(fields) else fields[index].strip()


def _csv_row(
    number: int,
    fields: list[str],
    columns: Mapping[str, int],
    by_position: bool,
    known_bands: Sequence[str],
) -> Target:
    where = f"line {number}"
    needed = ("RA", "DEC") if by_position else (_ID_COLUMN,)
    width = max(columns[name] for name in needed) + 1
    if len(fields) < width:
        raise CutoutError(
            f"{where}: expected the column(s) {', '.join(needed)}, got {len(fields)} field(s)"
        )
    ra = dec = None
    object_id = None
    id_text = _cell(fields, columns, _ID_COLUMN)
    if by_position:
        for name in needed:
            if not _cell(fields, columns, name):
                raise CutoutError(f"{where}: {name} is empty")
        try:
            ra = _angle(_cell(fields, columns, "RA"), "RA", where)
            dec = _angle(_cell(fields, columns, "DEC"), "DEC", where)
        except PositionError as err:
            raise CutoutError(str(err)) from None
        if not (math.isfinite(ra) and math.isfinite(dec)):
            raise CutoutError(f"{where}: RA and DEC must be finite numbers")
        if abs(dec) > 90.0:
            raise CutoutError(f"{where}: DEC {dec:g} is outside -90..+90 deg")
        ra, dec = _checked(ra, dec, where)
        if id_text:
            object_id = _object_id(id_text, where)
    else:
        if not id_text:
            raise CutoutError(f"{where}: COADD_OBJECT_ID is empty")
        object_id = _object_id(id_text, where)
    overrides: dict[str, Any] = {}
    for column, option in _OPTION_COLUMNS.items():
        value = _cell(fields, columns, column)
        if not value:
            continue
        label = f"{where}: {column}"
        if option in ("xsize", "ysize"):
            overrides[option] = check_size(value, label)
        elif option == "bands":
            overrides[option] = list(check_bands(value, known_bands, label))
        elif option == "rgb":
            rgb = _check_rgb(value, known_bands, label)
            overrides[option] = None if rgb is None else list(rgb)
        else:
            overrides[option] = _number(value, label, positive=option != "rgb_minimum")
    return Target(number, ra, dec, object_id, overrides)
