"""What a client sends, checked in the core: the REST API's JSON bodies and query arguments.

The server's handlers only decode a request and pass its parts here, so the same checks serve
any front end. Every refusal is a :class:`~surveylab.errors.SurveylabError` of the invalid-input
category (mostly :class:`~surveylab.errors.RequestError`) whose message names the field.

Examples
--------
>>> QuickQueryRequest.from_json({"sql": "SELECT 1", "max_rows": 10})
QuickQueryRequest(sql='SELECT 1', timeout=None, max_rows=10)
>>> QuickQueryRequest.from_json({"sql": "SELECT 1", "timeout": "soon"})
Traceback (most recent call last):
...
surveylab.errors.RequestError: timeout must be a positive number, not 'soon'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from .anomaly.job import ANOMALY_JOB
from .cutouts.job import CUTOUT_JOB
from .errors import FootprintError, NsideError, PositionError, RequestError
from .jobs import Job, Phase
from .query_jobs import QUERY_JOB
from .similarity.build import SIMILARITY_INDEX_JOB, IndexParameters

if TYPE_CHECKING:
    from .job_service import JobService
    from .survey import Survey, SurveyJob

__all__ = [
    "ANOMALY_OPTIONS",
    "CUTOUT_OPTIONS",
    "MOC_FORMATS",
    "AnomalyJobRequest",
    "CutoutJobRequest",
    "FindingChartRequest",
    "JobChanges",
    "JobRequest",
    "QueryJobRequest",
    "QuickQueryRequest",
    "SimilarRequest",
    "SimilarityIndexJobRequest",
    "job_request",
    "json_object",
    "labels_of",
    "optional_str",
    "parse_degrees",
    "parse_int",
    "parse_moc_format",
    "parse_moc_order",
    "parse_nside",
    "parse_phase",
    "positive",
    "require",
    "sql_of",
]

#: Options of a cutout job's body, passed to :meth:`Survey.cutouts` as they are.
CUTOUT_OPTIONS = (
    "xsize",
    "ysize",
    "bands",
    "rgb",
    "rgb_minimum",
    "rgb_stretch",
    "rgb_q",
    "previews",
    "list_only",
)
_CUTOUT_FIELDS = frozenset({"type", "positions", "ids", "csv", "name", "email", *CUTOUT_OPTIONS})

#: Formats a MOC is served in.
MOC_FORMATS = ("fits", "json")


# --- fields --------------------------------------------------------------------------------------


def json_object(text: str | bytes, *required: str) -> dict[str, Any]:
    """A request body decoded: a JSON object with the ``required`` keys (empty means ``{}``)."""
    try:
        data = json.loads(text or b"{}")
    except ValueError as err:
        raise RequestError(f"the body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise RequestError("the body must be a JSON object")
    require(data, *required)
    return data


def require(body: Mapping[str, Any], *keys: str) -> None:
    """Refuse a body that lacks any of ``keys``, naming every missing one."""
    missing = [key for key in keys if key not in body]
    if missing:
        raise RequestError(f"missing field(s): {', '.join(missing)}")


def _refuse_unknown(body: Mapping[str, Any], known: frozenset[str], what: str) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise RequestError(f"unknown field(s) of {what}: {', '.join(unknown)}")


def positive(body: Mapping[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    """``body[key]`` as a positive ``kind``, or None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RequestError(f"{key} must be a positive number, not {value!r}")
    if kind is int and int(value) != value:
        raise RequestError(f"{key} must be a whole number, not {value!r}")
    return kind(value)


