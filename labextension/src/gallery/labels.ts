/**
 * Quick labels (a digit 0–9 per position, one key per image) and their
 * saving: `GET/PUT /surveylab/api/jobs/{id}/labels`.
 */
import { URLExt } from '@jupyterlab/coreutils';

import { LABEL_MAX, LABEL_MIN } from '../generated/limits';
import { requestAPI } from '../request';
import type { Schemas } from '../types';

/** Labels by position key (the cutout's name). */
export type Labels = Readonly<Record<string, number>>;

/** The labels there are: the digits 0 to 9 (the contract's `Label`). */
export const LABEL_VALUES: readonly number[] = Array.from(
  { length: LABEL_MAX - LABEL_MIN + 1 },
  (_, index) => LABEL_MIN + index
);

/** The label a key press gives (`"0"`–`"9"`, main row or keypad), or null. */
export function labelForKey(key: string): number | null {
  return /^[0-9]$/.test(key) && LABEL_VALUES.includes(Number(key))
    ? Number(key)
    : null;
}

/** A copy of `labels` with `key` set to `label`, or removed for null. */
export function withLabel(
  labels: Labels,
  key: string,
  label: number | null
): Labels {
  const next = Object.fromEntries(
    Object.entries(labels).filter(([other]) => other !== key)
  );
  if (label !== null) {
    next[key] = label;
  }
  return next;
}

/** How many positions carry each label, and how many of `keys` carry none. */
export interface ILabelCounts {
  /** `byLabel[k]`: positions labelled k. */
  byLabel: number[];
  /** Positions (of `keys`) without a label. */
  unlabelled: number;
}

/**
 * Count the labels. Only `keys` (the job's labelable positions) are
 * counted, so a stale key never inflates a count.
 */
export function countLabels(
  labels: Labels,
  keys: readonly string[]
): ILabelCounts {
  const byLabel = LABEL_VALUES.map(() => 0);
  let unlabelled = 0;
  for (const key of keys) {
    const label = labels[key] as number | undefined;
    if (label === undefined) {
      unlabelled++;
    } else if (label >= 0 && label < byLabel.length) {
      byLabel[label]++;
    }
  }
  return { byLabel, unlabelled };
}

function labelsPath(jobId: string): string {
  return URLExt.join('jobs', encodeURIComponent(jobId), 'labels');
}

/** The job's saved labels. */
export async function fetchLabels(jobId: string): Promise<Labels> {
  const body = await requestAPI<Partial<Schemas['Labels']>>(labelsPath(jobId));
  return body.labels ?? {};
}

/** Replace the job's labels; resolves to the labels as saved. */
export async function storeLabels(
  jobId: string,
  labels: Labels
): Promise<Labels> {
  const body = await requestAPI<Partial<Schemas['Labels']>>(labelsPath(jobId), {
    method: 'PUT',
    body: JSON.stringify({ labels })
  });
  return body.labels ?? {};
}

/** Where a {@link LabelSaver} stands. */
export type SaveState =
  | { status: 'saved' }
  | { status: 'saving' }
  | { status: 'error'; message: string };

/**
 * Saves labels as they change, one request at a time: while a save is in
 * flight, later changes wait and only the newest is sent next. A failed save
 * keeps the labels to send with the next change (or {@link retry}).
 */
export class LabelSaver {
  constructor(
    private readonly _save: (labels: Labels) => Promise<unknown>,
    private readonly _onState: (state: SaveState) => void
  ) {}

  /** Save `labels` (now, or after the save in flight). */
  save(labels: Labels): Promise<void> {
    this._pending = labels;
    if (this._running === null) {
      this._running = this._drain();
    }
    return this._running;
  }

  /** Send the last unsaved labels again (after an error). */
  retry(): Promise<void> {
    return this._failed === null ? Promise.resolve() : this.save(this._failed);
  }

  private async _drain(): Promise<void> {
    while (this._pending !== null) {
      const labels = this._pending;
      this._pending = null;
      this._onState({ status: 'saving' });
      try {
        await this._save(labels);
        this._failed = null;
        if (!this._hasPending()) {
          this._onState({ status: 'saved' });
        }
      } catch (error) {
        this._failed = labels;
        if (!this._hasPending()) {
          const message =
            error instanceof Error ? error.message : String(error);
          this._onState({ status: 'error', message });
        }
      }
    }
    this._running = null;
  }

  /** Whether newer labels arrived while a save was in flight. */
  private _hasPending(): boolean {
    return this._pending !== null;
  }

  private _pending: Labels | null = null;
  private _failed: Labels | null = null;
  private _running: Promise<void> | null = null;
}
