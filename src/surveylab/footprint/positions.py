"""Sky positions as users give them, checked and turned into arrays of degrees.

Every footprint look-up accepts the same forms: a :class:`~astropy.coordinates.SkyCoord` (any
frame; it is transformed to ICRS), RA and Dec as :class:`~astropy.units.Quantity` angles, or RA
and Dec as plain numbers (or arrays of numbers) in degrees. RA is wrapped into [0, 360), never
mirrored; Dec must lie within ±90 deg. A bad value is refused with a message that names it and,
for arrays, its index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import PositionError

__all__ = ["FloatArray", "IntArray", "sky_positions", "wrap_ra"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def wrap_ra(ra: FloatArray) -> FloatArray:
    """RA wrapped into [0, 360) degrees: -0.4 becomes 359.6 (never ``360 - ra``).

    Examples
    --------
    >>> wrap_ra(np.array([-0.4, 360.1, 10.0])).round(6).tolist()
    [359.6, 0.1, 10.0]
    """
    wrapped = np.mod(ra, 360.0)
    # np.mod(-1e-17, 360) rounds to 360.0 itself
    return np.where(wrapped >= 360.0, 0.0, wrapped)


def _degrees(value: Any, name: str) -> FloatArray:
    """``value`` (numbers or an angle Quantity) as a float array of degrees."""
    from astropy import units as u

    if isinstance(value, u.Quantity):
        try:
            return np.asarray(value.to_value(u.deg), dtype=np.float64)
        except u.UnitConversionError:
            raise PositionError(
                f"{name} must be an angle, not a quantity in {value.unit}"
            ) from None
    if isinstance(value, str | bytes):
        raise PositionError(f"{name} must be a number of degrees, not {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise PositionError(
            f"{name} must be a number of degrees or an array of them, not {_short(value)}"
        ) from None
    return array


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _first_bad(mask: npt.NDArray[np.bool_], values: FloatArray, name: str, scalar: bool) -> str:
    index = int(np.flatnonzero(mask.ravel())[0])
    where = name if scalar else f"{name}[{index}]"
    extra = "" if scalar else f" ({int(mask.sum()):,} bad of {mask.size:,})"
    return f"{where} is {float(values.ravel()[index])!r}{extra}"


def sky_positions(ra: Any, dec: Any = None) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Check positions and return flat RA (wrapped) and Dec in degrees, and their shape.

    Parameters
    ----------
    ra : SkyCoord, Quantity, float or array_like
        A SkyCoord (then ``dec`` must be None), or right ascensions (degrees if plain numbers).
    dec : Quantity, float or array_like, optional
        Declinations (degrees if plain numbers), broadcastable against ``ra``.

    Returns
    -------
    ra, dec : ndarray
        Flat float64 arrays of degrees, RA wrapped into [0, 360).
    shape : tuple of int
        The shape of the positions as given (``()`` for a single position).

    Raises
    ------
    PositionError
        For a missing Dec, non-numbers, NaN or infinity, or Dec outside ±90 deg.

    Examples
    --------
    >>> ra, dec, shape = sky_positions(-0.5, 1.0)
    >>> float(ra[0]), float(dec[0]), shape
    (359.5, 1.0, ())
    >>> sky_positions(10.0, 95.0)
    Traceback (most recent call last):
    ...
    surveylab.errors.PositionError: dec must lie within -90..+90 deg: dec is 95.0
    """
    from astropy.coordinates import SkyCoord

    if isinstance(ra, SkyCoord):
        if dec is not None:
            raise PositionError("give either a SkyCoord or ra and dec, not both")
        icrs = ra.icrs
        ra_deg = np.asarray(icrs.ra.deg, dtype=np.float64)
        dec_deg = np.asarray(icrs.dec.deg, dtype=np.float64)
    else:
        if dec is None:
            raise PositionError("dec is missing: give ra and dec, or a SkyCoord")
        ra_deg = _degrees(ra, "ra")
        dec_deg = _degrees(dec, "dec")
    scalar = ra_deg.ndim == 0 and dec_deg.ndim == 0
    try:
        ra_deg, dec_deg = np.broadcast_arrays(ra_deg, dec_deg)
    except ValueError:
        raise PositionError(
            f"ra and dec have different shapes: {ra_deg.shape} and {dec_deg.shape}"
        ) from None
    ra_flat = np.ascontiguousarray(ra_deg, dtype=np.float64).ravel()
    dec_flat = np.ascontiguousarray(dec_deg, dtype=np.float64).ravel()
    for name, values in (("ra", ra_flat), ("dec", dec_flat)):
        bad = ~np.isfinite(values)
        if bad.any():
            first = _first_bad(bad, values, name, scalar)
            raise PositionError(f"{name} must be a finite number of degrees: {first}")
    outside = np.abs(dec_flat) > 90.0
    if outside.any():
        raise PositionError(
            "dec must lie within -90..+90 deg: " + _first_bad(outside, dec_flat, "dec", scalar)
        )
    return wrap_ra(ra_flat), dec_flat, tuple(ra_deg.shape)
