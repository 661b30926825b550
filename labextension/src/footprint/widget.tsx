/**
 * The footprint viewer: a main-area widget with a toolbar (search, overlay
 * toggles) over the sky and a side panel showing the selected tile.
 *
 * ```
 * FootprintViewer  #surveylab-footprint (MainAreaWidget)
 * ├── toolbar   SearchBox, OverlayToggles
 * └── BoxPanel  .sl-FootprintViewer-body
 *     ├── SkyView        the Aladin Lite view and its overlays
 *     └── TilePanel      the tile, its files and actions; the legend
 * ```
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { BoxPanel } from '@lumino/widgets';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { commandOpener } from '../finding-chart/context';
import { viridis } from './colour';
import { footprintIcon } from './icon';
import {
  cutoutPosition,
  tileQuerySQL,
  type FootprintModel,
  type IOverlayState,
  type OverlayName,
  OVERLAYS
} from './model';
import { formatBytes } from './format';
import { formatDec, formatRA, SEARCH_HINT } from './search';
import { SkyView, type ISkyOptions } from './sky';
import type { ITileDetail } from './types';

/** The DOM id of the (single) footprint viewer. */
export const FOOTPRINT_ID = 'surveylab-footprint';

/** The footprint viewer. */
export class FootprintViewer extends MainAreaWidget<BoxPanel> {
  constructor(options: FootprintViewer.IOptions) {
    const { model, commands } = options;
    const content = new BoxPanel({ direction: 'left-to-right', spacing: 0 });
    content.addClass('sl-FootprintViewer-body');
    const sky = new SkyView(model, options.sky);
    const side = new TilePanel(model, commands, options.sky.healpixNside);
    content.addWidget(sky);
    content.addWidget(side);
    BoxPanel.setStretch(sky, 1);
    BoxPanel.setStretch(side, 0);
    super({ content });
    this.id = FOOTPRINT_ID;
    this.addClass('sl-FootprintViewer');
    this.node.dataset.testid = 'footprint-viewer';
    this.title.label = 'Footprint';
    this.title.caption = "The survey's footprint: tiles, counts, coverage";
    this.title.icon = footprintIcon;
    this.title.closable = true;
    this.model = model;
    this.sky = sky;
    this._search = new SearchBox(model);
    this.toolbar.addItem('search', this._search);
    this.toolbar.addItem('overlays', new OverlayToggles(model));
  }

  /** The viewer's state. */
  readonly model: FootprintModel;
  /** The Aladin view. */
  readonly sky: SkyView;

  /** Put `text` in the search box and search for it. */
  search(text: string): Promise<void> {
    this._search.setValue(text);
    return this.model.search(text);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    super.dispose();
    Signal.clearData(this.model);
  }

  private readonly _search: SearchBox;
}

export namespace FootprintViewer {
  export interface IOptions {
    model: FootprintModel;
    /** The app's commands: the tile actions run them. */
    commands: CommandRegistry;
    sky: ISkyOptions;
  }
}

/** A React widget that re-renders when the model changes. */
abstract class ModelWidget extends ReactWidget {
  constructor(model: FootprintModel) {
    super();
    this.model = model;
    model.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._onChanged, this);
    }
    super.dispose();
  }

  protected readonly model: FootprintModel;

  private _onChanged(): void {
    this.update();
  }
}

/** The search box: Enter (or Go) searches; Escape clears the selection. */
class SearchBox extends ReactWidget {
  constructor(model: FootprintModel) {
    super();
    this.addClass('sl-FootprintSearch');
    this._model = model;
  }

  setValue(value: string): void {
    this._value = value;
    this.update();
  }

  protected render(): React.ReactElement {
    const submit = (): void => {
      void this._model.search(this._value);
    };
    return (
      <form
        className="sl-FootprintSearch-form"
        role="search"
        onSubmit={event => {
          event.preventDefault();
          submit();
        }}
      >
        <input
          className="jp-mod-styled sl-FootprintSearch-input"
          data-testid="footprint-search"
          type="search"
          aria-label="Go to a position or tile"
          title={SEARCH_HINT}
          placeholder="RA Dec, 21:33:27 -0:49:24, or DES2134-0041"
          value={this._value}
          onChange={event => {
            this._value = event.currentTarget.value;
            this.update();
          }}
          onKeyDown={event => {
            if (event.key === 'Escape') {
              this._model.clearSelection();
            }
          }}
        />
        <Button
          className="jp-mod-styled jp-mod-accept"
          type="submit"
          data-testid="footprint-go"
          small
        >
          Go
        </Button>
      </form>
    );
  }

  private readonly _model: FootprintModel;
  private _value = '';
}

const OVERLAY_LABELS: Record<OverlayName, string> = {
  hips: 'Survey image',
  tiles: 'Tiles',
  healpix: 'HEALPix counts',
  moc: 'MOC'
};

