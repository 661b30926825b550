import { formatBytes } from '../src/footprint/format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [285_123, '285.1 kB'],
    [12_345_678, '12.3 MB'],
    [5_000_000_000, '5.0 GB'],
    [7_000_000_000_000, '7000.0 GB']
  ])('%i bytes are %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
