/**
 * The status bar item (a dot and a word per unwell part) and the Status panel
 * (each part's state, last check, latency and error).
 */
import { Widget } from '@lumino/widgets';

import type { IPartStatus, StatusModel } from './model';
import { summaryText } from './model';

/** The DOM id of the Status panel's main-area widget. */
export const STATUS_PANEL_ID = 'surveylab-status';

/** The overall state shown: the report's, or `unknown` when none came. */
function overallState(model: StatusModel): string {
  if (model.error !== null) {
    return 'unknown';
  }
  return model.report?.state ?? 'checking';
}

/** A time as the lab shows it: local hours, minutes and seconds. */
function timeText(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** The status bar item: a coloured dot and the summary; a click opens the panel. */
export class StatusItem extends Widget {
  constructor(model: StatusModel, onOpen: () => void) {
    super({ node: document.createElement('div') });
    this.addClass('sl-StatusItem');
    this.node.dataset.testid = 'surveylab-status';
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this._dot = document.createElement('span');
    this._dot.className = 'sl-StatusDot';
    this._text = document.createElement('span');
    this.node.append(this._dot, this._text);
    this._model = model;
    this.node.addEventListener('click', onOpen);
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        onOpen();
      }
    });
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const model = this._model;
    this.node.dataset.state = overallState(model);
    this._text.textContent = summaryText(model.report, model.error);
    const checked = model.report ? timeText(model.report.checked_at) : null;
    this.node.title = model.error
      ? `The status could not be read: ${model.error}`
      : `${checked ? `Checked at ${checked}. ` : ''}Click for each part's status.`;
  }

  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private readonly _model: StatusModel;
  private readonly _dot: HTMLSpanElement;
  private readonly _text: HTMLSpanElement;
}

/** The Status panel: a row per part. */
export class StatusPanel extends Widget {
  constructor(model: StatusModel) {
    super();
    this.addClass('sl-StatusPanel');
    this.node.dataset.testid = 'status-panel';
    this._model = model;
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const model = this._model;
    const node = this.node;
    node.replaceChildren();
    node.dataset.state = overallState(model);
    const heading = document.createElement('p');
    heading.className = 'sl-StatusPanel-summary';
    heading.dataset.testid = 'status-summary';
    heading.textContent = model.error
      ? `The status could not be read: ${model.error}`
      : summaryText(model.report, null) +
        (model.report
          ? ` (checked at ${timeText(model.report.checked_at)})`
          : '');
    node.append(heading);
    if (model.report === null) {
      return;
    }
    const table = document.createElement('table');
    table.className = 'sl-StatusPanel-table';
    const head = table.createTHead().insertRow();
    for (const title of ['Part', 'State', 'Checked', 'Answered in', 'Detail']) {
      const cell = document.createElement('th');
      cell.textContent = title;
      head.append(cell);
    }
    const body = table.createTBody();
    for (const part of model.report.parts) {
      body.append(partRow(part));
    }
    node.append(table);
  }

  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private readonly _model: StatusModel;
}

function partRow(part: IPartStatus): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = `status-part-${part.name}`;
  row.dataset.state = part.state;
  const cells = [
    part.label,
    part.state,
    timeText(part.checked_at),
    part.latency === null ? '—' : `${(part.latency * 1000).toFixed(0)} ms`,
    part.error ? `${part.detail}: ${part.error}` : part.detail
  ];
  cells.forEach((text, index) => {
    const cell = row.insertCell();
    cell.textContent = text;
    if (index === 1) {
      cell.className = 'sl-StatusPanel-state';
    }
    if (index === 4 && part.error) {
      cell.className = 'sl-StatusPanel-error';
    }
  });
  return row;
}