def optional_str(body: Mapping[str, Any], key: str) -> str | None:
    """``body[key]`` as a string, or None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"{key} must be a string, not {value!r}")
    return value


# --- queries -------------------------------------------------------------------------------------


def sql_of(body: Mapping[str, Any]) -> str:
    """The ``sql`` of a body (``POST /query/check``, ``/query/explain``)."""
    require(body, "sql")
    return str(body["sql"])


@dataclass(frozen=True)
class QuickQueryRequest:
    """``POST /query``: a query with an optional time limit (s) and row cap."""

    sql: str
    timeout: float | None = None
    max_rows: int | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> QuickQueryRequest:
        """The request from its JSON body, checked."""
        sql = sql_of(body)
        return cls(sql, positive(body, "timeout", float), positive(body, "max_rows", int))


# --- jobs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryJobRequest:
    """``POST /jobs`` with type ``query``: a query whose full result goes to a file."""

    sql: str
    format: str = "csv"
    compression: str | None = None
    name: str | None = None
    email: str | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> QueryJobRequest:
        """The request from its JSON body, checked (the query itself is checked on submit)."""
        if "sql" not in body:
            raise RequestError("a query job needs 'sql'")
        return cls(
            str(body["sql"]),
            format=str(body.get("format", "csv")),
            compression=optional_str(body, "compression"),
            name=optional_str(body, "name"),
            email=optional_str(body, "email"),
        )

    def submit(self, survey: Survey) -> SurveyJob:
        """Start the job (see :meth:`Survey.submit`)."""
        return survey.submit(
            self.sql,
            format=self.format,
            compression=self.compression,
            name=self.name,
            email=self.email,
        )


@dataclass(frozen=True)
class CutoutJobRequest:
    """``POST /jobs`` with type ``cutout``: positions, ids or CSV text, and the options.

    Only the body's shape is checked here; :meth:`Survey.cutouts` checks the values (sizes,
    bands, positions) against the release.
    """

    positions: list[Any] | None = None
    ids: list[Any] | None = None
    csv: str | None = None
    name: str | None = None
    email: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> CutoutJobRequest:
        """The request from its JSON body, checked."""
        _refuse_unknown(body, _CUTOUT_FIELDS, "a cutout job")
        options = {key: body[key] for key in CUTOUT_OPTIONS if body.get(key) is not None}
        for key in ("positions", "ids"):
            if body.get(key) is not None and not isinstance(body[key], list):
                raise RequestError(f"{key} must be a list")
        positions = body.get("positions")
        if positions is not None and not all(isinstance(p, list | str) for p in positions):
            raise RequestError(
                "positions must be [ra, dec] pairs or position strings like '21:33:27 -0:49:24'; "
                "object ids go in 'ids'"
            )
        return cls(
            positions=positions,
            ids=body.get("ids"),
            csv=optional_str(body, "csv"),
            name=optional_str(body, "name"),
            email=optional_str(body, "email"),
            options=options,
        )

    def submit(self, survey: Survey) -> SurveyJob:
        """Start the job (see :meth:`Survey.cutouts`)."""
        return survey.cutouts(
            positions=self.positions,
            ids=self.ids,
            csv=self.csv,
            name=self.name,
            email=self.email,
            **self.options,
        )


#: Fields of a ``POST /finding-chart`` body besides ``targets``.
_CHART_OPTIONS = ("size", "band", "marker", "catalog", "mag_limit", "positions")
_CHART_FIELDS = frozenset({"targets", "format", *_CHART_OPTIONS})


@dataclass(frozen=True)
class FindingChartRequest:
    """A ``POST /finding-chart`` body: the targets, the format and the chart's options, with
    their JSON types checked (their values are checked by :mod:`surveylab.finding_chart`)."""

    targets: list[Any]
    format: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> FindingChartRequest:
        """The request from its JSON body, checked."""
        _refuse_unknown(body, _CHART_FIELDS, "a finding chart")
        require(body, "targets")
        targets = body["targets"]
        if not isinstance(targets, list):
            raise RequestError("targets must be a list of object ids, names, positions or rows")
        for key, kinds, what in (
            ("size", (int, float), "a number of arcmin"),
            ("band", (str,), "a string like 'i' or 'irg'"),
            ("marker", (str,), "'cross' or 'circle'"),
            ("catalog", (bool,), "true or false"),
            ("mag_limit", (int, float), "a number"),
            ("positions", (list,), "a list of [ra, dec] pairs"),
        ):
            value = body.get(key)
            wrong_bool = isinstance(value, bool) and bool not in kinds
            if value is not None and (wrong_bool or not isinstance(value, kinds)):
                raise RequestError(f"{key} must be {what}, not {value!r}")
        options = {key: body[key] for key in _CHART_OPTIONS if body.get(key) is not None}
        return cls(targets, optional_str(body, "format"), options)

    def render(self, survey: Survey) -> tuple[bytes, str]:
        """The chart file and its media type (see :meth:`Survey.finding_charts`)."""
        from .finding_chart import chart_bytes

        return chart_bytes(survey, self.targets, format=self.format, **self.options)


#: Options of an anomaly job's body, passed to :meth:`Survey.anomalies` as they are.
ANOMALY_OPTIONS = (
    "features",
    "trees",
    "sample_size",
    "ndim",
    "top",
    "seed",
    "format",
    "compression",
    "retrain",
    "exclude_labels",
)
_ANOMALY_FIELDS = frozenset({"type", "sql", "name", "email", *ANOMALY_OPTIONS})


@dataclass(frozen=True)
class AnomalyJobRequest:
    """``POST /jobs`` with type ``anomaly``: the sample's query and the model's options.

    The body's JSON types are checked here; :meth:`Survey.anomalies` checks the values (the
    query, the features against the sample's columns, the bounds) before a job exists.
    """

    sql: str | None = None
    name: str | None = None
    email: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AnomalyJobRequest:
        """The request from its JSON body, checked."""
        _refuse_unknown(body, _ANOMALY_FIELDS, "an anomaly job")
        if body.get("sql") is None and body.get("retrain") is None:
            raise RequestError("an anomaly job needs 'sql' (or 'retrain': an earlier job's id)")
        features = body.get("features")
        if features is not None and not (
            isinstance(features, str)
            or (isinstance(features, list) and all(isinstance(f, str) for f in features))
        ):
            raise RequestError("features must be a list of strings or a comma-separated string")
        labels = body.get("exclude_labels")
        if labels is not None and not isinstance(labels, list):
            raise RequestError("exclude_labels must be a list of labels 0-9")
        for key in ("sql", "format", "compression", "retrain"):
            optional_str(body, key)
        options = {key: body[key] for key in ANOMALY_OPTIONS if body.get(key) is not None}
        return cls(
            sql=optional_str(body, "sql"),
            name=optional_str(body, "name"),
            email=optional_str(body, "email"),
            options=options,
        )

    def submit(self, survey: Survey) -> SurveyJob:
        """Start the job (see :meth:`Survey.anomalies`)."""
        return survey.anomalies(self.sql, name=self.name, email=self.email, **self.options)


@dataclass(frozen=True)
class SimilarityIndexJobRequest:
    """``POST /jobs`` with type ``similarity-index``: (re)build the release's similarity index."""

    parameters: IndexParameters
    name: str | None = None
    email: str | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SimilarityIndexJobRequest:
        """The request from its JSON body, checked."""
        rest = {k: v for k, v in body.items() if k not in ("type", "name", "email")}
        return cls(
            IndexParameters.from_parameters(rest),
            optional_str(body, "name"),
            optional_str(body, "email"),
        )

    def submit(self, survey: Survey) -> SurveyJob:
        """Start the job (see :meth:`Survey.build_similarity_index`)."""
        return survey.build_similarity_index(
            name=self.name, email=self.email, **self.parameters.to_parameters()
        )


