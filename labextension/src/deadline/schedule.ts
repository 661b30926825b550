/**
 * Pure rules of the lab deadline: parse it, say how long is left, decide
 * which warning is due and when to look again (the clock is passed in).
 */

/** The default warnings, in minutes before the deadline. */
export const DEFAULT_WARNING_MINUTES: readonly number[] = [30, 5];

/** Parse the deadline of `GET /lab`; `null` when absent or not a time. */
export function parseDeadline(value: unknown): Date | null {
  if (typeof value !== 'string' || value.trim() === '') {
    return null;
  }
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

/**
 * Time left, rounded up so the countdown reaches zero at the deadline:
 * `2 h`, `1 h 23 min`, `29 min`, `45 s`, `0 s`.
 */
export function formatRemaining(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) {
    return '0 s';
  }
  if (ms < 60_000) {
    return `${Math.ceil(ms / 1000)} s`;
  }
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}

/** The status bar text, e.g. `GPU lab: 1 h 23 min left`. */
export function statusText(label: string, ms: number): string {
  return ms > 0
    ? `${label}: ${formatRemaining(ms)} left`
    : `${label}: time is up`;
}

/**
 * The warning thresholds as whole, positive, distinct minutes, largest first.
 */
export function normalizeThresholds(minutes: readonly unknown[]): number[] {
  const valid = minutes.filter(
    (value): value is number =>
      typeof value === 'number' && Number.isFinite(value) && value > 0
  );
  return [...new Set(valid)].sort((a, b) => b - a);
}

/** How close the deadline is: for the status item's colour. */
export type Urgency = 'normal' | 'warning' | 'critical' | 'expired';

/**
 * `expired` past the deadline, `critical` within the smallest threshold,
 * `warning` within the largest, `normal` before.
 */
export function urgency(ms: number, thresholds: readonly number[]): Urgency {
  if (ms <= 0) {
    return 'expired';
  }
  const sorted = normalizeThresholds(thresholds);
  if (sorted.length === 0) {
    return 'normal';
  }
  if (ms <= sorted[sorted.length - 1] * 60_000) {
    return 'critical';
  }
  return ms <= sorted[0] * 60_000 ? 'warning' : 'normal';
}

/** Which warning to show now, and which thresholds count as warned. */
export interface IWarningDecision {
  /** The threshold (minutes) to warn about now, or `null`. */
  warn: number | null;
  /** Every threshold warned about so far, including `warn`. */
  shown: ReadonlySet<number>;
}

/**
 * The warning due with `ms` left, given the thresholds already warned about.
 *
 * Every threshold the time left has passed counts as warned, but only the
 * most urgent of those not warned before is shown: a page loaded with 29 min
 * left shows the 30-minute warning; one loaded with 4 min left shows only
 * the 5-minute one. Past the deadline nothing more is warned.
 */
export function dueWarning(
  ms: number,
  thresholds: readonly number[],
  shown: ReadonlySet<number>
): IWarningDecision {
  if (ms <= 0) {
    return { warn: null, shown: new Set([...shown, ...thresholds]) };
  }
  const passed = normalizeThresholds(thresholds).filter(
    minutes => ms <= minutes * 60_000
  );
  const fresh = passed.filter(minutes => !shown.has(minutes));
  if (fresh.length === 0) {
    return { warn: null, shown };
  }
  return {
    warn: fresh[fresh.length - 1],
    shown: new Set([...shown, ...passed])
  };
}

/**
 * Milliseconds until the text or a warning may change: to the next whole
 * minute of the countdown, each second in the last minute; `null` once the
 * deadline has passed.
 */
export function nextTickDelay(ms: number): number | null {
  if (!Number.isFinite(ms) || ms <= 0) {
    return null;
  }
  const step = ms <= 60_000 ? 1000 : 60_000;
  return ms % step || step;
}

/** The warning's text. */
export function warningMessage(
  label: string,
  ms: number,
  deadline: Date
): string {
  const at = deadline.toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
  return (
    `${label} stops in ${formatRemaining(ms)} (at ${at}). ` +
    'Save your notebooks and copy any results you need: running kernels and unsaved work are lost.'
  );
}
