/**
 * The result grid: a Lumino DataGrid over the rows of a quick result, with
 * typed columns sorted by a click on their header, NULLs in a muted colour,
 * and colours read from JupyterLab's theme (a canvas cannot use CSS
 * variables, so they are read again whenever the theme changes).
 */
import {
  BasicKeyHandler,
  BasicMouseHandler,
  BasicSelectionModel,
  DataGrid,
  DataModel,
  TextRenderer
} from '@lumino/datagrid';
import type { CellRenderer } from '@lumino/datagrid';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import { MessageLoop } from '@lumino/messaging';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { IQuickResult, IResultColumn } from './api';
import { withAlpha } from './colors';
import type { ColumnKind, ISortState } from './result';
import {
  cellText,
  columnHeader,
  columnKind,
  nextSort,
  sortOrder,
  sortedHeader
} from './result';

/**
 * The grid's data: the result's rows in the current sort order.
 */
export class ResultDataModel extends DataModel {
  constructor(result: IQuickResult) {
    super();
    this.result = result;
    this.kinds = result.columns.map(column => columnKind(column.type));
    this._order = sortOrder(result.rows, 'text', null);
  }

  /** The result shown. */
  readonly result: IQuickResult;
  /** The kind of each column. */
  readonly kinds: readonly ColumnKind[];

  /** The current sort, or `null` for the server's order. */
  get sort(): ISortState | null {
    return this._sort;
  }

  /** The shown order: indices into `result.rows`. */
  get order(): readonly number[] {
    return this._order;
  }

  /** The result's row shown at grid row `row`. */
  rowAt(row: number): unknown[] {
    return this.result.rows[this._order[row]];
  }

  /**
   * Sort by a column: ascending, then descending, then back to the server's
   * order, on successive calls for the same column.
   */
  toggleSort(column: number): void {
    this.setSort(nextSort(this._sort, column));
  }

  /** Set the sort. */
  setSort(sort: ISortState | null): void {
    this._sort = sort;
    this._order = sortOrder(
      this.result.rows,
      sort === null ? 'text' : this.kinds[sort.column],
      sort
    );
    this.emitChanged({ type: 'model-reset' });
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._order.length : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this.result.columns.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): unknown {
    switch (region) {
      case 'body':
        return this.rowAt(row)[column];
      case 'column-header':
        return sortedHeader(this.result.columns[column], column, this._sort);
      case 'row-header':
        return row + 1;
      default:
        return '';
    }
  }

  metadata(
    region: DataModel.CellRegion,
    _row: number,
    column: number
  ): DataModel.Metadata {
    if (region === 'body' || region === 'column-header') {
      const info: IResultColumn = this.result.columns[column];
      return { kind: this.kinds[column], type: info.type, unit: info.unit };
    }
    return {};
  }

  private _sort: ISortState | null = null;
  private _order: number[];
}

/** The colours and fonts of the grid, from JupyterLab's theme variables. */
interface IThemeColors {
  background: string;
  stripe: string;
  header: string;
  line: string;
  text: string;
  muted: string;
  selection: string;
  brand: string;
  font: string;
  headerFont: string;
}

function readTheme(node: HTMLElement): IThemeColors {
  const style = getComputedStyle(node);
  const value = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const codeFont = value('--jp-code-font-family', 'monospace');
  const codeSize = value('--jp-code-font-size', '13px');
  const uiFont = value('--jp-ui-font-family', 'sans-serif');
  const uiSize = value('--jp-ui-font-size1', '13px');
  return {
    background: value('--jp-layout-color0', '#ffffff'),
    stripe: value('--jp-layout-color1', '#ffffff'),
    header: value('--jp-layout-color2', '#eeeeee'),
    line: value('--jp-border-color2', '#e0e0e0'),
    text: value('--jp-content-font-color1', '#000000'),
    muted: value('--jp-ui-font-color3', '#999999'),
    // Translucent, so that the selected cells' text shows through.
    selection:
      withAlpha(value('--jp-brand-color1', '#1976d2'), 0.25) ??
      'rgba(25, 118, 210, 0.25)',
    brand: value('--jp-brand-color1', '#1976d2'),
    font: `${codeSize} ${codeFont}`,
    headerFont: `600 ${uiSize} ${uiFont}`
  };
}

/** The cell that has the cursor: where it is and what it holds. */
export interface ICellInfo {
  row: number;
  column: IResultColumn;
  value: unknown;
}

/**
 * Sorts on a click on a column header (away from its resize edges); does
 * everything else as the basic handler does.
 */
class SortingMouseHandler extends BasicMouseHandler {
  constructor(private readonly _onSort: (column: number) => void) {
    super();
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const nearEdge = hit.x < 6 || hit.width - hit.x < 6;
    if (hit.region === 'column-header' && !nearEdge && event.button === 0) {
      this._onSort(hit.column);
      event.preventDefault();
      return;
    }
    super.onMouseDown(grid, event);
  }
}

/**
 * The result grid widget; show a result with {@link ResultGrid.showResult}.
 */
export class ResultGrid extends Panel {
  constructor() {
    super();
    this.addClass('sl-ResultGrid');
    this.node.dataset.testid = 'query-grid';
    this._grid = new DataGrid({
      defaultSizes: {
        rowHeight: 24,
        columnWidth: 128,
        rowHeaderWidth: 64,
        columnHeaderHeight: 28
      },
      headerVisibility: 'all',
      minimumSizes: {
        rowHeight: 20,
        columnWidth: 40,
        rowHeaderWidth: 32,
        columnHeaderHeight: 24
      }
    });
    this._grid.keyHandler = new BasicKeyHandler();
    this._grid.mouseHandler = new SortingMouseHandler(column => {
      this._model?.toggleSort(column);
      this._sorted.emit();
    });
    this._grid.copyConfig = {
      ...this._grid.copyConfig,
      format: ({ value }) => cellText(value)
    };
    this.addWidget(this._grid);
  }