#: A job as ``POST /jobs`` asks for it.
JobRequest: TypeAlias = (
    QueryJobRequest | CutoutJobRequest | SimilarityIndexJobRequest | AnomalyJobRequest
)


def job_request(body: Mapping[str, Any]) -> JobRequest:
    """The job a ``POST /jobs`` body asks for, by its ``type``, checked."""
    require(body, "type")
    if body["type"] == CUTOUT_JOB:
        return CutoutJobRequest.from_json(body)
    if body["type"] == SIMILARITY_INDEX_JOB:
        return SimilarityIndexJobRequest.from_json(body)
    if body["type"] == ANOMALY_JOB:
        return AnomalyJobRequest.from_json(body)
    if body["type"] != QUERY_JOB:
        known = ", ".join((QUERY_JOB, CUTOUT_JOB, SIMILARITY_INDEX_JOB, ANOMALY_JOB))
        raise RequestError(f"unknown job type {body['type']!r}; known: {known}")
    return QueryJobRequest.from_json(body)


@dataclass(frozen=True)
class SimilarRequest:
    """A ``POST /similar`` body: the target, how many neighbours, and whether to start a
    cutout job of them (the answer as a gallery)."""

    target: Any
    k: int = 50
    gallery: bool = False

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SimilarRequest:
        """The request from its JSON body, checked (``k`` against ``SIMILAR_K_MAX``)."""
        from .limits import SIMILAR_K_MAX
        from .similarity.query import check_k

        _refuse_unknown(body, frozenset({"target", "k", "gallery"}), "a similarity search")
        require(body, "target")
        gallery = body.get("gallery", False)
        if not isinstance(gallery, bool):
            raise RequestError(f"gallery must be true or false, not {gallery!r}")
        return cls(body["target"], check_k(body.get("k", 50), SIMILAR_K_MAX), gallery)

    def answer(self, survey: Survey) -> dict[str, Any]:
        """The neighbours as JSON, with the cutout job's id when ``gallery`` was asked."""
        neighbours = survey.similar_neighbours(self.target, self.k)
        reply: dict[str, Any] = neighbours.to_json()
        reply["job"] = None
        if self.gallery:
            reply["job"] = survey.similar_cutouts(self.target, self.k).id
        return reply


