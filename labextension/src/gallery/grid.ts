/**
 * The thumbnail grid's geometry: keyboard moves of the selection and the
 * window of rows to render (the grid is virtualised: with 10,000 positions
 * only the rows in view exist in the DOM). Pure: no DOM.
 */

/** The grid's shape, as the moves need it. */
export interface IGridShape {
  /** Items in the grid. */
  count: number;
  /** Items per row (at least 1). */
  columns: number;
  /** Rows in one screen, for PageUp/PageDown (at least 1). */
  pageRows: number;
}

/**
 * The selection after a navigation key: arrows move by one cell, Home/End
 * to the first/last item, PageUp/PageDown by a screen. Moves stop at the
 * edges; Down from the last full row goes to the last item.
 *
 * @returns the new index, or null when `key` is not a navigation key.
 */
export function moveSelection(
  current: number,
  key: string,
  shape: IGridShape
): number | null {
  const { count } = shape;
  if (count <= 0) {
    return null;
  }
  const columns = Math.max(1, Math.floor(shape.columns));
  const page = columns * Math.max(1, Math.floor(shape.pageRows));
  const last = count - 1;
  const from = Math.min(Math.max(current, 0), last);
  const clamp = (index: number) => Math.min(Math.max(index, 0), last);
  switch (key) {
    case 'ArrowLeft':
      return clamp(from - 1);
    case 'ArrowRight':
      return clamp(from + 1);
    case 'ArrowUp':
      return from - columns >= 0 ? from - columns : from;
    case 'ArrowDown':
      if (from + columns <= last) {
        return from + columns;
      }
      // a partial last row below: go to its last item
      return Math.floor(from / columns) < Math.floor(last / columns)
        ? last
        : from;
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageUp':
      return clamp(from - page);
    case 'PageDown':
      return clamp(from + page);
    default:
      return null;
  }
}

/** How many cells of `cellWidth` fit in `width` (at least 1). */
export function columnsFor(width: number, cellWidth: number): number {
  if (!(width > 0) || !(cellWidth > 0)) {
    return 1;
  }
  return Math.max(1, Math.floor(width / cellWidth));
}

/** The rows to render and the items they hold (`end` exclusive). */
export interface IGridWindow {
  firstRow: number;
  lastRow: number;
  start: number;
  end: number;
  /** The height of all rows, px. */
  totalHeight: number;
}

/**
 * The rows visible in a viewport scrolled to `scrollTop`, plus `overscan`
 * rows above and below.
 */
export function gridWindow(options: {
  count: number;
  columns: number;
  rowHeight: number;
  scrollTop: number;
  viewportHeight: number;
  overscan?: number;
}): IGridWindow {
  const columns = Math.max(1, options.columns);
  const rows = Math.ceil(Math.max(0, options.count) / columns);
  const rowHeight = Math.max(1, options.rowHeight);
  const overscan = options.overscan ?? 2;
  if (rows === 0) {
    return { firstRow: 0, lastRow: -1, start: 0, end: 0, totalHeight: 0 };
  }
  const top = Math.max(0, options.scrollTop);
  const firstVisible = Math.floor(top / rowHeight);
  const lastVisible = Math.floor(
    (top + Math.max(rowHeight, options.viewportHeight) - 1) / rowHeight
  );
  const firstRow = Math.min(rows - 1, Math.max(0, firstVisible - overscan));
  const lastRow = Math.min(rows - 1, lastVisible + overscan);
  return {
    firstRow,
    lastRow,
    start: firstRow * columns,
    end: Math.min(options.count, (lastRow + 1) * columns),
    totalHeight: rows * rowHeight
  };
}

/**
 * The scroll position that brings row `row` into view, or null if it is
 * already wholly visible.
 */
export function scrollToRow(
  row: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number
): number | null {
  const top = row * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (bottom > scrollTop + viewportHeight) {
    return Math.max(0, bottom - viewportHeight);
  }
  return null;
}
