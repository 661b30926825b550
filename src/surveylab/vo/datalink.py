"""DataLink 1.1: the links of a coadd tile image, and the service descriptors SIA and DataLink
answers carry.

``datalink/links?ID=...`` answers, for each ID (the publisher DID of a tile image, as SIA
gives it, or ``<TILENAME>/<band>``), one row per link: the image file itself (``#this``), a
cutout of it through SODA (``#cutout``, a ``service_def`` pointing at the SODA service
descriptor of the same document), and the same tile in each other band (``#counterpart``). An
ID that names no image gets one row with an ``error_message`` (``NotFoundFault: ...`` or
``UsageFault: ...``), and the other IDs are answered as usual.

The VOTables here are small; they are built with :mod:`astropy.io.votable`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..bands import PASSBANDS, passband
from ..cutouts import known_bands
from ..errors import ErrorCategory, RequestError, SurveylabError
from .protocol import VORequest, VOResponse
from .soda import FITS_TYPE, Dataset, parse_dataset_id

if TYPE_CHECKING:
    from astropy.io.votable.tree import Resource, VOTableFile

    from ..survey import Survey

__all__ = [
    "DATALINK_STANDARD_ID",
    "DATALINK_TYPE",
    "LINK_COLUMNS",
    "MAX_LINK_IDS",
    "SODA_SERVICE_ID",
    "SODA_STANDARD_ID",
    "Column",
    "datalink_descriptor",
    "datalink_links",
    "image_url",
    "links_url",
    "soda_descriptor",
    "votable_bytes",
    "votable_with_table",
]

#: The media type of a DataLink answer.
DATALINK_TYPE = "application/x-votable+xml;content=datalink"
#: The standard identifiers of SODA's synchronous service and of DataLink's links endpoint.
SODA_STANDARD_ID = "ivo://ivoa.net/std/SODA#sync-1.0"
DATALINK_STANDARD_ID = "ivo://ivoa.net/std/DataLink#links-1.1"
#: The ``ID`` of the SODA service descriptor, which the ``service_def`` of ``#cutout`` names.
SODA_SERVICE_ID = "soda"
#: The ``ID`` of the DataLink service descriptor in SIA answers.
DATALINK_SERVICE_ID = "datalink"
#: IDs one links request may ask for.
MAX_LINK_IDS = 1000
#: RESPONSEFORMAT values that mean a (DataLink) VOTable.
_VOTABLE_FORMATS = {
    "votable",
    "application/x-votable+xml",
    "text/xml",
    DATALINK_TYPE,
    "application/x-votable+xml; content=datalink",
}


# --- VOTable building -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A FIELD of a result table.

    ``datatype`` is a VOTable type; text columns are ``char`` with ``arraysize="*"``.
    """

    name: str
    datatype: str
    ucd: str
    description: str
    unit: str | None = None
    utype: str | None = None
    xtype: str | None = None
    arraysize: str | None = None

    def field(self, votable: VOTableFile) -> Any:
        """The astropy FIELD."""
        from astropy.io.votable.tree import Field

        arraysize = self.arraysize or ("*" if self.datatype == "char" else None)
        return Field(
            votable,
            name=self.name,
            datatype=self.datatype,
            arraysize=arraysize,
            ucd=self.ucd,
            unit=self.unit,
            utype=self.utype,
            xtype=self.xtype,
        )


def votable_with_table(
    columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]
) -> tuple[VOTableFile, Resource]:
    """A VOTable whose ``results`` RESOURCE holds ``QUERY_STATUS`` OK and a table of ``rows``
    (a missing or None value is NULL); also returns that RESOURCE."""
    from astropy.io.votable.tree import Info, Resource, TableElement, VOTableFile

    votable = VOTableFile(version="1.4")
    results = Resource(type="results")
    votable.resources.append(results)
    status = Info(name="QUERY_STATUS", value="OK")
    status.ID = None  # several documents' INFOs may share the name; IDs must be unique
    results.infos.append(status)
    table = TableElement(votable)
    results.tables.append(table)
    for column in columns:
        field = column.field(votable)
        field.description = column.description
        table.fields.append(field)
    table.create_arrays(len(rows))
    for index, row in enumerate(rows):
        values = [row.get(column.name) for column in columns]
        table.array[index] = tuple(
            _blank(column) if value is None else value
            for column, value in zip(columns, values, strict=True)
        )
        for column, value in zip(columns, values, strict=True):
            table.array.mask[index][column.name] = value is None
    return votable, results


def _blank(column: Column) -> Any:
    """A placeholder under a NULL mask."""
    if column.datatype == "char":
        return ""
    if column.arraysize is not None:
        return []
    return 0


def votable_bytes(votable: VOTableFile) -> bytes:
    """The document as UTF-8 XML."""
    buffer = io.BytesIO()
    votable.to_xml(buffer)
    return buffer.getvalue()


