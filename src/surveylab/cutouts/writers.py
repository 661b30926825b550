"""Writers of cutout files: FITS (a fast single-HDU writer), colour PNG/JPEG, band previews.

A cutout's FITS file is one primary HDU of float32 pixels. Its header is formatted here card by
card rather than through :class:`astropy.io.fits.Header`, which costs about a millisecond per
file: at thousands of cutouts per second that would be most of the job. The cards follow the FITS
standard's fixed format (values right-justified to column 30, strings quoted, floats with a
decimal point), anything unusual falls back to :class:`astropy.io.fits.Card`, and the tests read
every kind of file back with astropy and check it with ``verify``.

Images are written as the sky looks: north up, east left (the tile's CD matrix has RA growing to
the left), so the first FITS row (south) is the last image row.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Card",
    "format_card",
    "lupton_rgb",
    "preview_image",
    "write_fits",
    "write_jpeg",
    "write_png",
]

#: A header card: keyword, value, comment.
Card = tuple[str, Any, str]

_BLOCK = 2880
_JPEG_QUALITY = 90
#: Pixels a preview's percentiles are taken from, at most (a regular sample).
_PREVIEW_SAMPLE = 8192
#: zlib level of PNGs: 1 is 2-3x faster than the default 6, and files ~10% larger.
PNG_COMPRESS_LEVEL = 1


def _float_text(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    text = f"{value:.16G}"
    if "E" in text:
        mantissa, exponent = text.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        sign = exponent[0] if exponent[0] in "+-" else "+"
        text = f"{mantissa}E{sign}{int(exponent.lstrip('+-')):02d}"
    elif "." not in text:
        text += ".0"
    return text if len(text) <= 20 else None


def format_card(key: str, value: Any, comment: str = "") -> str:
    """One 80-character header card in FITS fixed format (remembered: most cards of a job's
    cutouts repeat, e.g. the tile's WCS and photometry).

    Examples
    --------
    >>> format_card("CRPIX1", 12.5, "reference pixel")[:34]
    'CRPIX1  =                   12.5 /'
    >>> format_card("TILENAME", "DES2134-0041").rstrip()
    "TILENAME= 'DES2134-0041'"
    """
    try:
        return _cached_card(key, value, comment)
    except TypeError:  # an unhashable value
        return _format_card(key, value, comment)


@lru_cache(maxsize=4096, typed=True)  # typed: True, 1 and 1.0 are different cards
def _cached_card(key: str, value: Any, comment: str) -> str:
    return _format_card(key, value, comment)


def _format_card(key: str, value: Any, comment: str) -> str:
    if isinstance(value, bool):
        text: str | None = f"{'T' if value else 'F':>20}"
    elif isinstance(value, int | np.integer):
        text = f"{int(value):>20d}"
        if len(text) > 20:
            text = None
    elif isinstance(value, float | np.floating):
        number = _float_text(float(value))
        text = None if number is None else f"{number:>20}"
    elif isinstance(value, str) and value.isascii() and value.isprintable():
        quoted = "'" + f"{value.replace(chr(39), chr(39) * 2):<8}" + "'"
        text = f"{quoted:<20}" if len(quoted) <= 70 else None
    else:
        text = None
    if text is None or len(key) > 8:
        from astropy.io import fits

        image: str = fits.Card(key, value, comment).image
        return image[:80]
    card = f"{key.upper():<8}= {text}"
    if comment:
        card += f" / {comment}"
    return f"{card[:80]:<80}"


def write_fits(path: str | Path, data: npt.NDArray[np.float32], cards: Sequence[Card]) -> None:
    """Write ``data`` as a single-HDU FITS file with the header ``cards`` (after NAXISn).

    NaN pixels (no data) stay NaN, as FITS float images mark blanks.
    """
    rows, columns = data.shape
    head = [
        format_card("SIMPLE", True, "conforms to FITS standard"),
        format_card("BITPIX", -32, "32-bit floating point"),
        format_card("NAXIS", 2, ""),
        format_card("NAXIS1", columns, ""),
        format_card("NAXIS2", rows, ""),
    ]
    head.extend(format_card(key, value, comment) for key, value, comment in cards)
    head.append(f"{'END':<80}")
    header = "".join(head)
    header += " " * (-len(header) % _BLOCK)
    size = data.size * 4
    block = bytearray(len(header) + size + (-size % _BLOCK))  # zero padding at the end
    block[: len(header)] = header.encode("ascii")
    pixels = np.frombuffer(block, dtype=">f4", count=data.size, offset=len(header))
    pixels.reshape(data.shape)[...] = data  # converted to big-endian in place, no copy
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(block)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def lupton_rgb(
    red: npt.NDArray[np.floating[Any]],
    green: npt.NDArray[np.floating[Any]],
    blue: npt.NDArray[np.floating[Any]],
    minimum: float,
    stretch: float,
    q: float,
) -> npt.NDArray[np.uint8]:
    """The colour composite of three images (``make_lupton_rgb``), north up; NaN counts as 0."""
    from astropy.visualization import make_lupton_rgb

    planes = [np.nan_to_num(np.asarray(image, dtype=np.float32)) for image in (red, green, blue)]
    rgb: npt.NDArray[np.uint8] = make_lupton_rgb(*planes, minimum=minimum, stretch=stretch, Q=q)
    return np.ascontiguousarray(rgb[::-1])


def preview_image(data: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.uint8]:
    """A greyscale preview of one band, north up: asinh stretch between the 1st and 99.5th
    percentiles of its finite pixels (NaN is black)."""
    values = np.asarray(data, dtype=np.float32)
    sample = values.ravel()[:: max(1, values.size // _PREVIEW_SAMPLE)]  # percentiles of a sample
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = np.percentile(finite, [1.0, 99.5])
    span = np.float32(high - low) or np.float32(1.0)
    scaled = np.clip((np.nan_to_num(values, nan=float(low)) - np.float32(low)) / span, 0.0, 1.0)
    levels = np.arcsinh(10.0 * scaled, dtype=np.float32) * np.float32(255.0 / np.arcsinh(10.0))
    return np.ascontiguousarray((levels + 0.5).astype(np.uint8)[::-1])


def write_png(path: str | Path, image: npt.NDArray[np.uint8]) -> None:
    """Write an 8-bit greyscale (2-D) or RGB (3-D) image as PNG."""
    from PIL import Image

    Image.fromarray(image).save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL)


def write_jpeg(path: str | Path, image: npt.NDArray[np.uint8]) -> None:
    """Write an 8-bit image as JPEG (quality 90): the gallery's fast thumbnail."""
    from PIL import Image

    Image.fromarray(image).save(path, format="JPEG", quality=_JPEG_QUALITY)
