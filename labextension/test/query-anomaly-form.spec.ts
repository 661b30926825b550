import {
  ANOMALY_TOP_MAX,
  ANOMALY_TREES_MAX,
  ANOMALY_TREES_MIN
} from '../src/generated/limits';
import {
  anomalyRequest,
  checkAnomalyForm,
  defaultAnomalyForm,
  featureList
} from '../src/query/anomaly-form';
import type { IAnomalyForm } from '../src/query/anomaly-form';

const form = (changes: Partial<IAnomalyForm> = {}): IAnomalyForm => ({
  ...defaultAnomalyForm(),
  ...changes
});

describe('the anomaly form', () => {
  it('takes its bounds from the REST contract', () => {
    expect([ANOMALY_TREES_MIN, ANOMALY_TREES_MAX, ANOMALY_TOP_MAX]).toEqual([
      10, 1000, 1000
    ]);
  });

  it.each<[string, string, Partial<IAnomalyForm>, string[]]>([
    ['the defaults', 'SELECT 1', {}, []],
    [
      'colours and columns',
      'S',
      { features: 'mag_auto_g - mag_auto_r, RA' },
      []
    ],
    ['an empty query', ' ', {}, ['sql']],
    ['one feature', 'S', { features: 'RA' }, ['features']],
    ['an expression', 'S', { features: 'RA*2, DEC' }, ['features']],
    ['too many trees', 'S', { trees: ANOMALY_TREES_MAX + 1 }, ['trees']],
    ['no trees', 'S', { trees: NaN }, ['trees']],
    ['a fraction of a row', 'S', { top: 2.5 }, ['top']]
  ])('%s', (_, sql, changes, fields) => {
    expect(checkAnomalyForm(sql, form(changes)).map(p => p.field)).toEqual(
      fields
    );
  });

  it('lists the features and leaves the defaults to the server', () => {
    expect(featureList(' A-B ,, C ')).toEqual(['A-B', 'C']);
    expect(anomalyRequest('SELECT 1', form())).toEqual({
      type: 'anomaly',
      sql: 'SELECT 1',
      trees: 100,
      top: 100
    });
    expect(
      anomalyRequest('S', form({ features: 'A, B', top: 5, name: ' odd ' }))
    ).toEqual({
      type: 'anomaly',
      sql: 'S',
      trees: 100,
      top: 5,
      features: ['A', 'B'],
      name: 'odd'
    });
  });
});