@dataclass(frozen=True)
class JobChanges:
    """``PATCH /jobs/{id}``: a new name, and/or a renewal (by ``days``, or the default)."""

    name: str | None = None
    renew: bool = False
    renew_days: float | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> JobChanges:
        """The changes from a JSON body, all checked before any is made."""
        name = str(body["name"]) if "name" in body else None
        renew = body.get("renew")
        if not renew:
            return cls(name)
        return cls(name, True, None if renew is True else positive(body, "renew", float))

    def apply(self, jobs: JobService, job_id: str) -> Job:
        """Make the changes to job ``job_id``; the job's record afterwards."""
        job = jobs.get(job_id)
        if self.name is not None:
            job = jobs.rename(job_id, self.name)
        if self.renew:
            job = jobs.renew(job_id, self.renew_days)
        return job


def labels_of(body: Mapping[str, Any]) -> Any:
    """The ``labels`` of a ``PUT /jobs/{id}/labels`` body (checked when saved)."""
    require(body, "labels")
    _refuse_unknown(body, frozenset({"labels"}), "a labels body")
    return body["labels"]


# --- query arguments -----------------------------------------------------------------------------


def parse_int(name: str, text: str, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer argument between ``minimum`` and ``maximum``."""
    try:
        value = int(text)
    except ValueError:
        raise RequestError(f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
        raise RequestError(f"{name} must be {bounds}")
    return value


def parse_phase(text: str | None) -> Phase | None:
    """A job phase to filter by (None: every phase)."""
    if text is None:
        return None
    try:
        return Phase(text)
    except ValueError:
        known = ", ".join(p.value for p in Phase)
        raise RequestError(f"unknown phase {text!r}; phases: {known}") from None


def parse_degrees(name: str, text: str | None) -> float:
    """A required argument that is a number of degrees (its range is checked where used)."""
    if text is None or not text.strip():
        raise PositionError(f"{name} is required: a number of degrees")
    try:
        return float(text)
    except ValueError:
        raise PositionError(f"{name} must be a number of degrees, not {text!r}") from None


def parse_nside(text: str) -> int:
    """A HEALPix NSIDE as an integer (its range is checked where used)."""
    try:
        return int(text)
    except ValueError:
        raise NsideError(f"nside must be a power of 2, not {text!r}") from None


def parse_moc_order(text: str) -> int:
    """A MOC order as an integer (its range is checked where used)."""
    try:
        return int(text)
    except ValueError:
        raise FootprintError(f"order must be an integer HEALPix order, not {text!r}") from None


def parse_moc_format(text: str) -> str:
    """``fits`` or ``json``."""
    if text not in MOC_FORMATS:
        raise FootprintError(f"format must be fits or json, not {text!r}")
    return text
