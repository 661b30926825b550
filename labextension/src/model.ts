/**
 * The Survey panel's model: the state of `GET /surveylab/api/info`.
 */
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import type { IErrorView } from './format';
import { describeError } from './format';
import { requestAPI } from './request';
import type { ISurveyInfo, ISurveyTable } from './types';

/**
 * The state of the release information, one of four.
 */
export type SurveyInfoState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly info: ISurveyInfo }
  | { readonly status: 'error'; readonly error: IErrorView };

/**
 * Thrown by {@link parseSurveyInfo} for a body that breaks the contract.
 */
export class SurveyInfoFormatError extends TypeError {
  constructor(message: string) {
    super(`The server's release information is malformed: ${message}`);
    this.name = 'SurveyInfoFormatError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(
  record: Record<string, unknown>,
  key: string,
  where: string
): string {
  const value = record[key];
  if (typeof value !== 'string') {
    throw new SurveyInfoFormatError(`${where}${key} must be a string`);
  }
  return value;
}

function parseTable(value: unknown, index: number): ISurveyTable {
  const where = `tables[${index}].`;
  if (!isRecord(value)) {
    throw new SurveyInfoFormatError(`tables[${index}] must be an object`);
  }
  const rows = value.rows;
  if (rows !== null && (typeof rows !== 'number' || !Number.isFinite(rows))) {
    throw new SurveyInfoFormatError(`${where}rows must be a number or null`);
  }
  return {
    name: requireString(value, 'name', where),
    description: requireString(value, 'description', where),
    rows
  };
}

/**
 * Check a `GET /surveylab/api/info` body against the contract and copy it.
 *
 * Unknown extra fields are dropped, so a newer server still works.
 *
 * @throws {SurveyInfoFormatError} naming the first field that is wrong.
 */
export function parseSurveyInfo(data: unknown): ISurveyInfo {
  if (!isRecord(data)) {
    throw new SurveyInfoFormatError('the body must be a JSON object');
  }
  if (!Array.isArray(data.tables)) {
    throw new SurveyInfoFormatError('tables must be an array');
  }
  return {
    version: requireString(data, 'version', ''),
    release: requireString(data, 'release', ''),
    backend: requireString(data, 'backend', ''),
    tables: data.tables.map(parseTable)
  };
}

/**
 * Holds the release information and tells its views when it changes.
 */
export class SurveyInfoModel implements IDisposable {
  constructor(options: SurveyInfoModel.IOptions = {}) {
    this._fetchInfo = options.fetchInfo ?? (() => requestAPI<unknown>('info'));
  }

  /** The current state. */
  get state(): SurveyInfoState {
    return this._state;
  }

  /** The release information, or `null` until it has loaded. */
  get info(): ISurveyInfo | null {
    return this._state.status === 'ready' ? this._state.info : null;
  }

  /** Emitted with the new state whenever the state changes. */
  get stateChanged(): ISignal<this, SurveyInfoState> {
    return this._stateChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the release information (again).
   *
   * It never rejects: a failure becomes the `error` state. When `load` is
   * called again before an earlier call has finished, only the last call's
   * answer is kept.
   */
  async load(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const generation = ++this._generation;
    this._setState({ status: 'loading' });
    let next: SurveyInfoState;
    try {
      const info = parseSurveyInfo(await this._fetchInfo());
      next = { status: 'ready', info };
    } catch (error) {
      next = { status: 'error', error: describeError(error) };
    }
    // A later load, or dispose(), bumps the generation: drop this answer.
    if (generation === this._generation) {
      this._setState(next);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    Signal.clearData(this);
  }

  private _setState(state: SurveyInfoState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private readonly _fetchInfo: () => Promise<unknown>;
  private _generation = 0;
  private _isDisposed = false;
  private _state: SurveyInfoState = { status: 'idle' };
  private readonly _stateChanged = new Signal<this, SurveyInfoState>(this);
}

export namespace SurveyInfoModel {
  /** The options of the {@link SurveyInfoModel} constructor. */
  export interface IOptions {
    /**
     * Fetch the raw `/info` body; by default `requestAPI('info')`. Tests and
     * other hosts pass their own.
     */
    fetchInfo?: () => Promise<unknown>;
  }
}
