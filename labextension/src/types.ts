/**
 * TypeScript mirrors of the surveylab REST contract.
 *
 * Every endpoint lives under `<baseUrl>/surveylab/api/`. Keep these interfaces
 * in step with the server extension's `openapi.yaml`: a field added there is
 * added here, with the same name and JSON type.
 */

/**
 * One table of the data release, as listed by `GET /surveylab/api/info`.
 */
export interface ISurveyTable {
  /** The table's name, as used in queries (e.g. `"y6_gold"`). */
  name: string;
  /** A one-line, human-readable description. */
  description: string;
  /** The number of rows, or `null` when the backend does not know it cheaply. */
  rows: number | null;
}

/**
 * The body of `GET /surveylab/api/info`.
 */
export interface ISurveyInfo {
  /** The surveylab version running on the server (e.g. `"0.1.0"`). */
  version: string;
  /** The data release served (e.g. `"DR2"`). */
  release: string;
  /** The catalog backend in use (e.g. `"duckdb"`, `"oracle"`, `"postgresql"`). */
  backend: string;
  /** The tables of the release, in the server's order. */
  tables: ISurveyTable[];
}

/**
 * The body of `GET /surveylab/api/lab`: facts about this lab.
 */
export interface ILabInfo {
  /** When the hub stops this lab (ISO 8601), or `null` if it is not capped. */
  deadline: string | null;
  /** The job store's folder relative to the server root, or `null` if outside it. */
  jobs_folder: string | null;
  /** The shell command starting `surveylab sql` in the lab's environment (full path). */
  sql_command: string;
}

/**
 * The JSON body of every error response (4xx and 5xx).
 */
export interface IErrorBody {
  /** A message meant to be shown to the user. */
  message: string;
  /** A short machine-readable reason, when the server gives one. */
  reason?: string;
  /** For an SQL syntax error: the 1-based line of the error, when known. */
  line?: number;
  /** For an SQL syntax error: the 1-based column of the error, when known. */
  column?: number;
}
