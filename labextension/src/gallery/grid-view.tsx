/**
 * The thumbnail grid, virtualised: only the rows in view (and two more
 * above and below) are in the DOM, and images load lazily, so 10,000
 * cutouts scroll as smoothly as ten.
 *
 * Keys: arrows, Home/End, PageUp/PageDown move the selection; Enter
 * enlarges; 0–9 label the selected image; Backspace/Delete remove its label.
 */
import * as React from 'react';

import { columnsFor, gridWindow, moveSelection, scrollToRow } from './grid';
import { labelForKey } from './labels';
import type { Labels } from './labels';
import { itemTitle } from './summary';
import type { IGalleryItem } from './summary';

/** The performance mark set once the first screen of thumbnails has loaded. */
export const RENDERED_MARK = 'surveylab:gallery-rendered';

/** The grid's props. */
export interface IGridViewProps {
  items: readonly IGalleryItem[];
  /** The thumbnail's URL for a file of the job. */
  urlOf: (file: string) => string;
  labels: Labels;
  labelNames: readonly string[];
  selected: number;
  onSelect: (index: number) => void;
  onOpen: (index: number) => void;
  onLabel: (index: number, label: number | null) => void;
  /** The thumbnail's side, px. */
  thumbnailSize: number;
  /** Lets the parent focus the grid (after the viewer closes). */
  gridRef: React.RefObject<HTMLDivElement>;
}

const CELL_PADDING = 12;
const CAPTION_HEIGHT = 40;

