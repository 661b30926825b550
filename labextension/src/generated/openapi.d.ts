// Generated from ../src/surveylab/openapi.yaml by scripts/generate-api.mjs (npm run generate:api).
// Do not edit: change the contract and regenerate.

export interface paths {
  '/info': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The data release served here, its backend and tables. */
    get: operations['getInfo'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/lab': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This lab's deadline (capped labs, e.g. GPU) and the job folders' place in the file browser. */
    get: operations['getLab'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/openapi.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This document, as JSON. */
    get: operations['getOpenAPI'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/query': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Run a quick query, with a time limit (default 30 s) and a row cap (default 10,000).
     * @description SQL is DES's Oracle-flavoured SQL (or the backend's own); it is transpiled for the backend.
     *     Only read-only queries (SELECT, WITH) are accepted. Past the time limit the query is
     *     cancelled in the database and the answer is 408.
     */
    post: operations['quickQuery'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/query/check': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Check a query's syntax without running it. */
    post: operations['checkQuery'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/query/explain': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The execution plan of a query, as text. */
    post: operations['explainQuery'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/tables': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The release's tables; with `column`, the tables that have that column. */
    get: operations['listTables'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/tables/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One table with its columns, types, units and descriptions. */
    get: operations['getTable'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/examples': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Named example queries. */
    get: operations['listExamples'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/status': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Whether each part of the platform answers, checked now.
     * @description Checks the catalog database (a trivial query), the job runner (with its queued and running jobs), the cutout executor (the local process pool or the Dask scheduler), the hub and the platform service, each with a time limit of a few seconds. A part that fails is reported, with its error; the request itself succeeds.
     */
    get: operations['getStatus'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The user's jobs, newest first, paged and filtered. */
    get: operations['listJobs'];
    put?: never;
    /** Start an asynchronous job. */
    post: operations['submitJob'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{job_id}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    /** One job. */
    get: operations['getJob'];
    put?: never;
    post?: never;
    /** Delete a job and its files (a running job is cancelled first). */
    delete: operations['deleteJob'];
    options?: never;
    head?: never;
    /** Rename a job, or renew it (push back its destruction time). */
    patch: operations['updateJob'];
    trace?: never;
  };
  '/jobs/{job_id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Cancel a job; a running query is stopped in the database. */
    post: operations['cancelJob'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{job_id}/files/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
        name: string;
      };
      cookie?: never;
    };
    /** Download one result file. */
    get: operations['getJobFile'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{job_id}/log': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    /** The job's log. */
    get: operations['getJobLog'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{job_id}/archive': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    /** A zip of the job's files, its record and its log ("download all"). */
    get: operations['getJobArchive'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{job_id}/labels': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    /**
     * A cutout job's quick labels (a digit 0-9 per position), as the gallery saved them.
     * @description Keys are the positions' cutout names (`name` in `summary.json`, the stem of their file
     *     names); positions without a label are left out. A job with no labels yet gives `{}`.
     *     Only a cutout job that has ended (it has `summary.json`) has labels: another job type is
     *     a 400, a job still running a 409. Python: `surveylab.cutouts.labels.job_labels(store, id)`.
     */
    get: operations['getJobLabels'];
    /**
     * Replace a cutout job's quick labels.
     * @description The body holds every label of the job (positions left out lose theirs). It is saved
     *     atomically as `labels.json` in the job's folder: not a result file, but in the job's zip.
     *     A label that is not an integer from 0 to 9, a key that is not one of the job's cutout
     *     names, more than 10,000 entries or another field is refused with 400.
     */
    put: operations['putJobLabels'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/tiles': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The tile owning a position, and every tile whose outer area holds it.
     * @description RA is wrapped into [0, 360) (never mirrored). `tile` is the one tile whose unique area
     *     holds the position (or, on the outer rim of the footprint, the nearest centre); `tiles`
     *     lists every tile whose outer area holds it, `tile` first: two or more on the 1 arcmin
     *     overlaps of neighbouring tiles. Outside the footprint `tile` is null and `tiles` empty.
     */
    get: operations['tilesAt'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/tiles.geojson': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Every tile outline as GeoJSON, for map overlays.
     * @description A FeatureCollection with one Polygon per tile (its four corners, counter-clockwise).
     *     Coordinates are `[lon, lat]` with lon = RA wrapped into [-180, 180) at the tile's centre
     *     and kept continuous across the tile (the d3-celestial convention), lat = Dec, degrees.
     */
    get: operations['tileOutlines'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/tiles/{tilename}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tile's name, e.g. DES2134-0041 (case-insensitive). */
        tilename: components['parameters']['TileName'];
      };
      cookie?: never;
    };
    /** One tile's centre, corners, areas, number of objects and image files. */
    get: operations['getTile'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/tiles/{tilename}/images/{band}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tile's name, e.g. DES2134-0041 (case-insensitive). */
        tilename: components['parameters']['TileName'];
        /** @description The band (g, r, i, z, Y; case-insensitive). */
        band: string;
      };
      cookie?: never;
    };
    /** Download a tile's coadd image in one band (RICE-compressed FITS). */
    get: operations['getTileImage'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/healpix': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Objects per HEALPix pixel (NESTED ordering), only pixels that hold objects. */
    get: operations['healpixCounts'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/footprint/moc': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The footprint's coverage as an IVOA MOC, which Aladin (Lite) reads.
     * @description The union of the tile outlines at HEALPix `order`. `format=fits` (default): a MOC FITS
     *     file, NUNIQ-encoded so that MOC 1.0 and 2.0 readers take it (Aladin Lite
     *     `A.MOCFromURL`). `format=json`: `{"order": [pixels]}` (Aladin Lite `A.MOCFromJSON`).
     */
    get: operations['footprintMOC'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/hips/properties': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The properties file of the release's colour HiPS (IVOA HiPS 1.0), for Aladin Lite.
     * @description `<base_url>/surveylab/api/hips` is a HiPS base URL: Aladin Lite (`A.imageHiPS(url)`)
     *     and ipyaladin load it from here. The properties are `key = value` lines: `obs_title`
     *     (the release), `hips_order`, `hips_tile_width`, `hips_tile_format`, `hips_frame`
     *     (equatorial), `dataproduct_type` (image), `hips_initial_ra`/`dec`/`fov`, ... Built by
     *     `surveylab hips build`; without one the answer is a 404 that says so.
     */
    get: operations['getHiPSProperties'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/hips/{path}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /**
         * @description A file of the HiPS, relative to it: `properties`, `Moc.fits`, `index.html` or a tile
         *     `Norder<k>/Dir<d>/Npix<n>.png` (`.jpg` for a JPEG HiPS), where `d` is `n` rounded
         *     down to a multiple of 10,000. Only files inside the HiPS folder are served.
         */
        path: string;
      };
      cookie?: never;
    };
    /** A file of the release's colour HiPS (tiles, Moc.fits, properties). */
    get: operations['getHiPSFile'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/finding-chart': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * A finding chart (PNG or PDF) of one or more objects, made at once.
     * @description A cutout around each target with a cross-hair (or circle) on it, a north/east compass
     *     that follows the image's WCS, a scale bar, optionally the catalog's objects in the field
     *     (down to a magnitude limit) and the user's own positions, and a title block (ID,
     *     coordinates in degrees and sexagesimal, tile, MAG_AUTO). One target gives a PNG unless
     *     `format` is `pdf`; several give one PDF, a page each. A target outside the survey's
     *     footprint is refused (400) naming it; an unknown object id is 404.
     */
    post: operations['findingChart'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/similar': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * The imaged objects whose stamps look most like one object's ("objects like this").
     * @description Searches the release's similarity index (built by a `similarity-index` job or
     *     `surveylab similarity build`) for the `k` nearest neighbours of the target's embedding
     *     (its stamps in every band, 32 x 32, normalised and reduced by PCA). The first neighbour
     *     is the object itself. A position is resolved to the nearest indexed object within 3
     *     arcsec. With `gallery: true` a cutout job of the neighbours is started too, and its id
     *     is in `job`. An unknown object id, an object outside the imaged tiles or fainter than
     *     the index's limit is 404 saying which; a release without an index is 409 naming the
     *     command that builds it.
     */
    post: operations['similar'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/help': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Whether the help desk form can send, the desk's address and the lab's facts it sends. */
    get: operations['getHelp'];
    put?: never;
    /**
     * E-mail a message to the survey's help desk, with the lab's facts filled in.
     * @description The desk gets the message with Reply-To the user's `email`; the user gets a confirmation.
     *     Both carry the reference answered here. A user may send 5 messages in 10 minutes (429
     *     after that, with `retry_after`). When the server has no SMTP server or no desk address
     *     the answer is 503 with the `address` to write to instead.
     */
    post: operations['sendHelp'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Error: {
      /** @description What is wrong, and where. */
      message: string;
      /** @description The HTTP reason phrase. */
      reason?: string | null;
      /** @description For SQL syntax errors, the 1-based line of the error. */
      line?: number | null;
      /** @description For SQL syntax errors, the 1-based column of the error. */
      column?: number | null;
      /** @description For SQL syntax errors, the word or symbol found where the error is. */
      token?: string;
      /** @description For help desk requests, the field that is wrong. */
      field?: string;
      /** @description For help desk errors, the desk's address to write to instead. */
      address?: string | null;
      /** @description For rate limits, the seconds until a new request is accepted. */
      retry_after?: number;
      /** @description For a refusal of the user's role, the role's name. */
      role?: string;
      /**
       * @description For a refusal of the user's role, the feature it does not allow.
       * @enum {string}
       */
      feature?: 'user_tables' | 'sql_terminal' | 'large_cutouts';
    };
    /** @description The user's role (hub_config/roles.yaml), what the lab shows and allows. */
    LabRole: {
      name: string;
      description: string;
      /** @description The lab panels and launcher items shown. */
      panels: (
        'survey' | 'query' | 'jobs' | 'gallery' | 'footprint' | 'sql-terminal'
      )[];
      features: {
        user_tables: boolean;
        sql_terminal: boolean;
        large_cutouts: boolean;
      };
      /** @description Positions one cutout job may hold in this role (null, no role cap). */
      cutout_max_positions: number | null;
    };
    TableSummary: {
      /** @example DR1_MAIN */
      name: string;
      description: string;
      /** @description Number of rows, or null when the backend cannot count cheaply. */
      rows: number | null;
    };
    ReleaseInfo: {
      /**
       * @description The data release's name.
       * @example DEMO DR1
       */
      release: string;
      /** @description The surveylab version serving it. */
      version: string;
      /**
       * @description The catalog engine.
       * @example duckdb
       */
      backend: string;
      tables: components['schemas']['TableSummary'][];
    };
    /**
     * @description ok: it answered in time; degraded: it answered slowly or only in part (a Dask cluster with no workers); down: it did not answer or answered with an error; off: this deployment has no such part (a lab not under a hub).
     * @enum {string}
     */
    PartState: 'ok' | 'degraded' | 'down' | 'off';
    PartStatus: {
      /** @enum {string} */
      name: 'catalog' | 'jobs' | 'cutouts' | 'hub' | 'platform';
      /**
       * @description The part's name as the lab shows it.
       * @example catalog database
       */
      label: string;
      state: components['schemas']['PartState'];
      /**
       * Format: date-time
       * @description When the check ended (ISO 8601 in UTC, to the second).
       */
      checked_at: string;
      /** @description Seconds the check took, or null if the part did not answer in time. */
      latency: number | null;
      /** @description What the check found. */
      detail: string;
      /** @description Why the part is down, or null. */
      error: string | null;
      /** @description The job runner's queued jobs (null for the other parts). */
      queued: number | null;
      /** @description The job runner's running jobs (null for the other parts). */
      running: number | null;
      /** @description The cutout executor's workers, where known. */
      workers: number | null;
    };
    StatusReport: {
      state: components['schemas']['PartState'];
      /**
       * Format: date-time
       * @description When the checks started (ISO 8601 in UTC, to the second).
       */
      checked_at: string;
      parts: components['schemas']['PartStatus'][];
    };
    SQLRequest: {
      /**
       * @description A read-only query (SELECT or WITH) in DES's Oracle-flavoured SQL.
       * @example SELECT RA, DEC FROM DR1_MAIN FETCH FIRST 10 ROWS ONLY
       */
      sql: string;
    };
    QueryRequest: components['schemas']['SQLRequest'] & {
      /** @description Seconds; default the server's quick_timeout (30). */
      timeout?: number;
      /** @description Row cap; default the server's quick_max_rows (10,000). */
      max_rows?: number;
    };
    ResultColumn: {
      /** @description Unique within the result, ignoring case. A name the query repeats (a self-join's a.RA, b.RA) gets _2, _3, ... (RA, RA_2). */
      name: string;
      /** @description The Arrow type, e.g. double, float, int64, string. */
      type: string;
      unit: string;
      ucd: string;
      /** @description The catalog column's description; a renamed column's says so. */
      description: string;
      /** @description The name the query gave the column; differs from name if renamed. */
      original_name: string;
    };
    QuickResult: {
      /** @description The query as received. */
      query: string;
      /** @description The query as the backend ran it. */
      sql: string;
      columns: components['schemas']['ResultColumn'][];
      /** @description Rows as arrays in column order; NULL (and NaN) is null. */
      rows: unknown[][];
      row_count: number;
      /** @description True when the query had more rows than the cap. */
      truncated: boolean;
      /** @description Seconds. */
      elapsed: number;
    };
    CheckResult: {
      /** @constant */
      valid: true;
      sql: string;
      tables: string[];
    };
    Column: {
      name: string;
      datatype: string;
      unit: string;
      ucd: string;
      description: string;
    };
    TableDetail: {
      name: string;
      description: string;
      rows: number | null;
      columns: components['schemas']['Column'][];
    };
    Example: {
      name: string;
      title: string;
      description: string;
      sql: string;
    };
    FindingChartRequest: {
      /**
       * @description What to chart: `COADD_OBJECT_ID`s (numbers or digits), DES object names
       *     (`DESJ213326.40-004912.0`), tile names (their centre), positions as text
       *     (`"323.36 -0.82"`, `"21:33:26.4 -0:49:12"`) or as `[ra, dec]` degrees, or rows of a
       *     query result (objects with `RA`, `DEC`, optionally `COADD_OBJECT_ID` and
       *     `MAG_AUTO_<band>`).
       */
      targets: (number | string | number[] | Record<string, unknown>)[];
      /** @description The chart's side in arcmin, 0.1 to 12; 2 by default. */
      size?: components['schemas']['CutoutSize'];
      /**
       * @description One band (`i`), or three for a colour image (`irg`, red green blue).
       * @default i
       */
      band?: string;
      /**
       * @default cross
       * @enum {string}
       */
      marker?: 'cross' | 'circle';
      /**
       * @description Draw the catalog's objects in the field.
       * @default false
       */
      catalog?: boolean;
      /** @description Only catalog objects brighter than this MAG_AUTO (of the first band); implies `catalog`. */
      mag_limit?: number;
      /** @description The user's own positions to mark, `[ra, dec]` degrees. */
      positions?: number[][];
      /**
       * @description `png` (one target only) or `pdf`; by default PNG for one target, PDF for several.
       * @enum {string}
       */
      format?: 'png' | 'pdf';
    };
    SimilarRequest: {
      /**
       * @description A `COADD_OBJECT_ID` (number or digits), a DES object name, a position as text or
       *     `[ra, dec]` degrees, or a row of a query result (`RA`, `DEC`, optionally
       *     `COADD_OBJECT_ID`).
       */
      target: number | string | number[] | Record<string, unknown>;
      /**
       * @description Neighbours returned (the object itself is the first).
       * @default 50
       */
      k?: number;
      /**
       * @description Also start a cutout job of the neighbours (colour images, 0.5 arcmin).
       * @default false
       */
      gallery?: boolean;
    };
    SimilarAnswer: {
      query: {
        COADD_OBJECT_ID: number;
        RA: number;
        DEC: number;
        /** @description Arcsec between the position asked and the object, for a position. */
        separation?: number | null;
      };
      neighbours: components['schemas']['Neighbour'][];
      /** @description The cutout job of the neighbours, when `gallery` was asked. */
      job?: string | null;
    };
    Neighbour: {
      COADD_OBJECT_ID: number;
      RA: number;
      DEC: number;
      TILENAME: string;
      /** @description L2 distance between the embeddings (0 for the object itself). */
      distance: number;
      /** @description 1 for the nearest (the object itself). */
      rank: number;
    };
    /**
     * @description A cutout side in arcmin.
     * @default 1
     */
    CutoutSize: number;
    /** @description A job name, 1 to 128 characters after trimming; no `/`, `\` or control characters. */
    JobName: string;
    /**
     * @description The IVOA UWS phase.
     * @enum {string}
     */
    Phase:
      | 'PENDING'
      | 'QUEUED'
      | 'EXECUTING'
      | 'COMPLETED'
      | 'ERROR'
      | 'ABORTED'
      | 'ARCHIVED';
    /**
     * @description A query job (`type: query`, with `sql`), a cutout job (`type: cutout`, with exactly one
     *     of `positions`, `ids` or `csv`), or a similarity-index build (`type: similarity-index`,
     *     an operator's job: optional `stamp_arcsec`, `pixels`, `mag_limit`, `components`,
     *     `pca_sample`, `seed`, `kind`, and `bands`). A cutout job writes, per position, a FITS file per band
     *     (correct WCS; a header recording the tile, position and request), PNG previews, a colour
     *     PNG and JPEG thumbnail when `rgb` is given, and `summary.json`; files are named
     *     `<TILE>_<DESJhhmmss.ss+ddmmss.s or COADD_OBJECT_ID>_<band>.<ext>`. A size outside 0.1-12
     *     arcmin, an unknown band, an empty or unusable CSV, or more positions than the per-job cap
     *     (10,000 by default) is refused with 400. A bad CSV row does not stop the job: it is
     *     listed by line in the job's `parameters.problems`, its log and `summary.json`.
     *     An anomaly job (`type: anomaly`, with `sql`, or `retrain`: an earlier anomaly job's id)
     *     scores every row of the query's result with an Extended Isolation Forest and writes
     *     `<name>_scores.<ext>` and `<name>_top.<ext>` (ANOMALY_SCORE, ANOMALY_RANK, N_MISSING),
     *     `model.isotree`, `model.json`, and a cutout gallery of the top rows (`summary.json`,
     *     labelled as a cutout job's). A feature the sample lacks, a bad query or a parameter out
     *     of bounds is refused with 400 before a job exists.
     */
    JobRequest: {
      /** @enum {string} */
      type: 'query' | 'cutout' | 'similarity-index' | 'anomaly';
      /** @description query: the SQL; anomaly: the query of the sample. */
      sql?: string;
      /**
       * @description cutout: positions as [ra, dec] in degrees (numbers) or sexagesimal strings
       *     (["21:33:27", "-0:49:24"]), or one string per position ("21:33:27 -0:49:24").
       */
      positions?: ((number | string)[] | string)[];
      /** @description cutout: COADD_OBJECT_IDs, resolved through the catalog when the job runs. */
      ids?: number[];
      /**
       * @description cutout: CSV text (the whole request body is capped at 1 MB). Header `RA,DEC` or
       *     `COADD_OBJECT_ID`, any case; `#` comment lines; optional per-row columns XSIZE,
       *     YSIZE, BANDS (e.g. `g;r;i` or `gri`), RGB (e.g. `irg`), RGB_MINIMUM, RGB_STRETCH,
       *     RGB_Q.
       */
      csv?: string;
      /** @description cutout: width in arcmin, 0.1 to 12. */
      xsize?: components['schemas']['CutoutSize'];
      /** @description cutout: height in arcmin, 0.1 to 12. */
      ysize?: components['schemas']['CutoutSize'];
      /**
       * @description cutout: bands written as FITS, e.g. [g, r, i] or "gri".
       * @default [
       *       "i"
       *     ]
       */
      bands?: string | string[];
      /**
       * @description cutout: three bands of a colour image (red, green, blue; `make_lupton_rgb`), e.g.
       *     "irg"; true for i, r, g; null or false for none.
       */
      rgb?: string | boolean | null | string[];
      /** @default 1 */
      rgb_minimum?: number;
      /** @default 50 */
      rgb_stretch?: number;
      /** @default 10 */
      rgb_q?: number;
      /**
       * @description cutout: a PNG preview per FITS band.
       * @default true
       */
      previews?: boolean;
      /**
       * @description cutout: make no cutouts; list the tiles and image files of each position.
       * @default false
       */
      list_only?: boolean;
      /** @description similarity-index: stamp side in arcsec, 1 to 120 (8). */
      stamp_arcsec?: number;
      /** @description similarity-index: resampled stamp side, 4 to 128 (32). */
      pixels?: number;
      /** @description similarity-index: objects with MAG_AUTO_I below this are indexed (23.5). */
      mag_limit?: number;
      /** @description similarity-index: PCA components, 2 to 512 (64). */
      components?: number;
      /** @description similarity-index: objects the PCA is fitted on (8192). */
      pca_sample?: number;
      /**
       * @description similarity-index: the seed of the sample, the PCA and the index (0); anomaly: the
       *     random seed, 0 or more (1; the same seed gives the same scores anywhere).
       */
      seed?: number;
      /**
       * @description similarity-index: the faiss index (auto: IVF from 20,000 objects).
       * @enum {string}
       */
      kind?: 'auto' | 'flat' | 'ivf';
      /**
       * @default csv
       * @enum {string}
       */
      format?: 'csv' | 'fits' | 'hdf5' | 'parquet' | 'votable';
      /** @description csv: gzip; fits: gzip; hdf5: gzip, lzf; parquet: snappy, zstd, gzip; votable: gzip. */
      compression?: string | null;
      name?: components['schemas']['JobName'] | null;
      /** @description Where to send an e-mail when the job ends. */
      email?: string | null;
      /**
       * @description anomaly: the features, as a list or a comma-separated string: columns of the sample,
       *     differences of two (colours, `MAG_AUTO_G-MAG_AUTO_R`) or `ELLIPTICITY`
       *     (1 - B_IMAGE/A_IMAGE); default: the DES colours, FLUX_RADIUS_I, ELLIPTICITY and
       *     SPREAD_MODEL_I that the sample has (at least 2).
       */
      features?: string | string[];
      /**
       * @description anomaly: isolation trees.
       * @default 100
       */
      trees?: number;
      /**
       * @description anomaly: rows each tree is grown on.
       * @default 256
       */
      sample_size?: number;
      /**
       * @description anomaly: features combined per split (1: classic, 2+: Extended Isolation Forest).
       * @default 2
       */
      ndim?: number;
      /**
       * @description anomaly: rows in the top list and the cutout gallery.
       * @default 100
       */
      top?: number;
      /**
       * @description anomaly: an earlier anomaly job's id: its query, features and parameters are reused
       *     (unless given), and the objects labelled in its gallery with one of `exclude_labels`
       *     are left out of training and of the top list.
       */
      retrain?: string;
      /**
       * @description anomaly, with retrain: the quick labels meaning not interesting.
       * @default [
       *       0
       *     ]
       */
      exclude_labels?: components['schemas']['Label'][];
    };
    ResultFile: {
      name: string;
      size: number;
      format?: string | null;
      rows?: number | null;
    };
    Job: {
      id: string;
      type: string;
      name: string;
      phase: components['schemas']['Phase'];
      /** Format: date-time */
      created: string;
      /** Format: date-time */
      started?: string | null;
      /** Format: date-time */
      ended?: string | null;
      /** Format: date-time */
      destruction: string;
      execution_seconds?: number | null;
      progress: number;
      rows: number;
      message?: string;
      error?: string | null;
      /** @description host:pid:start of the process running the job. */
      runner?: string | null;
      parameters?: Record<string, unknown>;
      files: components['schemas']['ResultFile'][];
    };
    JobList: {
      jobs: components['schemas']['Job'][];
      total: number;
      offset: number;
      limit: number;
    };
    Labels: {
      /** @description Cutout name (summary.json's `name`) to label, e.g. {"DES2134-0041_DESJ213326.40-004912.0": 3}. */
      labels: {
        [key: string]: components['schemas']['Label'];
      };
    };
    /** @description A quick label, one of the digits a key press gives. */
    Label: number;
    TileLookup: {
      ra: number;
      dec: number;
      /** @description The one tile owning the position; null outside the footprint. */
      tile: string | null;
      /** @description Every tile whose outer area holds the position, the owner first. */
      tiles: string[];
    };
    Area: {
      ra_min: number;
      ra_max: number;
      dec_min: number;
      dec_max: number;
    };
    TileImage: {
      band: string;
      /** @description The file's name. */
      file: string;
      /** @description Bytes. */
      size: number;
      /** @description Where to download it (a path on this server). */
      url: string;
    };
    TileDetail: {
      /** @example DES2134-0041 */
      name: string;
      /** @description RA of the centre, degrees in [0, 360). */
      ra: number;
      /** @description Dec of the centre, degrees. */
      dec: number;
      /** @description [ra, dec] of the corners: south-east, south-west, north-west, north-east. */
      corners: number[][];
      /** @description The outer area (DES rall, raur, decll, decur); ra_max > 360 across RA 0. */
      bounds: components['schemas']['Area'];
      /** @description The area owned by this tile alone; ra_min > ra_max when it crosses RA 0. */
      unique_area: components['schemas']['Area'] | null;
      crosses_ra0: boolean;
      /** @description Catalog objects whose TILENAME is this tile. */
      objects: number | null;
      bands: string[];
      images: components['schemas']['TileImage'][];
    };
    TileFeature: {
      /** @constant */
      type: 'Feature';
      id?: string;
      geometry: {
        /** @constant */
        type: 'Polygon';
        coordinates: number[][][];
      };
      properties: {
        name: string;
        ra: number;
        dec: number;
        crosses_ra0: boolean;
      };
    };
    TileCollection: {
      /** @constant */
      type: 'FeatureCollection';
      features: components['schemas']['TileFeature'][];
    };
    HealpixCounts: {
      nside: number;
      /** @constant */
      ordering: 'NESTED';
      /** @description The sum of the counts (all rows with a HEALPix index). */
      total: number;
      /** @description Nested pixel indices, ascending. */
      pixels: number[];
      /** @description Objects in each pixel of `pixels`. */
      counts: number[];
    };
    /** @description MOC JSON serialisation: {"order": [nested pixel indices]}. */
    MOCJSON: {
      [key: string]: number[];
    };
    HelpRequest: {
      /** @description One line, 1 to 200 characters after trimming. */
      subject: string;
      /** @description 1 to 10,000 characters after trimming. */
      message: string;
      /** @description The user's address; the desk replies to it and the confirmation goes there. */
      email: string;
      /** @description One of the user's jobs, if the message is about one. */
      job_id?: string | null;
    };
    /** @description The lab's facts, filled in by the server and sent with the message. */
    HelpContext: {
      user: string;
      release: string;
      /** @description The surveylab version. */
      version: string;
      lab_profile: string | null;
      /** Format: date-time */
      lab_deadline: string | null;
      /** @description The JupyterHub user (JUPYTERHUB_USER), if the lab runs under a hub. */
      hub_user: string | null;
    };
    HelpStatus: {
      /** @description Whether the form can send (an SMTP server and the desk's address are set). */
      configured: boolean;
      /** @description The desk's e-mail address, if set. */
      address: string | null;
      context: components['schemas']['HelpContext'];
    };
    HelpReceipt: {
      /**
       * @description The message's reference, e.g. HD-7F3A9C21, also in both e-mails.
       * @example HD-7F3A9C21
       */
      reference: string;
      /** @description The desk's address. */
      address: string;
      /** @description Whether the confirmation e-mail to the user was sent. */
      confirmation_sent: boolean;
    };
  };
  responses: {
    /** @description The request or the query is malformed; the message says what and where. */
    BadRequest: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The job is in a state that does not allow this (e.g. running). */
    Conflict: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description No such job, file, table, tile, image, HiPS file or endpoint. */
    NotFound: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The quick query ran past its time limit and was cancelled in the database. */
    Timeout: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The request body is over the size limit (`x-max-bytes`). */
    TooLarge: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The user already has as many queued or running jobs as allowed. */
    TooManyJobs: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The request is not authenticated or not authorised, or the user's role does not allow it (then `role` and `feature` say which). */
    Forbidden: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The catalog cannot be opened (e.g. the demo survey was not generated). */
    Unavailable: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The user sent as many help desk messages as allowed lately (`retry_after` says when to try again). */
    TooManyMessages: {
      headers: {
        /** @description The seconds until a new message is accepted, as `retry_after`. */
        'Retry-After'?: number;
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The server sends no e-mail (no SMTP server or no desk address), or its SMTP server did not take the message; `address` is where to write instead (null if unknown). */
    HelpUnavailable: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
  };
  parameters: {
    /** @description Most jobs in the page. */
    JobPageLimit: number;
    /** @description The MOC's HEALPix order (13 gives cells of 26 arcsec). */
    MOCOrder: number;
    /** @description The tile's name, e.g. DES2134-0041 (case-insensitive). */
    TileName: string;
    JobId: string;
  };
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getInfo: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Release information. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ReleaseInfo'];
        };
      };
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  getLab: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The lab's facts. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * Format: date-time
             * @description When the hub stops this lab (ISO 8601 in UTC, to the second), or null if it is not capped.
             */
            deadline: string | null;
            /** @description The job store's folder relative to the server's root (a job's folder is this plus its id), or null if the job store is outside the root. */
            jobs_folder: string | null;
            /** @description The shell command that starts `surveylab sql` in this lab's environment (by its full path: a terminal's login shell may reset PATH), or null if the user's role does not allow the SQL terminal. */
            sql_command: string | null;
            /** @description The user's role (set by the hub), or null if the lab has none. */
            role: components['schemas']['LabRole'] | null;
          };
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  getOpenAPI: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The OpenAPI document. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': Record<string, unknown>;
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  quickQuery: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['QueryRequest'];
      };
    };
    responses: {
      /** @description The first rows of the result. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['QuickResult'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      408: components['responses']['Timeout'];
      413: components['responses']['TooLarge'];
      503: components['responses']['Unavailable'];
    };
  };
  checkQuery: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SQLRequest'];
      };
    };
    responses: {
      /** @description The query is valid; here is what the backend will run. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CheckResult'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      413: components['responses']['TooLarge'];
      503: components['responses']['Unavailable'];
    };
  };
  explainQuery: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SQLRequest'];
      };
    };
    responses: {
      /** @description The plan. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            plan: string;
          };
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      413: components['responses']['TooLarge'];
      503: components['responses']['Unavailable'];
    };
  };
  listTables: {
    parameters: {
      query?: {
        column?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Tables. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            tables: components['schemas']['TableSummary'][];
          };
        };
      };
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  getTable: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The table. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TableDetail'];
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      503: components['responses']['Unavailable'];
    };
  };
  listExamples: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Examples. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            examples: components['schemas']['Example'][];
          };
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  getStatus: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Each part's state. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['StatusReport'];
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  listJobs: {
    parameters: {
      query?: {
        phase?: components['schemas']['Phase'];
        type?: string;
        /** @description created, name, phase, type or execution; a leading '-' sorts descending. */
        sort?: string;
        offset?: number;
        /** @description Most jobs in the page. */
        limit?: components['parameters']['JobPageLimit'];
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of jobs. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['JobList'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
    };
  };
  submitJob: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['JobRequest'];
      };
    };
    responses: {
      /** @description The job, queued. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      413: components['responses']['TooLarge'];
      429: components['responses']['TooManyJobs'];
      503: components['responses']['Unavailable'];
    };
  };
  getJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  deleteJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted. */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  updateJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          name?: components['schemas']['JobName'];
          /** @description true for the default lifetime, or a number of days. */
          renew?: boolean | number;
        };
      };
    };
    responses: {
      /** @description The updated job. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      413: components['responses']['TooLarge'];
    };
  };
  cancelJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job, ABORTED (or unchanged if it had already ended). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  getJobFile: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/octet-stream': string;
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  getJobLog: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The log, one timestamped line per event. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  getJobArchive: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The zip. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/zip': string;
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  getJobLabels: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The labels. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Labels'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      409: components['responses']['Conflict'];
    };
  };
  putJobLabels: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        job_id: components['parameters']['JobId'];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['Labels'];
      };
    };
    responses: {
      /** @description The labels as saved. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Labels'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      409: components['responses']['Conflict'];
      413: components['responses']['TooLarge'];
    };
  };
  tilesAt: {
    parameters: {
      query: {
        /** @description Right ascension, degrees. */
        ra: number;
        /** @description Declination, degrees, from -90 to +90. */
        dec: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The tiles at that position. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TileLookup'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  tileOutlines: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The outlines. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/geo+json': components['schemas']['TileCollection'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  getTile: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tile's name, e.g. DES2134-0041 (case-insensitive). */
        tilename: components['parameters']['TileName'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The tile. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['TileDetail'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      503: components['responses']['Unavailable'];
    };
  };
  getTileImage: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The tile's name, e.g. DES2134-0041 (case-insensitive). */
        tilename: components['parameters']['TileName'];
        /** @description The band (g, r, i, z, Y; case-insensitive). */
        band: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The FITS file. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/fits': string;
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      503: components['responses']['Unavailable'];
    };
  };
  healpixCounts: {
    parameters: {
      query?: {
        /** @description A power of 2 from 1 to the finest NSIDE the catalog stores (1024 for DEMO DR1). */
        nside?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The counts, as parallel arrays of pixels and counts. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HealpixCounts'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  footprintMOC: {
    parameters: {
      query?: {
        /** @description The MOC's HEALPix order (13 gives cells of 26 arcsec). */
        order?: components['parameters']['MOCOrder'];
        format?: 'fits' | 'json';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The MOC. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/fits': string;
          'application/json': components['schemas']['MOCJSON'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      503: components['responses']['Unavailable'];
    };
  };
  getHiPSProperties: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The properties file. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  getHiPSFile: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /**
         * @description A file of the HiPS, relative to it: `properties`, `Moc.fits`, `index.html` or a tile
         *     `Norder<k>/Dir<d>/Npix<n>.png` (`.jpg` for a JPEG HiPS), where `d` is `n` rounded
         *     down to a multiple of 10,000. Only files inside the HiPS folder are served.
         */
        path: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file; browsers may cache it for an hour. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'image/png': string;
          'image/jpeg': string;
          'application/fits': string;
          'text/plain': string;
          'text/html': string;
        };
      };
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
    };
  };
  findingChart: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['FindingChartRequest'];
      };
    };
    responses: {
      /** @description The chart. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'image/png': string;
          'application/pdf': string;
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      413: components['responses']['TooLarge'];
      503: components['responses']['Unavailable'];
    };
  };
  similar: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SimilarRequest'];
      };
    };
    responses: {
      /** @description The neighbours, nearest first. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SimilarAnswer'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      409: components['responses']['Conflict'];
      413: components['responses']['TooLarge'];
    };
  };
  getHelp: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The form's state. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HelpStatus'];
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  sendHelp: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['HelpRequest'];
      };
    };
    responses: {
      /** @description The desk's SMTP server took the message. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['HelpReceipt'];
        };
      };
      400: components['responses']['BadRequest'];
      403: components['responses']['Forbidden'];
      413: components['responses']['TooLarge'];
      429: components['responses']['TooManyMessages'];
      503: components['responses']['HelpUnavailable'];
    };
  };
}
