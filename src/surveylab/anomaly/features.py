"""The features an anomaly model sees: catalog columns, colours and the ellipticity.

A feature is named by a column (``FLUX_RADIUS_I``), a difference of two columns (a colour,
``MAG_AUTO_G-MAG_AUTO_R``) or ``ELLIPTICITY`` (``1 - B_IMAGE/A_IMAGE``). Names are checked
against the sample's columns before anything runs, and a bad one is refused by name.

Missing values: a value that is NaN, NULL or a DES sentinel (``|value| >= 99``: 99 for a band
that did not measure a source, -99 for a missing ``WAVG_`` quantity) is missing. Such rows are
kept: they are scored with the model's imputation (at each split, the central value of the
training rows at that node), they are never used to train, and the result counts their missing
features in ``N_MISSING``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import RequestError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "DEFAULT_FEATURES",
    "ELLIPTICITY",
    "MIN_FEATURES",
    "MISSING_SENTINEL",
    "Feature",
    "FeatureError",
    "default_features",
    "feature_matrix",
    "parse_features",
]

#: The derived feature ``1 - B_IMAGE / A_IMAGE``.
ELLIPTICITY = "ELLIPTICITY"
#: The default features, used when present in the sample: DES colours from ``MAG_AUTO``, the
#: i-band half-light radius, the ellipticity and the i-band ``SPREAD_MODEL``.
DEFAULT_FEATURES = (
    "MAG_AUTO_G-MAG_AUTO_R",
    "MAG_AUTO_R-MAG_AUTO_I",
    "MAG_AUTO_I-MAG_AUTO_Z",
    "MAG_AUTO_Z-MAG_AUTO_Y",
    "FLUX_RADIUS_I",
    ELLIPTICITY,
    "SPREAD_MODEL_I",
)
#: Fewest features a model is trained on.
MIN_FEATURES = 2
#: A value this large in magnitude is DES's "not measured" (99 or -99).
MISSING_SENTINEL = 99.0

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FeatureError(RequestError):
    """A feature that names no column of the sample, or too few features."""


@dataclass(frozen=True)
class Feature:
    """One feature: ``name`` as the user wrote it (upper case) and the columns it reads."""

    name: str
    columns: tuple[str, ...]

    def values(self, data: Mapping[str, npt.NDArray[Any]]) -> npt.NDArray[np.float64]:
        """The feature of every row (NaN where missing), from columns by upper-case name."""
        parts = [_clean(data[column]) for column in self.columns]
        if self.name == ELLIPTICITY:
            a, b = parts
            with np.errstate(divide="ignore", invalid="ignore"):
                out = 1.0 - b / a
            out[~(a > 0)] = np.nan
            return out
        if len(parts) == 2:
            return parts[0] - parts[1]
        return parts[0]


def _clean(values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """``values`` as floats with NULLs and DES sentinels as NaN."""
    if np.ma.isMaskedArray(values):
        values = np.ma.filled(values.astype(np.float64), np.nan)
    out = np.asarray(values, dtype=np.float64).copy()
    out[~np.isfinite(out) | (np.abs(out) >= MISSING_SENTINEL)] = np.nan
    return out


def _parse_one(text: str, columns: frozenset[str]) -> Feature:
    name = re.sub(r"\s+", "", str(text)).upper()
    if name == ELLIPTICITY:
        needed: tuple[str, ...] = ("A_IMAGE", "B_IMAGE")
    else:
        needed = tuple(name.split("-"))
        if len(needed) > 2 or not all(_NAME.match(part) for part in needed):
            raise FeatureError(
                f"feature {text!r} is not a column, a difference of two columns "
                f"(like MAG_AUTO_G-MAG_AUTO_R) or {ELLIPTICITY}"
            )
    missing = [column for column in needed if column not in columns]
    if missing:
        raise FeatureError(
            f"feature {text!r} needs column(s) {', '.join(missing)}, which the sample does not "
            f"have; its columns: {', '.join(sorted(columns))}"
        )
    return Feature(name, needed)


def parse_features(names: Iterable[str] | str | None, columns: Iterable[str]) -> list[Feature]:
    """The features named by ``names`` (None: :func:`default_features`), checked against
    the sample's ``columns`` (any case).

    Raises
    ------
    FeatureError
        Naming the first feature the sample cannot give, a repeated feature, or fewer than
        :data:`MIN_FEATURES`.
    """
    have = frozenset(str(column).upper() for column in columns)
    if names is None:
        return default_features(have)
    if isinstance(names, str):
        names = [part for part in names.split(",") if part.strip()]
    features = [_parse_one(name, have) for name in names]
    seen: set[str] = set()
    for feature in features:
        if feature.name in seen:
            raise FeatureError(f"feature {feature.name} is given twice")
        seen.add(feature.name)
    if len(features) < MIN_FEATURES:
        raise FeatureError(
            f"an anomaly model needs at least {MIN_FEATURES} features, not {len(features)}"
        )
    return features


def default_features(columns: Iterable[str]) -> list[Feature]:
    """The :data:`DEFAULT_FEATURES` the sample's ``columns`` can give (at least two)."""
    have = frozenset(str(column).upper() for column in columns)
    found = []
    for name in DEFAULT_FEATURES:
        try:
            found.append(_parse_one(name, have))
        except FeatureError:
            continue
    if len(found) < MIN_FEATURES:
        raise FeatureError(
            f"the sample has {len(found)} of the default features ({', '.join(DEFAULT_FEATURES)}); "
            f"a model needs at least {MIN_FEATURES}: select more of their columns "
            "(MAG_AUTO_G..Y, FLUX_RADIUS_I, A_IMAGE, B_IMAGE, SPREAD_MODEL_I) or name the features"
        )
    return found


def feature_matrix(
    features: Sequence[Feature], data: Mapping[str, npt.NDArray[Any]]
) -> npt.NDArray[np.float64]:
    """The rows x features matrix (NaN where missing) from columns by upper-case name."""
    return np.column_stack([feature.values(data) for feature in features])