/** One checkbox per overlay; disabled, with the reason, when unavailable. */
class OverlayToggles extends ModelWidget {
  constructor(model: FootprintModel) {
    super(model);
    this.addClass('sl-FootprintToggles');
  }

  protected render(): React.ReactElement {
    return (
      <fieldset className="sl-FootprintToggles-group">
        <legend className="sl-FootprintToggles-legend">Overlays</legend>
        {OVERLAYS.map(name => (
          <OverlayToggle
            key={name}
            name={name}
            state={this.model.overlay(name)}
            onChange={visible => {
              this.model.setVisible(name, visible);
            }}
          />
        ))}
      </fieldset>
    );
  }
}

function OverlayToggle(props: {
  name: OverlayName;
  state: Readonly<IOverlayState>;
  onChange: (visible: boolean) => void;
}): React.ReactElement {
  const { name, state, onChange } = props;
  const ready = state.status === 'ready';
  const hint =
    state.status === 'loading'
      ? `${OVERLAY_LABELS[name]}: loading…`
      : ready
        ? `Show or hide the ${OVERLAY_LABELS[name]} overlay`
        : state.message;
  return (
    <label
      className="sl-FootprintToggle"
      data-status={state.status}
      title={hint}
    >
      <input
        type="checkbox"
        data-testid={`footprint-toggle-${name}`}
        checked={ready && state.visible}
        disabled={!ready}
        onChange={event => {
          onChange(event.currentTarget.checked);
        }}
      />
      <span>{OVERLAY_LABELS[name]}</span>
      {state.status === 'unavailable' || state.status === 'error' ? (
        <span className="sl-FootprintToggle-hint">
          ({state.status === 'error' ? 'failed' : 'not available'})
        </span>
      ) : null}
    </label>
  );
}

