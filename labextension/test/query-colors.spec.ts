import { withAlpha } from '../src/query/colors';

describe('withAlpha', () => {
  it.each([
    ['#1976d2', 'rgba(25, 118, 210, 0.25)'],
    ['#FFF', 'rgba(255, 255, 255, 0.25)'],
    [' rgb(1, 2, 3) ', 'rgba(1, 2, 3, 0.25)'],
    ['rgba(10,20,30,0.9)', 'rgba(10, 20, 30, 0.25)'],
    ['var(--x)', null],
    ['#12345', null],
    ['', null]
  ])('%p at 0.25 is %p', (color, expected) => {
    expect(withAlpha(color, 0.25)).toBe(expected);
  });
});
