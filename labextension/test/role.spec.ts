import { isShown } from '../src/role';
import type { ILabRole, Panel } from '../src/role';

const workshop: ILabRole = {
  name: 'workshop',
  description: 'Workshop pool users',
  panels: ['survey', 'query', 'jobs', 'gallery', 'footprint'],
  features: { user_tables: false, sql_terminal: false, large_cutouts: false },
  cutout_max_positions: 100
};

describe('isShown', () => {
  it.each<[ILabRole | null, Panel, boolean]>([
    [null, 'sql-terminal', true],
    [null, 'survey', true],
    [workshop, 'survey', true],
    [workshop, 'footprint', true],
    [workshop, 'sql-terminal', false],
    [{ ...workshop, panels: [] }, 'survey', false]
  ])('case %#: shows %p', (role, panel, expected) => {
    expect(isShown(role, panel)).toBe(expected);
  });
});