@cache
def _unset_param() -> type[Any]:
    """A PARAM class whose value is written as ``value=""``: an input the client fills in
    (astropy writes an array PARAM's empty value as zeros)."""
    from astropy.io.votable.tree import Field, Param

    class UnsetParam(Param):  # type: ignore[misc]  # astropy ships no type hints
        _value: Any

        def to_xml(self, w: Any, **kwargs: Any) -> None:
            kept = self._value
            self._value = ""
            try:
                Field.to_xml(self, w, **kwargs)
            finally:
                self._value = kept

    return UnsetParam


def _param(votable: VOTableFile, name: str, **attributes: Any) -> Any:
    """A PARAM without an XML ID (descriptors repeat names such as ``standardID``); without a
    ``value``, an input the client fills in (``value=""``)."""
    description = attributes.pop("description", None)
    attributes.setdefault("datatype", "char")
    if attributes["datatype"] == "char":
        attributes.setdefault("arraysize", "*")
    value = attributes.pop("value", None)
    if value is None:
        param = _unset_param()(votable, name=name, value="", **attributes)
    else:
        from astropy.io.votable.tree import Param

        param = Param(votable, name=name, value=value, **attributes)
    param.ID = None
    if description:
        param.description = description
    return param


def _service(
    votable: VOTableFile, resource_id: str, standard_id: str, access_url: str, description: str
) -> tuple[Any, Any]:
    """A ``<RESOURCE type="meta" utype="adhoc:service">`` and its ``inputParams`` GROUP."""
    from astropy.io.votable.tree import Group, Resource

    service = Resource(type="meta", utype="adhoc:service", ID=resource_id)
    service.description = description
    service.params.append(_param(votable, "standardID", value=standard_id))
    service.params.append(_param(votable, "accessURL", value=access_url, ucd="meta.ref.url"))
    inputs = Group(service, name="inputParams")
    inputs.ID = None
    service.groups.append(inputs)
    return service, inputs


def soda_descriptor(
    votable: VOTableFile, request: VORequest, id_field: str, bands: Iterable[str]
) -> Resource:
    """The SODA sync service descriptor: its ``accessURL`` (``soda/sync``), standard ID and
    input parameters (``ID`` taking the value of the FIELD whose XML ID is ``id_field``,
    ``POS``, ``CIRCLE``, ``POLYGON``, ``BAND`` with the range of the release's ``bands``)."""
    from astropy.io.votable.tree import Values

    service, inputs = _service(
        votable,
        SODA_SERVICE_ID,
        SODA_STANDARD_ID,
        request.url("soda/sync"),
        "Cutouts of the coadd tile images (SODA 1.0, synchronous): FITS",
    )
    inputs.entries.extend(
        [
            _param(
                votable,
                "ID",
                ref=id_field,
                ucd="meta.id;meta.dataset",
                description="the tile image to cut (its publisher DID)",
            ),
            _param(
                votable,
                "POS",
                ucd="pos.outline;obs",
                description=(
                    "the region to cut, degrees: CIRCLE ra dec radius, "
                    "RANGE ra1 ra2 dec1 dec2, or POLYGON ra1 dec1 ra2 dec2 ra3 dec3 ..."
                ),
            ),
            _param(
                votable,
                "CIRCLE",
                datatype="double",
                arraysize="3",
                xtype="circle",
                unit="deg",
                ucd="phys.angArea;obs",
                description="the region to cut as a circle: ra dec radius",
            ),
            _param(
                votable,
                "POLYGON",
                datatype="double",
                arraysize="*",
                xtype="polygon",
                unit="deg",
                ucd="pos.outline;obs",
                description="the region to cut as a polygon: ra1 dec1 ra2 dec2 ra3 dec3 ...",
            ),
        ]
    )
    known = [found for band in bands if (found := passband(band)) is not None]
    band = _param(
        votable,
        "BAND",
        datatype="double",
        arraysize="2",
        xtype="interval",
        unit="m",
        ucd="em.wl;stat.interval",
        description=(
            "wavelengths (m): the bands whose effective wavelength lies inside are cut ("
            + ", ".join(f"{p.name} {p.effective:.3e}" for p in known or PASSBANDS.values())
            + ")"
        ),
    )
    if known:
        band.values = Values(votable, band)
        band.values.min = min(p.minimum for p in known)
        band.values.max = max(p.maximum for p in known)
    inputs.entries.append(band)
    resource: Resource = service
    return resource


def datalink_descriptor(votable: VOTableFile, request: VORequest, id_field: str) -> Resource:
    """The DataLink links service descriptor (``datalink/links``), whose ``ID`` takes the value
    of the FIELD whose XML ID is ``id_field``."""
    service, inputs = _service(
        votable,
        DATALINK_SERVICE_ID,
        DATALINK_STANDARD_ID,
        request.url("datalink/links"),
        "Links of a coadd tile image: the file, a SODA cutout, the other bands (DataLink 1.1)",
    )
    inputs.entries.append(
        _param(
            votable,
            "ID",
            ref=id_field,
            ucd="meta.id;meta.main",
            description="the tile image (its publisher DID)",
        )
    )
    resource: Resource = service
    return resource


# --- URLs --------------------------------------------------------------------------------------


