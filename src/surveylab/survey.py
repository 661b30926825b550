"""``Survey``: the one entry point to a data release, shared by the server extension, the widgets
and the CLI."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pyarrow as pa

from ._version import __version__
from .anomaly import ANOMALY_JOB, AnomalyModel, anomaly_work
from .catalog import Catalog, open_catalog
from .cutouts import (
    CUTOUT_JOB,
    DEFAULT_BANDS,
    SUMMARY_NAME,
    CutoutExecutor,
    CutoutOptions,
    CutoutRequest,
    cutout_work,
    executor_from_settings,
    known_bands,
    parse_csv,
    parse_ids,
    parse_positions,
)
from .errors import (
    FootprintError,
    ImageNotFoundError,
    QueryError,
    SurveylabError,
    TableNotFoundError,
    TileListError,
)
from .footprint import (
    DEFAULT_MOC_ORDER,
    DEFAULT_NSIDE,
    Footprint,
    TileInfo,
    healpix_counts,
    release_footprint,
    tile_counts,
)
from .job_service import JobService
from .jobs import Job, JobRunner, Phase
from .jobs.runner import Executor
from .metrics import observe_query
from .models import ColumnInfo, ReleaseInfo, TableInfo
from .platform import PlatformClient
from .query_jobs import QUERY_JOB, query_work, upload_input
from .results import QuickResult, column_info, original_name, result_columns
from .settings import Settings
from .similarity import SIMILARITY_INDEX_JOB, similarity_index_work
from .sql import PreparedQuery, prepare

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    from astropy.table import MaskedColumn, Table
    from mocpy import MOC  # type: ignore[import-untyped]  # mocpy ships no type hints

    from .similarity import Neighbours, SimilarityIndex
    from .status import StatusChecker, StatusReport
    from .writers import ResultMetadata

__all__ = ["Survey", "SurveyJob", "arrow_to_table"]

#: Shown when neither the settings nor the catalog name the release.
UNNAMED_RELEASE = "unnamed release"


class Survey:
    """A survey data release: its catalog, its jobs, its footprint and its images.

    Parameters
    ----------
    settings : Settings, optional
        Where the release lives; read from ``SURVEYLAB_*`` environment variables by default.
    catalog : Catalog, optional
        An already opened catalog backend (tests, embedding); overrides ``settings``.
    footprint : Footprint, optional
        The release's tiles, e.g. ``Footprint.from_tile_list("des_dr2_tiles.csv")``; default:
        the catalog's tile table (``DR1_TILE_INFO``), read on first use.
    job_executor : Executor, optional
        Where the jobs run; default a local pool of ``settings.job_workers`` threads. The
        platform service gives each user a turn of one shared pool
        (:class:`~surveylab.jobs.fair.FairExecutor`).

    Examples
    --------
    >>> from surveylab import Survey
    >>> survey = Survey()  # doctest: +SKIP
    >>> survey.query("SELECT COUNT(*) AS N FROM DR1_MAIN")  # doctest: +SKIP
    <Table length=1>
    >>> job = survey.submit("SELECT * FROM DR1_MAIN", format="fits")  # doctest: +SKIP
    >>> job.wait().phase  # doctest: +SKIP
    <Phase.COMPLETED: 'COMPLETED'>
    >>> survey.tile_at(323.36, -0.82)  # doctest: +SKIP
    'DES2134-0041'
    """

    def __init__(
        self,
        settings: Settings | None = None,
        catalog: Catalog | None = None,
        footprint: Footprint | None = None,
        job_executor: Executor | None = None,
    ) -> None:
        # the caps in force: the settings lowered by the user's role, if it has one
        self.settings = (settings or Settings()).in_force()
        self._job_executor = job_executor
        self._catalog = catalog
        self._lock = threading.Lock()
        self._runner: JobRunner | None = None
        self._job_service: JobService | None = None
        self._cutout_executor: CutoutExecutor | None = None
        self._footprint = footprint
        self._footprint_lock = threading.Lock()
        self._tile_counts: dict[str, int] | None = None
        self._tap_schema: dict[str, pa.Table] | None = None
        self._tap_schema_lock = threading.Lock()
        self._similarity: tuple[float, SimilarityIndex] | None = None

    # --- the catalog ----------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        """The catalog backend, opened on first use with the configured credentials."""
        with self._lock:
            if self._catalog is None:
                password = self.settings.db_password
                self._catalog = open_catalog(
                    self.settings.catalog_location,
                    user=self.settings.db_user,
                    password=password.get_secret_value() if password else None,
                )
            return self._catalog

    @property
    def release(self) -> str:
        """The release name: from the settings, else from the catalog."""
        return self.settings.release_name or self.catalog.release_name() or UNNAMED_RELEASE

    def info(self) -> ReleaseInfo:
        """Version, release name, backend and tables, as the Survey panel shows them."""
        return ReleaseInfo(
            release=self.release,
            version=__version__,
            backend=self.catalog.backend,
            tables=tuple(self.tables()),
        )

    def tables(self, column: str | None = None) -> list[TableInfo]:
        """The release's tables with descriptions and row counts; with ``column``, only the
        tables that have a column of that name."""
        tables = self.catalog.tables()
        if column is None:
            return tables
        having = {name.upper() for name in self.catalog.tables_with_column(column)}
        return [table for table in tables if table.name.upper() in having]

    def table(self, name: str) -> TableInfo:
        """One table with its columns (types, units, descriptions)."""
        tables = self.catalog.tables()
        for table in tables:
            if table.name.upper() == name.upper():
                return TableInfo(
                    table.name, table.description, table.rows, tuple(self.columns(name))
                )
        known = ", ".join(table.name for table in tables)
        raise TableNotFoundError(f"no table named {name!r}; tables: {known}")

    def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of ``table`` with types, units and descriptions."""
        return self.catalog.columns(table)

    # --- queries --------------------------------------------------------------------------

    def check(
        self, sql: str, *, lang: str = "SQL", uploads: Mapping[str, pa.Table] | None = None
    ) -> PreparedQuery:
        """Parse ``sql`` without running it; raise the error with its line and column.

        ``lang`` is ``"SQL"`` (DES's Oracle-flavoured SQL, or the backend's own) or ``"ADQL"``
        (IVOA ADQL 2.1, :mod:`surveylab.vo.adql`), whose ``TAP_UPLOAD.<name>`` tables are
        ``uploads[name]``.
        """
        if lang.upper().startswith("ADQL"):
            from .vo.adql import translate

            described = self.tap_schema() if "TAP_SCHEMA" in sql.upper() else None
            return translate(sql, self.catalog.dialect, uploads=uploads, tap_schema=described)
        if uploads:
            raise QueryError("uploaded tables can be joined in ADQL queries only")
        return prepare(sql, self.catalog.dialect)

    def tap_schema(self) -> dict[str, pa.Table]:
        """The release's TAP_SCHEMA as TAP 1.1 describes it, by upper-case table name
        (``COLUMNS``; :func:`surveylab.vo.tap_schema.tap_schema`); made once."""
        with self._tap_schema_lock:
            if self._tap_schema is None:
                from .vo.tap_schema import tap_schema

                self._tap_schema = {
                    name.partition(".")[2]: table for name, table in tap_schema(self).items()
                }
            return self._tap_schema

    def result_metadata(self, prepared: PreparedQuery) -> ResultMetadata:
        """What a result file of ``prepared`` records: the query, the release, this version,
        the time now and the column metadata of the tables it reads."""
        from .writers import ResultMetadata

        return ResultMetadata(
            query=prepared.text, release=self.release, columns=self.query_columns(prepared)
        )

    def explain(self, sql: str) -> str:
        """The backend's execution plan of ``sql``, as text."""
        return self.catalog.explain(self.check(sql).sql)

    def quick(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> QuickResult:
        """Run a quick query: at most ``max_rows`` rows within ``timeout`` seconds.

        Defaults come from ``settings.quick_max_rows`` and ``settings.quick_timeout``. Past the
        time limit the query is cancelled in the database and ``QueryTimeoutError`` is raised.
        The rows come as JSON-ready lists (the REST API's answer); :meth:`quick_table` gives
        an astropy Table.
        """
        prepared, data, truncated, elapsed = self._quick_rows(sql, timeout, max_rows)
        rows = [list(row) for row in zip(*(c.to_pylist() for c in data.columns), strict=True)]
        return QuickResult(
            query=prepared.text,
            sql=prepared.sql,
            columns=result_columns(data.schema, self.query_columns(prepared)),
            rows=rows,
            truncated=truncated,
            elapsed=elapsed,
        )

    def quick_table(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> Table:
        """Run a quick query (as :meth:`quick`) into an astropy Table.

        Columns carry the catalog's units and descriptions, NULLs are masked, and ``meta``
        holds ``release``, ``query``, ``truncated`` (whether the query had more than
        ``max_rows`` rows) and ``elapsed`` (seconds).
        """
        prepared, data, truncated, elapsed = self._quick_rows(sql, timeout, max_rows)
        table = self._annotated_table(data, prepared)
        table.meta.update(truncated=truncated, elapsed=elapsed)
        return table

    def _quick_rows(
        self, sql: str, timeout: float | None, max_rows: int | None
    ) -> tuple[PreparedQuery, pa.Table, bool, float]:
        """The first ``max_rows`` rows of ``sql`` within ``timeout`` seconds: the prepared
        query, the rows, whether there were more, and the seconds taken."""
        limit = max_rows or self.settings.quick_max_rows
        with observe_query("quick"):
            prepared = self.check(sql)
            started = time.perf_counter()
            with self.catalog.execute(
                prepared.sql,
                timeout=timeout or self.settings.quick_timeout,
                batch_rows=min(limit + 1, 65_536),
            ) as handle:
                data = _first_rows(handle.batches(), handle.schema, limit + 1)
            elapsed = time.perf_counter() - started
        return prepared, data.slice(0, limit), data.num_rows > limit, elapsed

    def query_arrow(self, sql: str, limit: int | None = None) -> pa.Table:
        """Run ``sql`` (any backend's dialect or DES's Oracle SQL) into an Arrow table."""
        prepared = self.check(sql)
        with self.catalog.execute(prepared.sql) as handle:
            batches = handle.batches()
            if limit is None:
                return pa.Table.from_batches(list(batches), schema=handle.schema)
            return _first_rows(batches, handle.schema, limit)

    def query(
        self,
        sql: str,
        limit: int | None = None,
        output: Literal["table", "pandas", "arrow"] = "table",
    ) -> Table | pd.DataFrame | pa.Table:
        """Run ``sql`` and return the whole result.

        Parameters
        ----------
        sql : str
            A read-only query in DES's Oracle-flavoured SQL (or the backend's own).
        limit : int, optional
            Return at most this many rows.
        output : {"table", "pandas", "arrow"}
            An astropy Table (default; catalog columns carry units and descriptions), a pandas
            DataFrame, or a pyarrow Table.
        """
        data = self.query_arrow(sql, limit)
        if output == "arrow":
            return data
        if output == "pandas":
            return data.to_pandas()
        return self._annotated_table(data, self.check(sql))

    def _annotated_table(self, data: pa.Table, prepared: PreparedQuery) -> Table:
        """``data`` as an astropy Table with the catalog's units and descriptions, and the
        release and the query in its ``meta``."""
        table = arrow_to_table(data)
        known = self.query_columns(prepared)
        for field in data.schema:
            column = column_info(field, known)
            if column is not None:
                table[field.name].unit = column.unit or None
                table[field.name].description = column.description
        table.meta["release"] = self.release
        table.meta["query"] = prepared.text
        return table

    @cached_property
    def _table_columns(self) -> dict[str, dict[str, ColumnInfo]]:
        """Each catalog table's column metadata by upper-case name, by upper-case table name."""
        return {
            table.name.upper(): {column.name.upper(): column for column in self.columns(table.name)}
            for table in self.catalog.tables()
        }

    @cached_property
    def known_columns(self) -> dict[str, ColumnInfo]:
        """Catalog column metadata by upper-case name, where the name is unambiguous."""
        seen: dict[str, ColumnInfo] = {}
        ambiguous: set[str] = set()
        for columns in self._table_columns.values():
            for key, column in columns.items():
                if key in seen and seen[key].unit != column.unit:
                    ambiguous.add(key)
                seen.setdefault(key, column)
        return {key: value for key, value in seen.items() if key not in ambiguous}

    def query_columns(self, prepared: PreparedQuery) -> dict[str, ColumnInfo]:
        """Column metadata for a result of ``prepared``, by upper-case name: the columns of the
        tables it reads (the first one named wins a name they share), then every unambiguous
        catalog column (:attr:`known_columns`)."""
        found = dict(self.known_columns)
        for table in reversed(prepared.tables):
            columns = self._table_columns.get(table) or self._table_columns.get(
                table.rpartition(".")[2]
            )
            found.update(columns or {})
        return found

    # --- the footprint --------------------------------------------------------------------

    @property
    def footprint(self) -> Footprint:
        """The release's tiles with a spatial index, built on first use: from the tile list
        ``settings.footprint_file`` if set (see :meth:`Footprint.from_tile_list`), else from the
        catalog's tile table.

        Raises
        ------
        TileListError
            If ``settings.footprint_file`` cannot be read or has a malformed line (the message
            names the setting, the file and the line).
        """
        with self._footprint_lock:
            if self._footprint is None:
                if self.settings.footprint_file is not None:
                    self._footprint = self._footprint_from_file(self.settings.footprint_file)
                else:
                    self._footprint = release_footprint(
                        self.catalog, self.settings.data_dir, name=self.release
                    )
            return self._footprint

    def _footprint_from_file(self, path: Path) -> Footprint:
        """The tiles of an external tile list, with the images the catalog's tile table names
        for tiles of the same name (none if the catalog has no tile table)."""
        try:
            listed = Footprint.from_tile_list(path.expanduser())
        except TileListError as err:
            raise TileListError(f"SURVEYLAB_FOOTPRINT_FILE: {err}") from None
        try:
            table = release_footprint(self.catalog, self.settings.data_dir)
        except FootprintError:  # no tile table: tiles without images
            return listed
        images = {tile.name: tile.images for tile in table if tile.images}
        if not images:
            return listed
        tiles = [
            replace(tile, images=images[tile.name]) if tile.name in images else tile
            for tile in listed
        ]
        return Footprint(tiles, name=listed.name)

    def tile_at(self, ra: Any, dec: Any = None) -> str | npt.NDArray[np.object_] | None:
        """The tile owning each position: a name (None outside), or an array for arrays.

        Takes a SkyCoord, Quantity angles or degrees; see :meth:`Footprint.tile_at`.
        """
        return self.footprint.tile_at(ra, dec)

    def tiles_at(self, ra: Any, dec: Any = None) -> list[str] | list[list[str]]:
        """Every tile whose outer area holds each position; see :meth:`Footprint.tiles_at`."""
        return self.footprint.tiles_at(ra, dec)

    def tile_counts(self) -> dict[str, int]:
        """Objects per tile, counted once in the database (``GROUP BY TILENAME``)."""
        with self._footprint_lock:
            if self._tile_counts is None:
                self._tile_counts = tile_counts(self.catalog)
            return self._tile_counts

    def tile(self, name: str) -> TileInfo:
        """One tile: centre, corners, areas, its number of objects and its image files."""
        tile = self.footprint.tile(name)
        return replace(tile, objects=self.tile_counts().get(tile.name, 0))

    def tile_image(self, name: str, band: str) -> Path:
        """The image file of tile ``name`` in ``band`` (case-insensitive), which exists."""
        tile = self.footprint.tile(name)
        by_band = {known.lower(): path for known, path in tile.images.items()}
        path = by_band.get(str(band).lower())
        if path is None:
            have = f"its bands: {', '.join(tile.images)}" if tile.images else "it has no images"
            raise ImageNotFoundError(f"tile {tile.name} has no image in band {band!r}; {have}")
        return path

    def healpix_counts(self, nside: int = DEFAULT_NSIDE) -> Table:
        """Objects per HEALPix pixel (NESTED) at ``nside``; see :func:`healpix_counts`."""
        return healpix_counts(self.catalog, nside)

    def moc(self, order: int = DEFAULT_MOC_ORDER) -> MOC:
        """The footprint's coverage as a mocpy MOC at HEALPix ``order``."""
        return self.footprint.moc(order)

    # --- jobs -----------------------------------------------------------------------------

    @property
    def runner(self) -> JobRunner:
        """The job runner over the user's job store, started on first use.

        The survey wires the job types: a query job gets the survey as its
        :class:`~surveylab.query_jobs.QuerySource`, a cutout job as its
        :class:`~surveylab.cutouts.job.CutoutSource` with :attr:`cutout_executor`.
        """
        with self._lock:
            if self._runner is None:
                self._runner = JobRunner.from_settings(
                    self.settings,
                    {
                        QUERY_JOB: lambda context: query_work(self, context),
                        CUTOUT_JOB: lambda context: cutout_work(
                            self, context, self.cutout_executor
                        ),
                        ANOMALY_JOB: lambda context: anomaly_work(
                            self, context, self.cutout_executor
                        ),
                        SIMILARITY_INDEX_JOB: lambda context: similarity_index_work(
                            self, context, self.cutout_executor
                        ),
                    },
                    executor=self._job_executor,
                )
                self._runner.store.recover()
            return self._runner

    @property
    def job_service(self) -> JobService:
        """The user's jobs (list, cancel, delete, rename, files, log, labels...), as the REST
        API, the widgets and the shell use them."""
        runner = self.runner
        with self._lock:
            if self._job_service is None:
                self._job_service = JobService(runner)
            return self._job_service

    def submit(
        self,
        sql: str,
        *,
        format: str = "csv",
        compression: str | None = None,
        name: str | None = None,
        email: str | None = None,
        lang: str = "SQL",
        maxrec: int | None = None,
        uploads: Mapping[str, pa.Table] | None = None,
        start: bool = True,
        options: Mapping[str, Any] | None = None,
    ) -> SurveyJob:
        """Start an asynchronous query job writing the full result into the job store.

        The query is checked first, so a malformed one is refused before a job exists.
        ``lang``, ``uploads`` as :meth:`check`; ``maxrec`` caps the rows written (TAP's
        ``MAXREC``). With ``start=False`` the job waits, PENDING, for
        ``job_service.start(id)`` (a UWS job before ``PHASE=RUN``). ``options`` are further job
        parameters (e.g. a VOTable ``serialization``).

        Under a hub with a platform service (:attr:`platform`) a plain SQL job runs there, so
        that it outlives the lab; a TAP job (ADQL, MAXREC, uploads, PENDING) runs here.
        """
        import io

        import pyarrow.parquet as pq

        from .writers import validate_format

        self.check(sql, lang=lang, uploads=uploads)
        format, compression = validate_format(format, compression)
        simple = start and not uploads and not options and maxrec is None
        if self.platform is not None and simple and lang.upper() == "SQL":
            request = {"type": QUERY_JOB, "sql": sql, "format": format, "name": name}
            request |= {"compression": compression, "email": email}
            return SurveyJob(self, self.platform.submit_job(request))
        parameters: dict[str, Any] = {
            **(options or {}),
            "sql": sql,
            "format": format,
            "compression": compression,
        }
        if lang.upper() != "SQL":
            parameters["lang"] = lang.upper()
        if maxrec is not None:
            parameters["maxrec"] = maxrec
        inputs: dict[str, bytes] = {}
        for table_name, table in (uploads or {}).items():
            buffer = io.BytesIO()
            pq.write_table(table, buffer)
            inputs[upload_input(table_name)] = buffer.getvalue()
        if inputs:
            parameters["uploads"] = sorted(uploads or {})
        self.job_service.check_storage(self.settings.job_storage_quota_gb)
        if start:
            job = self.runner.submit(
                QUERY_JOB, name=name, parameters=parameters, email=email, inputs=inputs
            )
        else:
            job = self.runner.create(
                QUERY_JOB, name=name, parameters={**parameters, "email": email}, inputs=inputs
            )
        return SurveyJob(self, job.id)

    @cached_property
    def platform(self) -> PlatformClient | None:
        """The hub's platform service, where this survey's new jobs run so that they outlive
        the lab (a lab under a hub that has one: ``settings.platform_url`` and the lab's hub
        token), or None: they run here. Either way they land in the same job store."""
        return PlatformClient.for_lab(self.settings.platform_url)

    @property
    def cutout_executor(self) -> CutoutExecutor:
        """Where cutout work runs: a Dask cluster if ``settings.dask_scheduler`` is set, else a
        local process pool (started on first use)."""
        with self._lock:
            if self._cutout_executor is None:
                self._cutout_executor = executor_from_settings(self.settings)
            return self._cutout_executor

    def cutout_request(
        self,
        positions: Any = None,
        *,
        ids: Any = None,
        csv: str | bytes | Path | None = None,
        size: Any = None,
        xsize: Any = None,
        ysize: Any = None,
        bands: Any = DEFAULT_BANDS,
        rgb: Any = None,
        rgb_minimum: float | None = None,
        rgb_stretch: float | None = None,
        rgb_q: float | None = None,
        previews: bool = True,
        list_only: bool = False,
    ) -> CutoutRequest:
        """Check a cutout request and return it; see :meth:`cutouts` for the arguments."""
        from astropy import units as u

        from .errors import CutoutError

        limit = self.settings.cutout_max_positions
        have = known_bands(self.footprint)
        if isinstance(size, tuple | list) or (isinstance(size, u.Quantity) and size.size == 2):
            xsize, ysize = size[0] if xsize is None else xsize, size[1] if ysize is None else ysize
        elif size is not None:
            xsize = size if xsize is None else xsize
            ysize = size if ysize is None else ysize
        options = CutoutOptions.create(
            have,
            xsize=xsize,
            ysize=ysize,
            bands=bands,
            rgb=rgb,
            rgb_minimum=rgb_minimum,
            rgb_stretch=rgb_stretch,
            rgb_q=rgb_q,
            previews=previews,
            list_only=list_only,
        )
        if isinstance(positions, Path) or (isinstance(positions, str) and "\n" in positions):
            positions, csv = None, positions
        elif _looks_like_ids(positions):
            positions, ids = None, positions
        given = [
            k for k, v in (("positions", positions), ("ids", ids), ("csv", csv)) if v is not None
        ]
        if len(given) != 1:
            raise CutoutError(
                "give exactly one of positions (SkyCoord or RA, Dec), ids (COADD_OBJECT_IDs) or "
                f"csv; got {', '.join(given) or 'none'}"
            )
        if csv is not None:
            targets, problems = parse_csv(csv, have, limit)
            request = CutoutRequest(tuple(targets), options, tuple(problems))
        elif ids is not None:
            request = CutoutRequest(tuple(parse_ids(ids, limit)), options)
        else:
            request = CutoutRequest(tuple(parse_positions(positions, limit)), options)
        if self.settings.lab_role is not None:  # a large job for the role: refused (403)
            self.settings.lab_role.check_cutout(len(request.targets))
        return request

    def cutouts(
        self,
        positions: Any = None,
        *,
        name: str | None = None,
        email: str | None = None,
        start: bool = True,
        **options: Any,
    ) -> SurveyJob:
        """Start a cutout job: FITS, colour and preview images around positions.

        Parameters
        ----------
        positions : SkyCoord, sequence, str or Path
            A SkyCoord; (RA, Dec) pairs in degrees or sexagesimal (``"21:33:27 -0:49:24"``);
            a list of ``COADD_OBJECT_ID`` integers; CSV text (with a newline) or a CSV file's
            Path, with a header ``RA,DEC`` or ``COADD_OBJECT_ID`` and optional per-row
            ``XSIZE, YSIZE, BANDS, RGB, RGB_MINIMUM, RGB_STRETCH, RGB_Q``.
        ids, csv : optional
            The same, by keyword.
        size : float, Quantity or pair
            Side(s) in arcmin (or an angle Quantity), 0.1 to 12; default 1.0. ``xsize`` and
            ``ysize`` set one side each.
        bands : str or sequence of str
            Bands written as FITS, default ``("i",)``; e.g. ``"gri"``.
        rgb : str, sequence, True or None
            A colour image from three bands (red, green, blue), e.g. ``"irg"``; True means
            ``("i", "r", "g")``.
        rgb_minimum, rgb_stretch, rgb_q : float
            Lupton parameters of the colour image (defaults 1, 50, 10).
        previews : bool
            A PNG preview per FITS band (default True).
        list_only : bool
            Make no cutouts; list the tiles and image files holding each position.
        name, email : str, optional
            The job's name; where to send an e-mail when it ends.
        start : bool
            Queue the job at once (default); False leaves it PENDING until
            ``job_service.start(id)`` (a UWS job before ``PHASE=RUN``).

        Returns
        -------
        SurveyJob
            The job; ``job.summary()`` reads its ``summary.json`` when it has ended.

        Raises
        ------
        CutoutError
            For a malformed request (a size out of range, an unknown band, more positions than
            ``settings.cutout_max_positions``, an empty or unusable CSV upload), before any job
            exists. Bad CSV rows do not stop the job: each is reported by line.

        Notes
        -----
        Under a hub with a platform service (:attr:`platform`) the checked request runs there,
        so that it outlives the lab.
        """
        request = self.cutout_request(positions, **options)
        parameters = request.to_parameters()
        if self.platform is not None and start:
            inputs = _cutout_inputs(request, positions, options.get("csv"))
            body = {"type": CUTOUT_JOB, **request.options.to_json(), **inputs}
            body |= {"name": name, "email": email}
            return SurveyJob(self, self.platform.submit_job(body))
        self.job_service.check_storage(self.settings.job_storage_quota_gb)
        if start:
            job = self.runner.submit(CUTOUT_JOB, name=name, parameters=parameters, email=email)
        else:
            job = self.runner.create(
                CUTOUT_JOB, name=name, parameters={**parameters, "email": email}
            )
        return SurveyJob(self, job.id)

    def anomaly_parameters(
        self,
        sql: str | None = None,
        *,
        features: Any = None,
        format: str | None = None,
        compression: str | None = None,
        retrain: str | None = None,
        exclude_labels: Any = (0,),
        **options: Any,
    ) -> dict[str, Any]:
        """Check an anomaly request and return its job parameters; see :meth:`anomalies`."""
        from .anomaly import AnomalyParameters, parse_features
        from .anomaly.job import gallery_ids, sample_columns
        from .cutouts.labels import check_labels, job_labels
        from .errors import RequestError
        from .writers import validate_format

        earlier: dict[str, Any] = {}
        exclude_ids: list[int] = []
        if retrain is not None:
            job = self.job_service.get(retrain)
            if job.type != ANOMALY_JOB:
                raise RequestError(
                    f"retrain: job {retrain} is a {job.type} job, not an anomaly job"
                )
            earlier = dict(job.parameters)
            wanted = set(check_labels({str(v): v for v in exclude_labels}).values())
            labels = job_labels(self.runner.store, retrain)
            if job.file(SUMMARY_NAME) is not None and labels:
                import json

                summary = json.loads(self.job_service.file_path(retrain, SUMMARY_NAME).read_text())
                exclude_ids = gallery_ids(summary, labels, wanted)
            exclude_ids = sorted(set(exclude_ids) | set(earlier.get("exclude_ids") or []))
        sql = sql if sql is not None else earlier.get("sql")
        if not sql:
            raise RequestError("an anomaly job needs the query of its sample (sql)")
        values = {
            key: options.get(key, earlier.get(key))
            for key in ("trees", "sample_size", "ndim", "top", "seed")
        }
        unknown = sorted(set(options) - set(values))
        if unknown:
            raise RequestError(f"unknown anomaly option(s): {', '.join(unknown)}")
        parameters = AnomalyParameters.create(**values)
        format, compression = validate_format(
            format or earlier.get("format") or "parquet",
            compression if compression is not None else earlier.get("compression"),
        )
        prepared = self.check(sql)
        with self.catalog.execute(prepared.sql) as handle:  # its columns; no row is read
            sample = handle.schema.empty_table()
        names = features if features is not None else earlier.get("features")
        if isinstance(names, str):
            names = [part for part in names.split(",") if part.strip()]
        parsed = parse_features(names, sample_columns(sample))
        upper = {name.upper() for name in sample.column_names}
        if exclude_ids and "COADD_OBJECT_ID" not in upper:
            raise RequestError("retrain with labels needs COADD_OBJECT_ID in the sample")
        return {
            "sql": sql,
            "features": None if names is None else [f.name for f in parsed],
            **parameters.to_json(),
            "format": format,
            "compression": compression,
            "retrain": retrain,
            "exclude_ids": exclude_ids,
        }

    def anomalies(
        self,
        sql: str | None = None,
        *,
        name: str | None = None,
        email: str | None = None,
        start: bool = True,
        **options: Any,
    ) -> SurveyJob:
        """Start an anomaly job: score every row of a sample with an Extended Isolation Forest.

        Parameters
        ----------
        sql : str
            The query of the sample (its columns give the features).
        features : list of str or str, optional
            Columns, colours such as ``"MAG_AUTO_G-MAG_AUTO_R"``, or ``"ELLIPTICITY"``; default
            :data:`~surveylab.anomaly.features.DEFAULT_FEATURES` that the sample has (at least 2).
        trees, sample_size, ndim, top, seed : int, optional
            The forest (100 trees of 256 rows, 2 features per split), the rows in the top list
            and gallery (100), the random seed (1); bounds in the REST contract.
        format, compression : str, optional
            The export format of the score tables (default Parquet).
        retrain : str, optional
            An earlier anomaly job: its query, features and parameters are the defaults, and
            the objects labelled in its gallery with one of ``exclude_labels`` (default ``(0,)``)
            are left out of training and of the top list.
        name, email, start
            As :meth:`cutouts`.

        Raises
        ------
        SurveylabError
            For a bad query, a feature the sample lacks, a parameter out of bounds, before any
            job exists.

        Examples
        --------
        >>> sql = "SELECT * FROM DR1_MAIN WHERE TILENAME = 'DES2134-0041'"
        >>> job = survey.anomalies(sql)  # doctest: +SKIP
        >>> job.wait(); top = job.result("top")  # doctest: +SKIP
        >>> model = job.model()  # score new rows later  # doctest: +SKIP
        """
        parameters = self.anomaly_parameters(sql, **options)
        if self.platform is not None and start:
            body = {"type": ANOMALY_JOB, "name": name, "email": email, **options}
            body |= {"sql": parameters["sql"]}
            return SurveyJob(self, self.platform.submit_job(body))
        self.job_service.check_storage(self.settings.job_storage_quota_gb)
        if start:
            job = self.runner.submit(ANOMALY_JOB, name=name, parameters=parameters, email=email)
        else:
            job = self.runner.create(
                ANOMALY_JOB, name=name, parameters={**parameters, "email": email}
            )
        return SurveyJob(self, job.id)

    def finding_chart(self, target: Any, *, format: str = "png", **options: Any) -> bytes:
        """A finding chart of one object or position, as PNG (default) or PDF bytes.

        Parameters
        ----------
        target : int, str, (ra, dec), SkyCoord or mapping
            A ``COADD_OBJECT_ID``, a DES object or tile name, a position, or a row of a query
            result (see :func:`surveylab.finding_chart.resolve_target`).
        format : {"png", "pdf"}
        **options
            ``size`` (arcmin, default 2), ``band`` (one, or three for colour: ``"irg"``),
            ``marker`` (``"cross"`` or ``"circle"``), ``catalog`` (draw the field's objects),
            ``mag_limit``, ``positions`` (the user's own (ra, dec) to mark).

        Raises
        ------
        SurveylabError
            For a bad option, an unknown object, or a target outside the footprint.
        """
        from .finding_chart import chart_bytes

        return chart_bytes(self, [target], format=format, **options)[0]

    def finding_charts(self, targets: Any, **options: Any) -> bytes:
        """Finding charts of several targets as one PDF, a page each (at most
        ``FINDING_CHART_TARGETS_MAX``); options as :meth:`finding_chart`."""
        from .finding_chart import chart_bytes

        return chart_bytes(self, list(targets), format="pdf", **options)[0]

    # --- similarity search ----------------------------------------------------------------

    @property
    def similarity_dir(self) -> Path:
        """Where the release's similarity index is: ``<data_dir>/similarity``."""
        from .similarity import INDEX_DIR

        return self.settings.data_dir.expanduser() / INDEX_DIR

    @property
    def similarity_index(self) -> SimilarityIndex:
        """The release's similarity index, loaded on first use and again after a rebuild.

        Raises
        ------
        SimilarityIndexMissingError
            If it has not been built (the message names ``surveylab similarity build``).
        """
        from .similarity import MANIFEST, SimilarityIndex

        manifest = self.similarity_dir / MANIFEST
        try:
            stamp = manifest.stat().st_mtime
        except OSError:
            stamp = -1.0
        with self._lock:
            if self._similarity is None or self._similarity[0] != stamp:
                self._similarity = (stamp, SimilarityIndex.load(self.similarity_dir))
            return self._similarity[1]

    def similar(self, target: Any, k: int = 50) -> Table:
        """The ``k`` imaged objects whose stamps look most like ``target``'s.

        Parameters
        ----------
        target : int, str, (ra, dec), SkyCoord or mapping
            A ``COADD_OBJECT_ID``, a DES object name, a position (resolved to the nearest
            indexed object within 3″) or a row of a query result.
        k : int
            Neighbours returned, 1 to ``SIMILAR_K_MAX``; the first is the object itself.

        Returns
        -------
        Table
            ``COADD_OBJECT_ID, RA, DEC, TILENAME, distance, rank``, nearest first.

        Raises
        ------
        SimilarityIndexMissingError
            The release's index has not been built.
        NotIndexedError
            The object is not in the index (outside the imaged tiles, or too faint).
        ObjectNotFoundError
            An object id the catalog does not have.

        Examples
        --------
        >>> survey.similar(123456789, k=10)  # doctest: +SKIP
        >>> survey.similar_cutouts(123456789).wait()  # the answer as a gallery  # doctest: +SKIP
        """
        return self.similar_neighbours(target, k).to_table()

    def similar_neighbours(self, target: Any, k: int = 50) -> Neighbours:
        """:meth:`similar`'s answer as a :class:`~surveylab.similarity.Neighbours`."""
        from .limits import SIMILAR_K_MAX
        from .similarity import check_k, find_similar

        return find_similar(self, self.similarity_index, target, check_k(k, SIMILAR_K_MAX))

    def similar_cutouts(
        self, target: Any, k: int = 50, *, name: str | None = None, **options: Any
    ) -> SurveyJob:
        """A cutout job of the ``k`` objects most like ``target`` (itself first): the answer
        as a gallery. ``options`` are :meth:`cutouts`'s; default colour images 0.5 arcmin
        on a side."""
        answer = self.similar_neighbours(target, k)
        have = known_bands(self.footprint)
        rgb = tuple(b for b in ("i", "r", "g") if b in have)
        defaults: dict[str, Any] = {"size": 0.5, "bands": have[:1], "previews": True}
        if len(rgb) == 3:
            defaults["rgb"] = rgb
        return self.cutouts(
            ids=answer.ids,
            name=name or f"objects like {answer.object_id}",
            **(defaults | options),
        )

    def build_similarity_index(
        self, *, name: str | None = None, email: str | None = None, **parameters: Any
    ) -> SurveyJob:
        """Start a ``similarity-index`` job that (re)builds the release's index (an operator's
        job: it writes into the release folder); ``parameters`` as
        :class:`~surveylab.similarity.IndexParameters`."""
        from .similarity.build import IndexParameters, check_writable

        checked = IndexParameters.from_parameters(parameters).to_parameters()
        if self.platform is not None:
            body = {"type": SIMILARITY_INDEX_JOB, **checked, "name": name, "email": email}
            return SurveyJob(self, self.platform.submit_job(body))
        check_writable(self.similarity_dir)
        job = self.runner.submit(
            SIMILARITY_INDEX_JOB, name=name or "similarity index", parameters=checked, email=email
        )
        return SurveyJob(self, job.id)

    def job(self, job_id: str) -> SurveyJob:
        """The job ``job_id`` of the user's store."""
        self.job_service.get(job_id)
        return SurveyJob(self, job_id)

    def jobs(self, **filters: Any) -> list[Job]:
        """The user's jobs, newest first (filters as :meth:`JobService.list`)."""
        jobs, _total = self.job_service.list(**filters)
        return jobs

    # --- status ---------------------------------------------------------------------------

    @cached_property
    def status_checker(self) -> StatusChecker:
        """The live checks of this survey's parts (:mod:`surveylab.status`), made once so that
        a check still hanging is not started again."""
        from .status import StatusChecker

        return StatusChecker.for_survey(self)

    def status(self) -> StatusReport:
        """Whether each part answers now: the catalog, the job runner, the cutout executor, the
        hub and the platform service; see :class:`~surveylab.status.StatusReport`."""
        return self.status_checker.report()

    # --- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the job runner and close the catalog connection.

        They are shut down outside the lock: a job still starting asks for the cutout executor
        (under the lock) before it can stop.
        """
        with self._lock:
            runner, self._runner, self._job_service = self._runner, None, None
        if runner is not None:
            runner.shutdown()
        with self._lock:
            executor, self._cutout_executor = self._cutout_executor, None
            catalog, self._catalog = self._catalog, None
        if executor is not None:
            executor.close()
        if catalog is not None:
            catalog.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _cutout_inputs(request: CutoutRequest, positions: Any, csv: Any) -> dict[str, Any]:
    """The places of a checked cutout request as the REST API takes them: the user's own CSV
    text (so that the service reports bad rows by line, as here), else the checked object ids
    or positions in degrees."""
    text = csv if csv is not None else positions
    if isinstance(text, Path):
        return {"csv": text.read_text(encoding="utf-8")}
    if isinstance(text, bytes):
        return {"csv": text.decode("utf-8")}
    if isinstance(text, str) and "\n" in text:
        return {"csv": text}
    if all(target.object_id is not None for target in request.targets):
        return {"ids": [target.object_id for target in request.targets]}
    return {"positions": [[target.ra, target.dec] for target in request.targets]}


class SurveyJob:
    """A job of the user's store, as Python sees it: wait for it, read its result, cancel it."""

    def __init__(self, survey: Survey, job_id: str) -> None:
        self.survey = survey
        self.id = job_id

    @property
    def record(self) -> Job:
        """The job's current record (phase, progress, rows, files, times)."""
        return self.survey.job_service.get(self.id)

    @property
    def phase(self) -> Phase:
        """The job's UWS phase."""
        return self.record.phase

    @property
    def files(self) -> list[Path]:
        """Paths of the job's result files."""
        return self.survey.job_service.files(self.id)

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job ends (or ``timeout`` seconds pass); return its record."""
        return self.survey.job_service.wait(self.id, timeout)

    def cancel(self) -> Job:
        """Cancel the job; a running query is stopped in the database."""
        return self.survey.job_service.cancel(self.id)

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` of a cutout job (waits for the job to end)."""
        import json

        self.wait()
        path = self.survey.job_service.file_path(self.id, SUMMARY_NAME)
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def result(self, which: str | None = None) -> Table:
        """The job's result file read back as an astropy Table (the job must be COMPLETED);
        of an anomaly job, ``which`` is ``"scores"`` (the default: every row) or ``"top"``."""
        from astropy.table import Table

        from .writers import read_hdf5

        job = self.wait()
        if job.phase is not Phase.COMPLETED:
            raise SurveylabError(f"job {self.id} is {job.phase.value}: {job.error or 'no result'}")
        path = self.files[0]
        if which is not None:
            found = [p for p in self.files if f"_{which}." in p.name]
            if not found:
                raise SurveylabError(f"job {self.id} has no {which!r} result")
            path = found[0]
        if job.parameters.get("format") == "hdf5":
            return arrow_to_table(read_hdf5(path))
        if job.parameters.get("format") == "csv":
            return Table.read(path, format="ascii.csv")
        return Table.read(path)

    def model(self) -> AnomalyModel:
        """The model of an anomaly job (waits for the job to end), to score new rows."""
        self.wait()
        return AnomalyModel.load(self.survey.runner.store.job_dir(self.id))

    def __repr__(self) -> str:
        return f"<SurveyJob {self.id} {self.phase.value}>"


def _looks_like_ids(value: Any) -> bool:
    """Whether ``value`` is a list of whole numbers (object ids) rather than positions."""
    if value is None or isinstance(value, str | bytes | Path):
        return False
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return True
    try:
        items = list(value[:3]) if hasattr(value, "__getitem__") else []
    except (TypeError, KeyError, IndexError):
        return False
    return bool(items) and all(
        isinstance(item, int | np.integer) and not isinstance(item, bool) for item in items
    )


def _first_rows(batches: Iterator[pa.RecordBatch], schema: pa.Schema, limit: int) -> pa.Table:
    """The first ``limit`` rows of a stream of batches."""
    taken: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if rows + batch.num_rows >= limit:
            taken.append(batch.slice(0, limit - rows))
            break
        taken.append(batch)
        rows += batch.num_rows
    return pa.Table.from_batches(taken, schema=schema)


def arrow_to_table(data: pa.Table) -> Table:
    """Convert an Arrow table to an astropy Table, keeping NULLs as masked values; a column
    renamed to make the names unique has the query's name in ``meta["original_name"]``."""
    from astropy.table import MaskedColumn, Table  # astropy is slow to import; load on use

    columns: list[MaskedColumn | np.ndarray] = []
    for chunked in data.columns:
        mask = chunked.is_null().to_numpy(zero_copy_only=False) if chunked.null_count else None
        if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type):
            values = np.asarray(chunked.fill_null("").to_pylist(), dtype=str)
        elif mask is not None and (
            pa.types.is_integer(chunked.type) or pa.types.is_boolean(chunked.type)
        ):
            values = chunked.fill_null(pa.scalar(0).cast(chunked.type)).to_numpy()
        else:
            values = chunked.to_numpy(zero_copy_only=False)
        columns.append(values if mask is None else MaskedColumn(values, mask=mask))
    table = Table(columns, names=data.column_names, copy=False)
    for field in data.schema:
        if original_name(field) != field.name:
            table[field.name].meta["original_name"] = original_name(field)
    return table
