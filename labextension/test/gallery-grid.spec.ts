import {
  columnsFor,
  gridWindow,
  moveSelection,
  scrollToRow
} from '../src/gallery/grid';

describe('moveSelection', () => {
  // 10 items in rows of 4:  0 1 2 3 / 4 5 6 7 / 8 9
  const shape = { count: 10, columns: 4, pageRows: 2 };

  it.each<[number, string, number | null]>([
    [5, 'ArrowRight', 6],
    [5, 'ArrowLeft', 4],
    [5, 'ArrowUp', 1],
    [5, 'ArrowDown', 9],
    [0, 'ArrowLeft', 0],
    [9, 'ArrowRight', 9],
    [2, 'ArrowUp', 2],
    [6, 'ArrowDown', 9], // below is empty: the last item of the partial row
    [9, 'ArrowDown', 9],
    [3, 'ArrowRight', 4], // wraps to the next row
    [5, 'Home', 0],
    [5, 'End', 9],
    [9, 'PageUp', 1],
    [1, 'PageDown', 9],
    [5, 'Enter', null],
    [5, 'a', null]
  ])('from %i, %s goes to %j', (from, key, to) => {
    expect(moveSelection(from, key, shape)).toBe(to);
  });

  it('starts from the first item when nothing is selected', () => {
    expect(moveSelection(-1, 'ArrowRight', shape)).toBe(1);
  });

  it('does nothing in an empty grid', () => {
    expect(
      moveSelection(0, 'ArrowDown', { count: 0, columns: 4, pageRows: 1 })
    ).toBeNull();
  });
});

describe('columnsFor', () => {
  it.each([
    [1000, 140, 7],
    [139, 140, 1],
    [0, 140, 1],
    [NaN, 140, 1]
  ])('%d px of %d px cells hold %d columns', (width, cell, columns) => {
    expect(columnsFor(width, cell)).toBe(columns);
  });
});

describe('gridWindow', () => {
  it('renders only the rows in view and two more around them', () => {
    // 1,000 items, 5 per row: 200 rows of 100 px; the view shows rows 50-53
    expect(
      gridWindow({
        count: 1000,
        columns: 5,
        rowHeight: 100,
        scrollTop: 5000,
        viewportHeight: 400
      })
    ).toEqual({
      firstRow: 48,
      lastRow: 55,
      start: 240,
      end: 280,
      totalHeight: 20000
    });
  });

  it('stops at the first and last rows', () => {
    expect(
      gridWindow({
        count: 7,
        columns: 3,
        rowHeight: 50,
        scrollTop: 0,
        viewportHeight: 1000,
        overscan: 0
      })
    ).toEqual({ firstRow: 0, lastRow: 2, start: 0, end: 7, totalHeight: 150 });
  });

  it('is empty without items', () => {
    expect(
      gridWindow({
        count: 0,
        columns: 3,
        rowHeight: 50,
        scrollTop: 0,
        viewportHeight: 100
      })
    ).toMatchObject({ start: 0, end: 0, totalHeight: 0 });
  });
});

describe('scrollToRow', () => {
  it.each<[number, number, number | null]>([
    [5, 300, null], // visible
    [1, 300, 100], // above: scroll up to it
    [9, 300, 600] // below: scroll so that it is the last row
  ])('row %i with the view at %i scrolls to %j', (row, scrollTop, expected) => {
    expect(scrollToRow(row, 100, scrollTop, 400)).toBe(expected);
  });
});