  /** The model shown, or `null`. */
  get model(): ResultDataModel | null {
    return this._model;
  }

  /**
   * The body row (0-based, as shown) under a point of the page, or `null`;
   * the cursor moves to its first cell.
   */
  selectRowAt(clientX: number, clientY: number): number | null {
    const hit = this._grid.hitTest(clientX, clientY);
    const selection = this._grid.selectionModel;
    if (hit.region !== 'body' || hit.row < 0 || selection === null) {
      return null;
    }
    selection.select({
      r1: hit.row,
      c1: hit.column,
      r2: hit.row,
      c2: hit.column,
      cursorRow: hit.row,
      cursorColumn: hit.column,
      clear: 'all'
    });
    return hit.row;
  }

  /** Emitted after the user re-sorts the rows. */
  get sorted(): ISignal<this, void> {
    return this._sorted;
  }

  /** Emitted with the cell under the cursor (or `null`) when it moves. */
  get cellChanged(): ISignal<this, ICellInfo | null> {
    return this._cellChanged;
  }

  /** Show a result (sorted as the server sent it). */
  showResult(result: IQuickResult): ResultDataModel {
    const model = new ResultDataModel(result);
    this._model = model;
    this._grid.dataModel = model;
    const selection = new BasicSelectionModel({ dataModel: model });
    selection.changed.connect(() => {
      this._cellChanged.emit(this._cursorCell(selection));
    });
    this._grid.selectionModel = selection;
    this._fitColumns(result.columns);
    this._cellChanged.emit(null);
    this.applyTheme();
    return model;
  }

  /** Read the theme's colours again (call when JupyterLab's theme changes). */
  applyTheme(): void {
    const colors = readTheme(this.node);
    this._grid.style = {
      ...DataGrid.defaultStyle,
      voidColor: colors.background,
      backgroundColor: colors.background,
      rowBackgroundColor: index =>
        index % 2 === 0 ? colors.background : colors.stripe,
      gridLineColor: colors.line,
      headerBackgroundColor: colors.header,
      headerGridLineColor: colors.line,
      selectionFillColor: colors.selection,
      selectionBorderColor: colors.brand,
      cursorBorderColor: colors.brand,
      headerSelectionFillColor: colors.selection,
      headerSelectionBorderColor: colors.brand
    };
    const kindOf = (config: CellRenderer.CellConfig): unknown =>
      (config.metadata as { kind?: string }).kind;
    const body = new TextRenderer({
      font: colors.font,
      textColor: config =>
        config.value === null || config.value === undefined
          ? colors.muted
          : colors.text,
      horizontalAlignment: config =>
        kindOf(config) === 'number' ? 'right' : 'left',
      format: config => cellText(config.value)
    });
    const header = new TextRenderer({
      font: colors.headerFont,
      textColor: colors.text,
      horizontalAlignment: 'left'
    });
    const rowHeader = new TextRenderer({
      font: colors.font,
      textColor: colors.muted,
      horizontalAlignment: 'right'
    });
    this._grid.cellRenderers.update({
      body,
      'column-header': header,
      'row-header': rowHeader,
      'corner-header': header
    });
    this._grid.update();
  }

  /** Remove the result. */
  clear(): void {
    this._model = null;
    this._grid.dataModel = null;
    this._grid.selectionModel = null;
    this._cellChanged.emit(null);
  }

  dispose(): void {
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // The box changes with the status line above it, which Lumino does not
    // see: tell the grid, so that its last rows stay in view.
    if (
      this._resizeObserver === null &&
      typeof ResizeObserver !== 'undefined'
    ) {
      this._resizeObserver = new ResizeObserver(() => {
        if (!this._grid.isDisposed && this._grid.isVisible) {
          MessageLoop.sendMessage(this._grid, Widget.ResizeMessage.UnknownSize);
        }
      });
      this._resizeObserver.observe(this.node);
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    super.onBeforeDetach(msg);
  }

  private _cursorCell(selection: BasicSelectionModel): ICellInfo | null {
    const model = this._model;
    const row = selection.cursorRow;
    const column = selection.cursorColumn;
    if (
      model === null ||
      row < 0 ||
      column < 0 ||
      row >= model.rowCount('body') ||
      column >= model.columnCount('body')
    ) {
      return null;
    }
    return {
      row,
      column: model.result.columns[column],
      value: model.rowAt(row)[column]
    };
  }

  /** Size each column for its header and first rows, within bounds. */
  private _fitColumns(columns: readonly IResultColumn[]): void {
    const model = this._model;
    if (model === null) {
      return;
    }
    const sample = Math.min(model.rowCount('body'), 50);
    columns.forEach((column, index) => {
      let chars = columnHeader(column).length + 2;
      for (let row = 0; row < sample; row++) {
        chars = Math.max(chars, cellText(model.rowAt(row)[index]).length);
      }
      const width = Math.min(Math.max(chars * 8 + 16, 64), 360);
      this._grid.resizeColumn('body', index, width);
    });
  }

  private readonly _grid: DataGrid;
  private _model: ResultDataModel | null = null;
  private _resizeObserver: ResizeObserver | null = null;
  private readonly _sorted = new Signal<this, void>(this);
  private readonly _cellChanged = new Signal<this, ICellInfo | null>(this);
}
