import {
  DEFAULT_WARNING_MINUTES,
  dueWarning,
  formatRemaining,
  nextTickDelay,
  normalizeThresholds,
  parseDeadline,
  statusText,
  urgency,
  warningMessage
} from '../src/deadline/schedule';

const MIN = 60_000;
const S = 1000;

describe('parseDeadline', () => {
  it.each<[unknown, number | null]>([
    ['2026-11-22T12:00:00+00:00', Date.UTC(2026, 10, 22, 12)],
    ['2026-11-22T13:00:00+01:00', Date.UTC(2026, 10, 22, 12)],
    ['2026-11-22T12:00:00Z', Date.UTC(2026, 10, 22, 12)],
    [null, null],
    ['', null],
    ['tomorrow', null],
    [1732276800, null]
  ])('%p', (value, expected) => {
    const parsed = parseDeadline(value);
    expect(parsed === null ? null : parsed.getTime()).toBe(expected);
  });
});

describe('formatRemaining and statusText', () => {
  it.each<[number, string]>([
    [2 * 60 * MIN, '2 h'],
    [83 * MIN, '1 h 23 min'],
    [82 * MIN + 1, '1 h 23 min'],
    [60 * MIN, '1 h'],
    [59 * MIN + 1, '1 h'],
    [59 * MIN, '59 min'],
    [29 * MIN, '29 min'],
    [28 * MIN + 30 * S, '29 min'],
    [MIN, '1 min'],
    [MIN - 1, '60 s'],
    [45 * S, '45 s'],
    [1, '1 s'],
    [0, '0 s'],
    [-5 * MIN, '0 s']
  ])('%p ms → %p', (ms, expected) => {
    expect(formatRemaining(ms)).toBe(expected);
  });

  it.each<[number, string]>([
    [83 * MIN, 'GPU lab: 1 h 23 min left'],
    [45 * S, 'GPU lab: 45 s left'],
    [0, 'GPU lab: time is up'],
    [-1, 'GPU lab: time is up']
  ])('status with %p ms left', (ms, expected) => {
    expect(statusText('GPU lab', ms)).toBe(expected);
  });
});

describe('normalizeThresholds', () => {
  it.each<[unknown[], number[]]>([
    [
      [30, 5],
      [30, 5]
    ],
    [
      [5, 30, 30],
      [30, 5]
    ],
    [[0, -5, 'x', Number.NaN, 10], [10]],
    [[], []]
  ])('%p → %p', (input, expected) => {
    expect(normalizeThresholds(input)).toEqual(expected);
  });

  it('defaults to 30 and 5 minutes', () => {
    expect(DEFAULT_WARNING_MINUTES).toEqual([30, 5]);
  });
});

describe('urgency', () => {
  it.each<[number, string]>([
    [2 * 60 * MIN, 'normal'],
    [30 * MIN + 1, 'normal'],
    [30 * MIN, 'warning'],
    [6 * MIN, 'warning'],
    [5 * MIN, 'critical'],
    [1, 'critical'],
    [0, 'expired']
  ])('%p ms left → %s', (ms, expected) => {
    expect(urgency(ms, [30, 5])).toBe(expected);
  });

  it('is normal with no thresholds until the end', () => {
    expect(urgency(MIN, [])).toBe('normal');
  });
});

describe('dueWarning', () => {
  const thresholds = [30, 5];
  it.each<[string, number, number[], number | null, number[]]>([
    ['hours left: nothing', 3 * 60 * MIN, [], null, []],
    ['just over 30 min: nothing yet', 30 * MIN + 1, [], null, []],
    ['30 min left: the 30-min warning', 30 * MIN, [], 30, [30]],
    ['loaded with 29 min left: the 30-min warning', 29 * MIN, [], 30, [30]],
    ['29 min, already warned: nothing', 29 * MIN, [30], null, [30]],
    [
      '5 min after the 30-min one: the 5-min warning',
      5 * MIN,
      [30],
      5,
      [30, 5]
    ],
    ['loaded with 4 min left: only the 5-min warning', 4 * MIN, [], 5, [30, 5]],
    ['4 min, both warned: nothing', 4 * MIN, [30, 5], null, [30, 5]],
    ['past the deadline: no warning', -MIN, [], null, [30, 5]]
  ])('%s', (_, ms, shown, warn, shownAfter) => {
    const decision = dueWarning(ms, thresholds, new Set(shown));
    expect(decision.warn).toBe(warn);
    expect([...decision.shown].sort((a, b) => b - a)).toEqual(shownAfter);
  });

  it('warns once each over a countdown, with an injected clock', () => {
    const deadline = 40 * MIN;
    let shown: ReadonlySet<number> = new Set();
    const warned: [number, number][] = [];
    // Tick as the plugin does: at each delay nextTickDelay asks for.
    let now = 0;
    for (let ticks = 0; ticks < 1000; ticks++) {
      const left = deadline - now;
      const decision = dueWarning(left, thresholds, shown);
      shown = decision.shown;
      if (decision.warn !== null) {
        warned.push([decision.warn, left]);
      }
      const delay = nextTickDelay(left);
      if (delay === null) {
        break;
      }
      now += delay;
    }
    expect(warned).toEqual([
      [30, 30 * MIN],
      [5, 5 * MIN]
    ]);
    expect(now).toBe(deadline);
  });
});

describe('nextTickDelay', () => {
  it.each<[number, number | null]>([
    [90 * S, 30 * S],
    [2 * MIN, MIN],
    [30 * MIN + 1, 1],
    [MIN, S],
    [59_500, 500],
    [1, 1],
    [0, null],
    [-S, null]
  ])('%p ms left → %p', (ms, expected) => {
    expect(nextTickDelay(ms)).toBe(expected);
  });
});

describe('warningMessage', () => {
  it('says how long is left and what to save', () => {
    const message = warningMessage(
      'GPU lab',
      29 * MIN,
      new Date(Date.UTC(2026, 10, 22, 12))
    );
    expect(message).toMatch(/^GPU lab stops in 29 min \(at .+\)\. Save your/);
  });
});