/** The side panel: the selected tile (or a message) and the counts' legend. */
class TilePanel extends ModelWidget {
  constructor(
    model: FootprintModel,
    commands: CommandRegistry,
    healpixNside: number
  ) {
    super(model);
    this._nside = healpixNside;
    this.addClass('sl-FootprintTile');
    this.node.dataset.testid = 'footprint-side';
    this._commands = commands;
    // Show an action as soon as the panel providing its command registers.
    commands.commandChanged.connect(this._onCommandChanged, this);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._commands.commandChanged.disconnect(this._onCommandChanged, this);
    }
    super.dispose();
  }

  protected render(): React.ReactElement {
    const healpix = this.model.overlay('healpix');
    const problems = OVERLAYS.filter(name => {
      const { status } = this.model.overlay(name);
      return status === 'unavailable' || status === 'error';
    });
    return (
      <div className="sl-FootprintTile-content">
        {problems.map(name => (
          <p
            key={name}
            className="sl-FootprintTile-notice"
            role="status"
            data-testid={`footprint-hint-${name}`}
          >
            <strong>{OVERLAY_LABELS[name]}:</strong>{' '}
            <WithCode text={this.model.overlay(name).message} />
          </p>
        ))}
        <SelectionView model={this.model} commands={this._commands} />
        {healpix.status === 'ready' && healpix.range ? (
          <Legend range={healpix.range} nside={this._nside} />
        ) : null}
      </div>
    );
  }

  private _onCommandChanged(
    _: CommandRegistry,
    change: CommandRegistry.ICommandChangedArgs
  ): void {
    if (
      change.id === CommandIDs.openGallery ||
      change.id === CommandIDs.openQuery ||
      change.id === CommandIDs.openFindingChart
    ) {
      this.update();
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _nside: number;
}

function SelectionView(props: {
  model: FootprintModel;
  commands: CommandRegistry;
}): React.ReactElement {
  const { model, commands } = props;
  const selection = model.selection;
  switch (selection.status) {
    case 'idle':
      return (
        <p className="sl-FootprintTile-hint" data-testid="footprint-message">
          Click the sky or search to see a tile: its centre, corners, objects
          and image files.
        </p>
      );
    case 'loading':
      return (
        <p
          className="sl-FootprintTile-hint"
          role="status"
          aria-busy="true"
          data-testid="footprint-message"
        >
          {selection.label}
        </p>
      );
    case 'outside':
      return (
        <p
          className="sl-FootprintTile-outside"
          role="status"
          data-testid="footprint-message"
        >
          {selection.message}
        </p>
      );
    case 'error':
      return (
        <p
          className="sl-FootprintTile-error"
          role="alert"
          data-testid="footprint-message"
        >
          {selection.message}
        </p>
      );
    case 'ready':
      return (
        <TileView
          tile={selection.tile}
          position={selection.position}
          commands={commands}
        />
      );
  }
}

function TileView(props: {
  tile: ITileDetail;
  position: { ra: number; dec: number } | null;
  commands: CommandRegistry;
}): React.ReactElement {
  const { tile, position, commands } = props;
  const canCutout = commands.hasCommand(CommandIDs.openGallery);
  const canQuery = commands.hasCommand(CommandIDs.openQuery);
  const canChart =
    commands.hasCommand(CommandIDs.openFindingChart) && tile.images.length > 0;
  return (
    <section className="sl-FootprintTile-tile" aria-label={`Tile ${tile.name}`}>
      <h3 className="sl-FootprintTile-name" data-testid="footprint-tile-name">
        {tile.name}
      </h3>
      <dl className="sl-FootprintTile-facts">
        <dt>Centre</dt>
        <dd data-testid="footprint-tile-centre">
          {formatRA(tile.ra)} {formatDec(tile.dec)}
          <br />
          <span className="sl-FootprintTile-degrees">
            {tile.ra.toFixed(4)}°, {tile.dec.toFixed(4)}°
          </span>
        </dd>
        <dt>Objects</dt>
        <dd data-testid="footprint-tile-objects">
          {tile.objects === null ? '—' : tile.objects.toLocaleString('en-US')}
        </dd>
        <dt>Corners</dt>
        <dd>
          <ul className="sl-FootprintTile-corners">
            {tile.corners.map(([ra, dec], index) => (
              <li key={index}>
                <abbr title={CORNER_NAMES[index]}>
                  {CORNER_NAMES[index]
                    .split('-')
                    .map(word => word[0].toUpperCase())
                    .join('')}
                </abbr>{' '}
                {ra.toFixed(4)}°, {dec.toFixed(4)}°
              </li>
            ))}
          </ul>
        </dd>
        {tile.crosses_ra0 ? (
          <>
            <dt>RA 0</dt>
            <dd>the tile crosses RA 0</dd>
          </>
        ) : null}
        {position ? (
          <>
            <dt>Position</dt>
            <dd data-testid="footprint-position">
              {position.ra.toFixed(4)}°, {position.dec.toFixed(4)}°
            </dd>
          </>
        ) : null}
      </dl>
      <h4 className="sl-FootprintTile-subhead">Images</h4>
      {tile.images.length === 0 ? (
        <p className="sl-FootprintTile-hint">No coadd images for this tile.</p>
      ) : (
        <ul className="sl-FootprintTile-images">
          {tile.images.map(image => (
            <li key={image.band}>
              <a
                href={image.url}
                download={image.file}
                data-testid="footprint-tile-image"
                title={`Download the ${image.band}-band coadd image`}
              >
                {image.band}: {image.file}
              </a>{' '}
              <span className="sl-FootprintTile-size">
                {formatBytes(image.size)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {canCutout || canQuery || canChart ? (
        <div className="sl-FootprintTile-actions">
          {canCutout ? (
            <Button
              className="jp-mod-styled"
              data-testid="footprint-cutouts"
              title="Open the cutout gallery with this position"
              onClick={() => {
                void commands.execute(CommandIDs.openGallery, {
                  positions: cutoutPosition(tile, position)
                });
              }}
            >
              Cutouts here
            </Button>
          ) : null}
          {canQuery ? (
            <Button
              className="jp-mod-styled"
              data-testid="footprint-query"
              title="Open the query editor with this tile's objects"
              onClick={() => {
                void commands.execute(CommandIDs.openQuery, {
                  sql: tileQuerySQL(tile.name)
                });
              }}
            >
              Query this tile
            </Button>
          ) : null}
          {canChart ? (
            <Button
              className="jp-mod-styled"
              data-testid="footprint-finding-chart"
              title="A finding chart of this position: compass, scale bar, the target marked"
              onClick={() => {
                commandOpener(commands)([cutoutPosition(tile, position)]);
              }}
            >
              Finding chart
            </Button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** The corners of `TileDetail.corners`, in the contract's order. */
const CORNER_NAMES = ['south-east', 'south-west', 'north-west', 'north-east'];

/** Text whose `backquoted` parts (commands) are shown as code. */
function WithCode(props: { text: string }): React.ReactElement {
  const parts = props.text.split('`');
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? <code key={index}>{part}</code> : part
      )}
    </>
  );
}

function Legend(props: {
  range: [number, number];
  nside: number;
}): React.ReactElement {
  const [min, max] = props.range;
  const stops = [0, 0.25, 0.5, 0.75, 1].map(t => viridis(t)).join(', ');
  return (
    <figure className="sl-FootprintLegend" data-testid="footprint-legend">
      <figcaption>
        Objects per HEALPix pixel (NSIDE {props.nside}, log scale)
      </figcaption>
      <div
        className="sl-FootprintLegend-bar"
        style={{ background: `linear-gradient(to right, ${stops})` }}
      />
      <div className="sl-FootprintLegend-labels">
        <span>{min.toLocaleString('en-US')}</span>
        <span>{max.toLocaleString('en-US')}</span>
      </div>
    </figure>
  );
}
