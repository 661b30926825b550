/**
 * The query history, kept in the user's settings of the query plugin (the
 * `history` setting), so it follows the user across reloads and workspaces.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { PartialJSONValue } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import type { IHistoryEntry } from './history';
import { DEFAULT_HISTORY_SIZE, addToHistory, parseHistory } from './history';

/**
 * The history: read from the settings, written back on every change. Without
 * settings it lives in memory only.
 */
export class QueryHistory {
  constructor(settings: ISettingRegistry.ISettings | null = null) {
    this._settings = settings;
    if (settings !== null) {
      this._entries = parseHistory(settings.get('history').composite);
      settings.changed.connect(this._onSettingsChanged, this);
    }
  }

  /** Newest first. */
  get entries(): readonly IHistoryEntry[] {
    return this._entries;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Record a query run now. */
  add(sql: string, outcome: string): void {
    const entry: IHistoryEntry = {
      sql,
      time: new Date().toISOString(),
      outcome
    };
    this._update(addToHistory(this._entries, entry, this._limit()));
  }

  /** Forget every query. */
  clear(): void {
    this._update([]);
  }

  private _limit(): number {
    const size = this._settings?.get('historySize').composite;
    return typeof size === 'number' && Number.isInteger(size) && size >= 0
      ? size
      : DEFAULT_HISTORY_SIZE;
  }

  private _update(entries: IHistoryEntry[]): void {
    this._entries = entries;
    this._changed.emit();
    if (this._settings !== null) {
      this._settings
        .set('history', entries as unknown as PartialJSONValue)
        .catch((reason: unknown) => {
          console.error('surveylab: cannot save the query history.', reason);
        });
    }
  }

  private _onSettingsChanged(settings: ISettingRegistry.ISettings): void {
    const stored = parseHistory(settings.get('history').composite);
    if (JSON.stringify(stored) !== JSON.stringify(this._entries)) {
      this._entries = stored;
      this._changed.emit();
    }
  }

  private readonly _settings: ISettingRegistry.ISettings | null;
  private _entries: IHistoryEntry[] = [];
  private readonly _changed = new Signal<this, void>(this);
}
