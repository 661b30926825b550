/**
 * The enlarged view of one cutout: band switch (the colour image and each
 * band's preview), the FITS header of the band shown, download links and
 * the label.
 *
 * Keys: Escape closes; ←/→ previous/next image; a band's letter (or `c` for
 * colour) switches band; 0–9 label, Backspace/Delete remove the label.
 */
import {
  Button,
  caretLeftIcon,
  caretRightIcon,
  closeIcon,
  downloadIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { ChartOpenerContext } from '../finding-chart/context';
import { SimilarOpenerContext } from '../similar/context';
import { cutoutTarget } from '../finding-chart/api';
import { describeError } from '../format';
import type { IErrorView } from '../format';
import { fetchFitsHeader } from './api';
import { formatCardValue } from './fits';
import type { IFitsCard } from './fits';
import { LABEL_VALUES, labelForKey } from './labels';
import { itemTitle } from './summary';
import type { IBandFile, IGalleryItem } from './summary';

/** The colour image's pseudo-band in the band switch. */
export const COLOUR = 'colour';

/** The bands the viewer can show for an item: colour first, then each preview. */
export function viewerBands(item: IGalleryItem): string[] {
  const bands = item.previews.map(preview => preview.band);
  return item.colour?.png || item.colour?.jpeg ? [COLOUR, ...bands] : bands;
}

/** The viewer's props. */
export interface IViewerProps {
  jobId: string;
  item: IGalleryItem;
  index: number;
  count: number;
  urlOf: (file: string) => string;
  label: number | null;
  labelNames: readonly string[];
  onLabel: (label: number | null) => void;
  onMove: (index: number) => void;
  onClose: () => void;
}

type HeaderState =
  | { status: 'none' }
  | { status: 'loading'; file: string }
  | { status: 'ready'; file: string; cards: IFitsCard[] }
  | { status: 'error'; file: string; error: IErrorView };

/** The enlarged cutout, over the grid. */
export function Viewer(props: IViewerProps): React.ReactElement {
  const { item, urlOf } = props;
  const openChart = React.useContext(ChartOpenerContext);
  const openSimilar = React.useContext(SimilarOpenerContext);
  const chartTarget = cutoutTarget(item);
  const bands = viewerBands(item);
  const [band, setBand] = React.useState<string>(bands[0] ?? '');
  const shown = bands.includes(band) ? band : (bands[0] ?? '');
  const dialog = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    dialog.current?.focus();
  }, []);

  const image =
    shown === COLOUR
      ? (item.colour?.png ?? item.colour?.jpeg ?? null)
      : (item.previews.find(preview => preview.band === shown)?.file ?? null);
  // The header of the band shown; for the colour image, of the first FITS band.
  const fits: IBandFile | null =
    item.fits.find(file => file.band === shown) ??
    (item.fits.length > 0 ? item.fits[0] : null);

  const [header, setHeader] = React.useState<HeaderState>({ status: 'none' });
  React.useEffect(() => {
    if (fits === null) {
      setHeader({ status: 'none' });
      return;
    }
    let live = true;
    setHeader({ status: 'loading', file: fits.file });
    fetchFitsHeader(props.jobId, fits.file)
      .then(cards => {
        if (live) {
          setHeader({ status: 'ready', file: fits.file, cards });
        }
      })
      .catch((reason: unknown) => {
        if (live) {
          setHeader({
            status: 'error',
            file: fits.file,
            error: describeError(reason)
          });
        }
      });
    return () => {
      live = false;
    };
  }, [props.jobId, fits?.file]);

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const target = event.target as HTMLElement;
    if (target.tagName === 'A' && event.key === 'Enter') {
      return; // a download link
    }
    let handled = true;
    const label = labelForKey(event.key);
    if (event.key === 'Escape') {
      props.onClose();
    } else if (event.key === 'ArrowLeft' && props.index > 0) {
      props.onMove(props.index - 1);
    } else if (event.key === 'ArrowRight' && props.index < props.count - 1) {
      props.onMove(props.index + 1);
    } else if (label !== null) {
      props.onLabel(label);
    } else if (event.key === 'Backspace' || event.key === 'Delete') {
      props.onLabel(null);
    } else if (event.key === 'c' && bands.includes(COLOUR)) {
      setBand(COLOUR);
    } else if (bands.includes(event.key) && event.key !== COLOUR) {
      setBand(event.key);
    } else {
      handled = event.key === 'ArrowLeft' || event.key === 'ArrowRight';
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  const downloads = [
    ...item.fits.map(file => ({ file: file.file, label: `${file.band} FITS` })),
    ...item.previews.map(file => ({
      file: file.file,
      label: `${file.band} PNG`
    })),
    ...(item.colour?.png
      ? [{ file: item.colour.png, label: `${item.colour.bands} colour PNG` }]
      : []),
    ...(item.colour?.jpeg
      ? [{ file: item.colour.jpeg, label: `${item.colour.bands} JPEG` }]
      : [])
  ];

  return (
    <div className="sl-GalleryViewer-backdrop" onClick={props.onClose}>
      <div
        ref={dialog}
        className="sl-GalleryViewer"
        role="dialog"
        aria-modal="true"
        aria-label={`Cutout ${itemTitle(item)}`}
        data-testid="gallery-viewer"
        tabIndex={-1}
        onKeyDown={onKeyDown}
        onClick={event => {
          event.stopPropagation();
        }}
      >
        <div className="sl-GalleryViewer-header">
          <Button
            minimal
            small
            title="Previous image (←)"
            aria-label="Previous image"
            disabled={props.index <= 0}
            onClick={() => {
              props.onMove(props.index - 1);
            }}
          >
            <caretLeftIcon.react tag="span" />
          </Button>
          <h3
            className="sl-GalleryViewer-title"
            data-testid="gallery-viewer-title"
          >
            {itemTitle(item)}
          </h3>
          <span className="sl-GalleryViewer-position">
            {props.index + 1} of {props.count}
          </span>
          <Button
            minimal
            small
            title="Next image (→)"
            aria-label="Next image"
            disabled={props.index >= props.count - 1}
            onClick={() => {
              props.onMove(props.index + 1);
            }}
          >
            <caretRightIcon.react tag="span" />
          </Button>
          <span className="sl-GalleryViewer-spacer" />
          {openChart !== null && chartTarget !== null ? (
            <Button
              minimal
              small
              title="A finding chart of this object: compass, scale bar, the target marked"
              data-testid="gallery-finding-chart"
              onClick={() => {
                openChart([chartTarget]);
              }}
            >
              Finding chart
            </Button>
          ) : null}
          {openSimilar !== null && chartTarget !== null ? (
            <Button
              minimal
              small
              title="The imaged objects whose stamps look most like this one's, as a gallery"
              data-testid="gallery-objects-like-this"
              onClick={() => {
                openSimilar(chartTarget);
              }}
            >
              Objects like this
            </Button>
          ) : null}
          <Button
            minimal
            small
            title="Close (Escape)"
            aria-label="Close"
            data-testid="gallery-viewer-close"
            onClick={props.onClose}
          >
            <closeIcon.react tag="span" />
          </Button>
        </div>
        <div className="sl-GalleryViewer-body">
          <div className="sl-GalleryViewer-imageColumn">
            <div
              className="sl-GalleryViewer-bands"
              role="group"
              aria-label="Band"
            >
              {bands.map(name => (
                <button
                  key={name}
                  type="button"
                  className={
                    'sl-GalleryViewer-band' +
                    (name === shown ? ' sl-mod-active' : '')
                  }
                  aria-pressed={name === shown}
                  data-testid={`gallery-viewer-band-${name}`}
                  title={
                    name === COLOUR
                      ? `Colour image (${item.colour?.bands ?? ''}), key c`
                      : `${name} band preview, key ${name}`
                  }
                  onClick={() => {
                    setBand(name);
                  }}
                >
                  {name === COLOUR ? (item.colour?.bands ?? COLOUR) : name}
                </button>
              ))}
            </div>
            {image !== null ? (
              <img
                className="sl-GalleryViewer-image"
                data-testid="gallery-viewer-image"
                data-band={shown}
                src={urlOf(image)}
                alt={`${itemTitle(item)}, ${shown}`}
              />
            ) : (
              <p
                className="sl-GalleryViewer-noImage"
                data-testid="gallery-viewer-error"
              >
                {item.error ?? 'This cutout has no image to show (FITS only).'}
              </p>
            )}
            <dl className="sl-GalleryViewer-facts">
              {item.ra !== null && item.dec !== null && (
                <>
                  <dt>RA, Dec</dt>
                  <dd>
                    {item.ra.toFixed(5)}, {item.dec.toFixed(5)}
                  </dd>
                </>
              )}
              {item.tile !== null && (
                <>
                  <dt>Tile</dt>
                  <dd>{item.tile}</dd>
                </>
              )}
              {item.coverage !== null && (
                <>
                  <dt>Coverage</dt>
                  <dd>
                    {(item.coverage * 100).toFixed(1)}%
                    {item.stitched ? ' (stitched)' : ''}
                  </dd>
                </>
              )}
              <dt>Row</dt>
              <dd>{item.row}</dd>
            </dl>
            <div
              className="sl-GalleryViewer-labels"
              role="group"
              aria-label="Label"
            >
              {LABEL_VALUES.map(value => (
                <button
                  key={value}
                  type="button"
                  className={
                    'sl-GalleryViewer-labelButton' +
                    (props.label === value ? ' sl-mod-active' : '')
                  }
                  aria-pressed={props.label === value}
                  disabled={item.name === null}
                  title={
                    (props.labelNames[value] ?? '') ||
                    `Label ${value} (key ${value})`
                  }
                  data-testid={`gallery-viewer-label-${value}`}
                  onClick={() => {
                    props.onLabel(props.label === value ? null : value);
                  }}
                >
                  {value}
                </button>
              ))}
            </div>
            {downloads.length > 0 && (
              <ul className="sl-GalleryViewer-downloads" aria-label="Downloads">
                {downloads.map(download => (
                  <li key={download.file}>
                    <a
                      href={urlOf(download.file)}
                      download={download.file}
                      data-testid="gallery-download"
                      title={download.file}
                    >
                      <downloadIcon.react tag="span" />
                      {download.label}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div
            className="sl-GalleryViewer-header-cards"
            data-testid="gallery-fits-header"
          >
            <FitsHeader state={header} />
          </div>
        </div>
      </div>
    </div>
  );
}

function FitsHeader(props: { state: HeaderState }): React.ReactElement {
  const { state } = props;
  switch (state.status) {
    case 'none':
      return <p className="sl-GalleryViewer-note">No FITS file.</p>;
    case 'loading':
      return (
        <p className="sl-GalleryViewer-note" role="status">
          Reading the header of {state.file}…
        </p>
      );
    case 'error':
      return (
        <div className="sl-Gallery-error" role="alert">
          <p className="sl-Gallery-errorMessage">
            Cannot read the header of {state.file}: {state.error.message}
          </p>
        </div>
      );
    case 'ready':
      return (
        <>
          <h4 className="sl-GalleryViewer-headerTitle">{state.file}</h4>
          <table className="sl-GalleryViewer-cards">
            <thead>
              <tr>
                <th scope="col">Keyword</th>
                <th scope="col">Value</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {state.cards.map((card, index) => (
                <tr key={index} data-keyword={card.keyword}>
                  <td className="sl-GalleryViewer-keyword">{card.keyword}</td>
                  <td className="sl-GalleryViewer-value">
                    {formatCardValue(card.value)}
                  </td>
                  <td className="sl-GalleryViewer-comment">{card.comment}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      );
  }
}