def image_url(request: VORequest, tile: str, band: str) -> str:
    """The URL that downloads a tile image (served by :func:`surveylab.vo.sia.sia_file`)."""
    return request.url(f"sia/files/{quote(tile, safe='')}/{quote(band, safe='')}")


def links_url(request: VORequest, did: str) -> str:
    """The DataLink URL of a dataset: ``datalink/links?ID=<did>``."""
    return request.url(f"datalink/links?ID={quote(did, safe='')}")


# --- the links endpoint ------------------------------------------------------------------------

LINK_COLUMNS = (
    Column("ID", "char", "meta.id;meta.main", "the dataset the link belongs to"),
    Column("access_url", "char", "meta.ref.url", "the link"),
    Column("service_def", "char", "meta.ref", "the service descriptor of a service link"),
    Column("error_message", "char", "meta.code.error", "why the ID has no links"),
    Column("description", "char", "meta.note", "what the link is"),
    Column("semantics", "char", "meta.code", "what the link is, from the DataLink vocabulary"),
    Column("content_type", "char", "meta.code.mime", "the media type of what the link gives"),
    Column("content_length", "long", "phys.size;meta.file", "the size of the file", unit="byte"),
)


def _check_format(value: str | None) -> None:
    if value is not None and value.strip().lower() not in _VOTABLE_FORMATS:
        raise RequestError(
            f"RESPONSEFORMAT {value!r} is not supported: links are a VOTable ({DATALINK_TYPE})"
        )


def _fault(error: SurveylabError) -> str:
    """The DataLink fault of an ID that cannot be linked."""
    kind = "NotFoundFault" if error.category is ErrorCategory.NOT_FOUND else "UsageFault"
    return f"{kind}: {error}"


def _image_links(
    survey: Survey, request: VORequest, text: str, dataset: Dataset
) -> list[dict[str, Any]]:
    tile, band = dataset.tile, dataset.band
    release = survey.release
    rows: list[dict[str, Any]] = [
        {
            "ID": text,
            "access_url": image_url(request, tile.name, band),
            "description": f"{release} coadd image of tile {tile.name} in band {band}",
            "semantics": "#this",
            "content_type": FITS_TYPE,
            "content_length": dataset.path.stat().st_size,
        },
        {
            "ID": text,
            "service_def": SODA_SERVICE_ID,
            "description": (
                "a cutout of this image (SODA): give POS, CIRCLE or POLYGON, in degrees"
            ),
            "semantics": "#cutout",
            "content_type": FITS_TYPE,
        },
    ]
    for other, path in tile.images.items():
        if other == band:
            continue
        rows.append(
            {
                "ID": text,
                "access_url": image_url(request, tile.name, other),
                "description": f"{release} coadd image of tile {tile.name} in band {other}",
                "semantics": "#counterpart",
                "content_type": FITS_TYPE,
                "content_length": path.stat().st_size,
            }
        )
    return rows


def datalink_links(survey: Survey, request: VORequest) -> VOResponse:
    """The links of each ``ID``: a DataLink 1.1 ``links`` answer with the SODA descriptor.

    Parameters
    ----------
    survey : Survey
        The release.
    request : VORequest
        ``ID`` (one or more: a publisher DID ``ivo://surveylab/<release>?<TILENAME>/<band>``
        or ``<TILENAME>/<band>``), and optionally ``RESPONSEFORMAT`` (a VOTable).

    Returns
    -------
    VOResponse
        ``application/x-votable+xml;content=datalink``: the links table (columns ``ID``,
        ``access_url``, ``service_def``, ``error_message``, ``description``, ``semantics``,
        ``content_type``, ``content_length``) and the SODA service descriptor
        ``<RESOURCE type="meta" utype="adhoc:service" ID="soda">``, whose ``ID`` input takes
        the ``ID`` column.

    Raises
    ------
    RequestError
        Without an ID, with more than :data:`MAX_LINK_IDS`, or for an unknown RESPONSEFORMAT.
        An ID that names no image is not an error of the request: its row says why.
    """
    params = request.params
    _check_format(params.get("RESPONSEFORMAT"))
    ids = params.getall("ID")
    if not ids:
        raise RequestError(
            "ID is required: the publisher DID of a tile image (as SIA gives it), or "
            "<TILENAME>/<band>"
        )
    if len(ids) > MAX_LINK_IDS:
        raise RequestError(
            f"{len(ids):,} IDs given; a links request takes at most {MAX_LINK_IDS:,}"
        )
    rows: list[dict[str, Any]] = []
    for text in ids:
        try:
            dataset = parse_dataset_id(survey, text)
        except SurveylabError as err:
            rows.append({"ID": text, "error_message": _fault(err)})
            continue
        rows += _image_links(survey, request, text, dataset)
    votable, _results = votable_with_table(LINK_COLUMNS, rows)
    votable.resources.append(soda_descriptor(votable, request, "ID", known_bands(survey.footprint)))
    return VOResponse(200, DATALINK_TYPE, votable_bytes(votable))