/** The thumbnail grid. */
export function GridView(props: IGridViewProps): React.ReactElement {
  const { items, selected, thumbnailSize, gridRef } = props;
  const cellWidth = thumbnailSize + CELL_PADDING;
  const rowHeight = thumbnailSize + CELL_PADDING + CAPTION_HEIGHT;
  const [box, setBox] = React.useState({ width: 0, height: 0, scrollTop: 0 });

  React.useLayoutEffect(() => {
    const node = gridRef.current;
    if (!node) {
      return;
    }
    const measure = () => {
      setBox({
        width: node.clientWidth,
        height: node.clientHeight,
        scrollTop: node.scrollTop
      });
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => {
      observer.disconnect();
    };
  }, [gridRef]);

  const columns = columnsFor(box.width, cellWidth);
  const view = gridWindow({
    count: items.length,
    columns,
    rowHeight,
    scrollTop: box.scrollTop,
    viewportHeight: box.height
  });
  const pageRows = Math.max(1, Math.floor(box.height / rowHeight));

  // Keep the selection in view.
  React.useEffect(() => {
    const node = gridRef.current;
    if (!node || selected < 0) {
      return;
    }
    const top = scrollToRow(
      Math.floor(selected / columns),
      rowHeight,
      node.scrollTop,
      node.clientHeight
    );
    if (top !== null) {
      node.scrollTop = top;
    }
  }, [selected, columns, rowHeight, gridRef]);

  // The performance mark: once the thumbnails of the first screen have loaded.
  const pending = React.useRef<Set<string> | null>(null);
  const marked = React.useRef(false);
  React.useEffect(() => {
    if (marked.current || box.height === 0 || items.length === 0) {
      return;
    }
    if (pending.current === null) {
      const first = gridWindow({
        count: items.length,
        columns,
        rowHeight,
        scrollTop: 0,
        viewportHeight: box.height,
        overscan: 0
      });
      pending.current = new Set(
        items
          .slice(first.start, first.end)
          .map(item => item.thumbnail)
          .filter((file): file is string => file !== null)
      );
    }
    if (pending.current.size === 0) {
      marked.current = true;
      performance.mark(RENDERED_MARK);
    }
  }, [items, columns, rowHeight, box.height]);
  const settled = (file: string) => {
    const waiting = pending.current;
    if (waiting === null || marked.current) {
      return;
    }
    waiting.delete(file);
    if (waiting.size === 0) {
      marked.current = true;
      performance.mark(RENDERED_MARK);
    }
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const next = moveSelection(selected, event.key, {
      count: items.length,
      columns,
      pageRows
    });
    let handled = true;
    if (next !== null) {
      props.onSelect(next);
    } else if (event.key === 'Enter' || event.key === ' ') {
      if (selected >= 0) {
        props.onOpen(selected);
      }
    } else if (event.key === 'Backspace' || event.key === 'Delete') {
      if (selected >= 0) {
        props.onLabel(selected, null);
      }
    } else {
      const label = labelForKey(event.key);
      if (label !== null && selected >= 0) {
        props.onLabel(selected, label);
      } else {
        handled = label !== null;
      }
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  const cells: React.ReactElement[] = [];
  for (let index = view.start; index < view.end; index++) {
    const item = items[index];
    const label = props.labels[item.key] as number | undefined;
    const labelName =
      label === undefined ? '' : (props.labelNames[label] ?? '') || '';
    cells.push(
      <div
        key={item.key}
        id={`sl-gallery-cell-${index}`}
        className={
          'sl-GalleryCell' +
          (index === selected ? ' sl-mod-selected' : '') +
          (item.ok ? '' : ' sl-mod-error')
        }
        role="option"
        aria-selected={index === selected}
        aria-label={`${itemTitle(item)}${label === undefined ? '' : `, label ${label}`}`}
        data-testid="gallery-cell"
        data-key={item.key}
        data-index={index}
        data-label={label === undefined ? '' : String(label)}
        style={{ width: cellWidth, height: rowHeight }}
        onClick={() => {
          props.onSelect(index);
        }}
        onDoubleClick={() => {
          props.onOpen(index);
        }}
      >
        <div
          className="sl-GalleryCell-image"
          style={{ width: thumbnailSize, height: thumbnailSize }}
        >
          {item.thumbnail !== null ? (
            <img
              src={props.urlOf(item.thumbnail)}
              alt={itemTitle(item)}
              loading="lazy"
              decoding="async"
              width={thumbnailSize}
              height={thumbnailSize}
              data-testid="gallery-thumbnail"
              onLoad={() => {
                settled(item.thumbnail ?? '');
              }}
              onError={() => {
                settled(item.thumbnail ?? '');
              }}
            />
          ) : item.ok ? (
            <span className="sl-GalleryCell-note">
              {item.fits.length > 0 ? 'FITS only' : 'no image files'}
            </span>
          ) : (
            <span
              className="sl-GalleryCell-errorText"
              data-testid="gallery-cell-error"
              title={item.error ?? ''}
            >
              {item.error}
            </span>
          )}
          {label !== undefined && (
            <span
              className="sl-GalleryCell-label"
              data-testid="gallery-cell-label"
              title={labelName || `label ${label}`}
            >
              {label}
            </span>
          )}
        </div>
        <div className="sl-GalleryCell-caption" title={item.name ?? ''}>
          {itemTitle(item)}
        </div>
      </div>
    );
  }

  return (
    <div
      ref={gridRef}
      className="sl-GalleryGrid"
      data-testid="gallery-grid"
      role="listbox"
      tabIndex={0}
      aria-label="Cutouts: arrows move, Enter enlarges, 0-9 label"
      aria-activedescendant={
        selected >= view.start && selected < view.end
          ? `sl-gallery-cell-${selected}`
          : undefined
      }
      onKeyDown={onKeyDown}
      onScroll={event => {
        const node = event.currentTarget;
        setBox(old =>
          old.scrollTop === node.scrollTop
            ? old
            : { ...old, scrollTop: node.scrollTop }
        );
      }}
    >
      <div
        className="sl-GalleryGrid-sizer"
        style={{ height: view.totalHeight }}
      >
        <div
          className="sl-GalleryGrid-rows"
          style={{
            transform: `translateY(${view.firstRow * rowHeight}px)`,
            gridTemplateColumns: `repeat(${columns}, ${cellWidth}px)`
          }}
        >
          {cells}
        </div>
      </div>
    </div>
  );
}
