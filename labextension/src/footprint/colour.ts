/**
 * The colour scale of the HEALPix counts: logarithmic, through the viridis
 * colour map (perceptually uniform, readable on the dark sky of either theme).
 */

/** A count → colour mapping over a range of counts. */
export interface IColourScale {
  /** The smallest and largest count the scale spans. */
  readonly min: number;
  readonly max: number;
  /** The colour of a count, as `#rrggbb`; counts outside the range are clamped. */
  colour(count: number): string;
  /** Where `count` lies on the scale, from 0 (min) to 1 (max). */
  position(count: number): number;
}

/** Viridis at nine evenly spaced positions (matplotlib's values). */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37]
];

/** The viridis colour at `t` ∈ [0, 1], linearly interpolated, as `#rrggbb`. */
export function viridis(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const scaled = clamped * (VIRIDIS.length - 1);
  const index = Math.min(Math.floor(scaled), VIRIDIS.length - 2);
  const fraction = scaled - index;
  const [a, b] = [VIRIDIS[index], VIRIDIS[index + 1]];
  return (
    '#' +
    [0, 1, 2]
      .map(channel =>
        Math.round(a[channel] + (b[channel] - a[channel]) * fraction)
          .toString(16)
          .padStart(2, '0')
      )
      .join('')
  );
}

/**
 * A logarithmic scale over the positive counts given (log10 of count; a
 * single value or no values give a scale of one colour).
 */
export function logColourScale(counts: readonly number[]): IColourScale {
  const positive = counts.filter(count => Number.isFinite(count) && count > 0);
  const min = positive.length > 0 ? Math.min(...positive) : 1;
  const max = positive.length > 0 ? Math.max(...positive) : 1;
  const low = Math.log10(min);
  const span = Math.log10(max) - low;
  const position = (count: number): number => {
    if (!(count > 0) || span === 0) {
      return count >= max ? 1 : 0;
    }
    return Math.min(1, Math.max(0, (Math.log10(count) - low) / span));
  };
  return { min, max, position, colour: count => viridis(position(count)) };
}
