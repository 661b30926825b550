/**
 * The lab's limits are the contract's: the generated constants are used where
 * the lab checks input, and the settings schemas stay inside them.
 */
import * as jobsSettings from '../schema/jobs.json';
import * as footprintSettings from '../schema/footprint.json';
import {
  FormError,
  MAX_SIZE,
  MIN_SIZE,
  buildCutoutRequest,
  formFromArgs
} from '../src/gallery/form';
import { LABEL_VALUES, labelForKey } from '../src/gallery/labels';
import { MAX_PAGE_SIZE } from '../src/jobs/monitor';
import { MAX_NAME_LENGTH, checkJobName } from '../src/jobs/state';
import { readSettings } from '../src/footprint/settings';
import {
  CUTOUT_SIZE_MAX,
  CUTOUT_SIZE_MIN,
  JOB_NAME_MAX_LENGTH,
  JOB_PAGE_MAX,
  LABEL_MAX,
  LABEL_MIN,
  MOC_ORDER_MAX,
  MOC_ORDER_MIN
} from '../src/generated/limits';

describe('limits from the contract', () => {
  it('are the ones the forms check', () => {
    expect([MIN_SIZE, MAX_SIZE]).toEqual([CUTOUT_SIZE_MIN, CUTOUT_SIZE_MAX]);
    expect(MAX_NAME_LENGTH).toBe(JOB_NAME_MAX_LENGTH);
    expect(MAX_PAGE_SIZE).toBe(JOB_PAGE_MAX);
    const form = { ...formFromArgs({}), positions: '323.36 -0.82' };
    const widest = { ...form, xsize: String(CUTOUT_SIZE_MAX) };
    expect(buildCutoutRequest(widest).xsize).toBe(CUTOUT_SIZE_MAX);
    const tooNarrow = { ...form, ysize: String(CUTOUT_SIZE_MIN / 2) };
    expect(() => buildCutoutRequest(tooNarrow)).toThrow(FormError);
    expect(checkJobName('n'.repeat(JOB_NAME_MAX_LENGTH))).toBeNull();
    expect(checkJobName('n'.repeat(JOB_NAME_MAX_LENGTH + 1))).toMatch(
      `at most ${JOB_NAME_MAX_LENGTH} characters`
    );
  });

  it('give the labels a key press can set', () => {
    expect(LABEL_VALUES[0]).toBe(LABEL_MIN);
    expect(LABEL_VALUES[LABEL_VALUES.length - 1]).toBe(LABEL_MAX);
    expect(labelForKey(String(LABEL_MAX))).toBe(LABEL_MAX);
    expect(labelForKey(String(LABEL_MAX + 1))).toBeNull();
  });

  it('bound the settings the server would refuse', () => {
    expect(jobsSettings.properties.pageSize.maximum).toBeLessThanOrEqual(
      JOB_PAGE_MAX
    );
    const order = footprintSettings.properties.mocOrder;
    expect(order.minimum).toBeGreaterThanOrEqual(MOC_ORDER_MIN);
    expect(order.maximum).toBeLessThanOrEqual(MOC_ORDER_MAX);
    expect(readSettings({ mocOrder: MOC_ORDER_MAX }).mocOrder).toBe(
      MOC_ORDER_MAX
    );
    expect(readSettings({ mocOrder: MOC_ORDER_MAX + 1 }).mocOrder).not.toBe(
      MOC_ORDER_MAX + 1
    );
  });
});
