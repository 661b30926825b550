/**
 * Colour helpers for the result grid, which draws on a canvas and so needs
 * real colours, read from the theme's CSS variables. Pure.
 */

/**
 * `color` (`#rgb`, `#rrggbb`, `rgb(r, g, b)` or `rgba(...)`) with the given
 * opacity, as `rgba(r, g, b, alpha)`; `null` for anything else.
 */
export function withAlpha(color: string, alpha: number): string | null {
  const text = color.trim().toLowerCase();
  let channels: number[] | null = null;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(text);
  if (hex) {
    const digits =
      hex[1].length === 3
        ? hex[1]
            .split('')
            .map(digit => digit + digit)
            .join('')
        : hex[1];
    channels = [0, 2, 4].map(start =>
      parseInt(digits.slice(start, start + 2), 16)
    );
  } else {
    const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/.exec(text);
    if (rgb) {
      channels = [rgb[1], rgb[2], rgb[3]].map(Number);
    }
  }
  if (channels === null) {
    return null;
  }
  return `rgba(${channels.join(', ')}, ${alpha})`;
}
