/**
 * The Survey panel: the shell that later features (query editor, job browser,
 * cutout gallery, footprint viewer) are added to as sections.
 *
 * Layout:
 *
 * ```
 * SurveyPanel  #surveylab-panel .sl-SurveyPanel [data-state]
 * ├── SurveyHeader  .sl-SurveyPanel-header   release, version, backend
 * └── TabPanel      .sl-SurveyPanel-body     one tab per section
 *     └── TablesView  "Tables"               the release's tables
 * ```
 */
import {
  Button,
  ReactWidget,
  Table,
  refreshIcon
} from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import type { Message } from '@lumino/messaging';
import { AttachedProperty } from '@lumino/properties';
import { Panel, TabPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { formatRows, compareRows, summarizeTables } from './format';
import { surveyIcon } from './icon';
import { SurveyInfoModel } from './model';
import type { SurveyInfoState } from './model';
import type { ISurveyTable } from './types';

/** The DOM id of the (single) Survey panel. */
export const PANEL_ID = 'surveylab-panel';

/**
 * The Survey panel.
 *
 * It loads the release information when it is first attached. Sections are
 * Lumino widgets (a `ReactWidget` is one) shown as tabs below the header; add
 * them with {@link SurveyPanel.addSection}. The root node's `data-state`
 * attribute is the model's state: `idle`, `loading`, `ready` or `error`.
 */
export class SurveyPanel extends Panel {
  constructor(options: SurveyPanel.IOptions = {}) {
    super();
    this.id = PANEL_ID;
    this.addClass('sl-SurveyPanel');
    this.title.label = 'Survey';
    this.title.caption = 'Survey data release';
    this.title.icon = surveyIcon;
    this.title.closable = true;
    // Focusable, so that activating the panel moves the keyboard to it.
    this.node.tabIndex = -1;

    this._ownsModel = options.model === undefined;
    this.model = options.model ?? new SurveyInfoModel();
    this.model.stateChanged.connect(this._onStateChanged, this);
    this._onStateChanged(this.model, this.model.state);

    this._header = new SurveyHeader(this.model);
    this._body = new TabPanel({ tabsMovable: false });
    this._body.addClass('sl-SurveyPanel-body');
    this.addWidget(this._header);
    this.addWidget(this._body);

    this.addSection(new TablesView(this.model), { rank: 0 });
  }

  /** The release information shared by the header and every section. */
  readonly model: SurveyInfoModel;

  /** The sections, in tab order. */
  get sections(): readonly Widget[] {
    return this._body.widgets;
  }

  /** The section whose tab is selected, if any. */
  get currentSection(): Widget | null {
    return this._body.currentWidget;
  }

  /**
   * Add a section as a tab, ordered by rank (lower first; ties keep the order
   * they were added in). The widget's `title.label` names the tab.
   */
  addSection(widget: Widget, options: SurveyPanel.ISectionOptions = {}): void {
    const rank = options.rank ?? 100;
    Private.rankProperty.set(widget, rank);
    const index = this._body.widgets.findIndex(
      other => Private.rankProperty.get(other) > rank
    );
    if (index === -1) {
      this._body.addWidget(widget);
    } else {
      this._body.insertWidget(index, widget);
    }
  }

  /** Select a section's tab. */
  activateSection(widget: Widget): void {
    if (this._body.widgets.includes(widget)) {
      this._body.currentWidget = widget;
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    super.dispose();
    if (this._ownsModel) {
      this.model.dispose();
    } else {
      this.model.stateChanged.disconnect(this._onStateChanged, this);
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // The header's height changes with its content, and the tab panel lays
    // its children out absolutely: tell it whenever its own box changes.
    if (
      this._resizeObserver === null &&
      typeof ResizeObserver !== 'undefined'
    ) {
      this._resizeObserver = new ResizeObserver(() => {
        if (!this._body.isDisposed && this._body.isAttached) {
          MessageLoop.sendMessage(this._body, Widget.ResizeMessage.UnknownSize);
        }
      });
      this._resizeObserver.observe(this._body.node);
    }
    if (this.model.state.status === 'idle') {
      void this.model.load();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._resizeObserver?.disconnect();
    this._resizeObserver = null;
    super.onBeforeDetach(msg);
  }

  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    // A closed panel is gone for good: the next `surveylab:open` makes a new
    // one, and the layout restorer forgets it.
    this.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      this.node.focus();
    }
  }

  private _onStateChanged(_: SurveyInfoModel, state: SurveyInfoState): void {
    this.node.dataset.state = state.status;
  }

  private readonly _body: TabPanel;
  private readonly _header: SurveyHeader;
  private readonly _ownsModel: boolean;
  private _resizeObserver: ResizeObserver | null = null;
}

export namespace SurveyPanel {
  /** The options of the {@link SurveyPanel} constructor. */
  export interface IOptions {
    /** A model to show; by default a new one that loads `/surveylab/api/info`. */
    model?: SurveyInfoModel;
  }

  /** Where a section goes. */
  export interface ISectionOptions {
    /** Tabs are sorted by rank, lower first; the default is 100. */
    rank?: number;
  }
}

/**
 * A widget that re-renders whenever the model's state changes.
 */
abstract class ModelView extends ReactWidget {
  constructor(model: SurveyInfoModel) {
    super();
    this.model = model;
    model.stateChanged.connect(this._onStateChanged, this);
  }

  protected readonly model: SurveyInfoModel;

  dispose(): void {
    if (!this.isDisposed) {
      this.model.stateChanged.disconnect(this._onStateChanged, this);
    }
    super.dispose();
  }

  private _onStateChanged(): void {
    this.update();
  }
}

/**
 * The header: the release, the surveylab version and the backend; or the
 * loading state; or the error with a Retry button.
 */
class SurveyHeader extends ModelView {
  constructor(model: SurveyInfoModel) {
    super(model);
    this.addClass('sl-SurveyPanel-header');
    this.node.dataset.testid = 'surveylab-header';
  }

  protected render(): React.ReactElement {
    return (
      <HeaderContent
        state={this.model.state}
        onReload={() => void this.model.load()}
      />
    );
  }
}

function HeaderContent(props: {
  state: SurveyInfoState;
  onReload: () => void;
}): React.ReactElement {
  const { state, onReload } = props;
  switch (state.status) {
    case 'idle':
    case 'loading':
      return (
        <div
          className="sl-SurveyPanel-loading"
          data-testid="surveylab-loading"
          role="status"
          aria-busy="true"
        >
          <surveyIcon.react tag="span" className="sl-SurveyPanel-icon" />
          <span>Loading the survey release…</span>
        </div>
      );
    case 'error':
      return (
        <div className="sl-SurveyPanel-errorBox" role="alert">
          <surveyIcon.react tag="span" className="sl-SurveyPanel-icon" />
          <div className="sl-SurveyPanel-errorText">
            <p className="sl-SurveyPanel-error" data-testid="surveylab-error">
              {state.error.message}
            </p>
            {state.error.detail ? (
              <p
                className="sl-SurveyPanel-errorDetail"
                data-testid="surveylab-error-detail"
              >
                {state.error.detail}
              </p>
            ) : null}
          </div>
          <Button
            className="jp-mod-styled jp-mod-accept sl-SurveyPanel-retry"
            data-testid="surveylab-retry"
            onClick={onReload}
          >
            Retry
          </Button>
        </div>
      );
    case 'ready': {
      const { info } = state;
      return (
        <div className="sl-SurveyPanel-release">
          <div className="sl-SurveyPanel-titleRow">
            <surveyIcon.react tag="span" className="sl-SurveyPanel-icon" />
            <h2 className="sl-ReleaseName" data-testid="surveylab-release">
              {info.release}
            </h2>
            <span
              className="sl-SurveyPanel-summary"
              data-testid="surveylab-summary"
            >
              {summarizeTables(info.tables)}
            </span>
            <Button
              className="sl-SurveyPanel-refresh"
              data-testid="surveylab-refresh"
              minimal
              small
              title="Reload the release information"
              aria-label="Reload the release information"
              onClick={onReload}
            >
              <refreshIcon.react tag="span" />
            </Button>
          </div>
          <dl className="sl-SurveyPanel-meta">
            <div className="sl-SurveyPanel-metaItem">
              <dt>surveylab</dt>
              <dd data-testid="surveylab-version">{info.version}</dd>
            </div>
            <div className="sl-SurveyPanel-metaItem">
              <dt>Backend</dt>
              <dd data-testid="surveylab-backend">{info.backend}</dd>
            </div>
          </dl>
        </div>
      );
    }
  }
}

/**
 * The "Tables" section: one row per table of the release, sortable by name or
 * row count.
 */
export class TablesView extends ModelView {
  constructor(model: SurveyInfoModel) {
    super(model);
    this.id = 'surveylab-section-tables';
    this.addClass('sl-TablesView');
    this.title.label = 'Tables';
    this.title.caption = 'The tables of the data release';
  }

  protected render(): React.ReactElement {
    const info = this.model.info;
    if (info === null) {
      const text =
        this.model.state.status === 'error'
          ? 'The table list is not available.'
          : 'Loading the table list…';
      return <p className="sl-TablesView-placeholder">{text}</p>;
    }
    return <TablesTable tables={info.tables} />;
  }
}

const TABLE_COLUMNS: Table.IColumn<ISurveyTable>[] = [
  {
    id: 'name',
    label: 'Name',
    renderCell: table => (
      <code className="sl-TablesView-name">{table.name}</code>
    ),
    sort: (a, b) => a.name.localeCompare(b.name)
  },
  {
    id: 'rows',
    label: 'Rows',
    renderCell: table => (
      <span
        className="sl-TablesView-rows"
        data-rows={table.rows === null ? '' : String(table.rows)}
      >
        {formatRows(table.rows)}
      </span>
    ),
    sort: compareRows
  },
  {
    id: 'description',
    label: 'Description',
    renderCell: table => (
      <span className="sl-TablesView-description">{table.description}</span>
    ),
    sort: (a, b) => a.description.localeCompare(b.description)
  }
];

function TablesTable(props: {
  tables: readonly ISurveyTable[];
}): React.ReactElement {
  if (props.tables.length === 0) {
    return (
      <div className="sl-TablesView-content" data-testid="surveylab-tables">
        <p className="sl-TablesView-placeholder">
          This release lists no tables.
        </p>
      </div>
    );
  }
  // `Table` sorts its rows in place: hand it a fresh array every render.
  const rows = props.tables.map(table => ({ key: table.name, data: table }));
  return (
    <div className="sl-TablesView-content" data-testid="surveylab-tables">
      <Table<ISurveyTable>
        rows={rows}
        columns={TABLE_COLUMNS}
        blankIndicator={() => <span>{'\u2014'}</span>}
      />
    </div>
  );
}

namespace Private {
  /** The rank of each section, read when inserting a new one. */
  export const rankProperty = new AttachedProperty<Widget, number>({
    name: 'surveylabRank',
    create: () => 100
  });
}
