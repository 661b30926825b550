"""The DES bands' wavelengths: the one table that SODA's and SIA's ``BAND``, SIA's
``em_min``/``em_max`` and the SED plots (:func:`surveylab_widgets.plots.sed`) read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PASSBANDS", "Passband", "passband"]


@dataclass(frozen=True)
class Passband:
    """A DES band's wavelengths, in metres, and the UCD word of its part of the spectrum.

    Attributes
    ----------
    name : str
        The band as the release spells it (``g``, ``r``, ``i``, ``z``, ``Y``).
    effective : float
        Effective wavelength, m.
    minimum, maximum : float
        Where the passband starts and ends, m.
    ucd : str
        The spectral UCD word of the band (``em.opt.R``...).
    """

    name: str
    effective: float
    minimum: float
    maximum: float
    ucd: str

    def overlaps(self, low: float, high: float) -> bool:
        """Whether ``[low, high]`` (m) meets the passband."""
        return low <= self.maximum and high >= self.minimum


#: The DECam passbands of the DES coadds (DES DR2, Abbott et al. 2021): ranges in nm
#: g 398-548, r 568-716, i 710-857, z 850-1002, Y 953-1065; each effective wavelength is its
#: range's middle. The one table of wavelengths: SODA's BAND, SIA's BAND and ``em_min``/``em_max``.
PASSBANDS: dict[str, Passband] = {
    band.name: band
    for band in (
        Passband("g", 473e-9, 398e-9, 548e-9, "em.opt.B"),
        Passband("r", 642e-9, 568e-9, 716e-9, "em.opt.R"),
        Passband("i", 784e-9, 710e-9, 857e-9, "em.opt.I"),
        Passband("z", 926e-9, 850e-9, 1002e-9, "em.opt.I"),
        Passband("Y", 1009e-9, 953e-9, 1065e-9, "em.IR.NIR"),
    )
}


def passband(band: str) -> Passband | None:
    """The passband of ``band`` (case-insensitive), or None for a band not in the table.

    >>> passband("y").effective
    1.009e-06
    """
    for name, found in PASSBANDS.items():
        if name.lower() == band.lower():
            return found
    return None
