/**
 * The cutout form: targets (positions, object ids or a CSV file), sizes,
 * bands, the colour image's options and the job's name.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IErrorView } from '../format';
import { MAX_SIZE, MIN_SIZE } from './form';
import type { IGalleryForm, InputMode } from './form';

/** The form's props: its state, how to change it, and the submit outcome. */
export interface IFormViewProps {
  form: IGalleryForm;
  onChange: (form: IGalleryForm) => void;
  onSubmit: () => void;
  /** The bands offered as check boxes and colour channels. */
  bandChoices: readonly string[];
  submitting: boolean;
  /** The last refusal (the form's own check or the server's 400), if any. */
  error: (IErrorView & { field?: string }) | null;
}

const MODES: { mode: InputMode; label: string }[] = [
  { mode: 'positions', label: 'Positions' },
  { mode: 'ids', label: 'Object ids' },
  { mode: 'csv', label: 'CSV file' }
];

/** The cutout form. Enter in a one-line field (or Ctrl+Enter anywhere) submits. */
export function FormView(props: IFormViewProps): React.ReactElement {
  const { form, onChange, bandChoices, error } = props;
  const set = (changes: Partial<IGalleryForm>) => {
    onChange({ ...form, ...changes });
  };
  const invalid = (field: keyof IGalleryForm) =>
    error?.field === field ? true : undefined;

  const onFile = (event: React.ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.item(0);
    if (!file) {
      return;
    }
    file
      .text()
      .then(text => {
        onChange({ ...form, mode: 'csv', csv: text, csvFileName: file.name });
      })
      .catch((reason: unknown) => {
        console.error('surveylab gallery: cannot read the CSV file', reason);
      });
    // the same file chosen again must fire a change
    event.target.value = '';
  };

  const toggleBand = (band: string) => {
    const bands = form.bands.includes(band)
      ? form.bands.filter(b => b !== band)
      : bandChoices.filter(b => b === band || form.bands.includes(b));
    set({ bands });
  };

  const setRgb = (channel: number, band: string) => {
    const rgbBands = [...form.rgbBands] as [string, string, string];
    rgbBands[channel] = band;
    set({ rgbBands });
  };

  return (
    <form
      className="sl-GalleryForm"
      data-testid="gallery-form"
      aria-label="New cutouts"
      onSubmit={event => {
        event.preventDefault();
        props.onSubmit();
      }}
      onKeyDown={event => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          props.onSubmit();
        }
      }}
    >
      <fieldset className="sl-GalleryForm-targets">
        <legend>Targets</legend>
        <div
          className="sl-GalleryForm-modes"
          role="radiogroup"
          aria-label="Targets from"
        >
          {MODES.map(({ mode, label }) => (
            <label key={mode} className="sl-GalleryForm-mode">
              <input
                type="radio"
                name="sl-gallery-mode"
                value={mode}
                checked={form.mode === mode}
                data-testid={`gallery-mode-${mode}`}
                onChange={() => {
                  set({ mode });
                }}
              />
              {label}
            </label>
          ))}
        </div>
        {form.mode === 'positions' && (
          <label className="sl-GalleryForm-field sl-GalleryForm-wide">
            <span>
              One position per line: RA Dec in degrees (
              <code>323.36 -0.82</code>) or sexagesimal (
              <code>21:33:27 -0:49:24</code>)
            </span>
            <textarea
              className="jp-mod-styled sl-GalleryForm-text"
              data-testid="gallery-positions"
              rows={5}
              spellCheck={false}
              value={form.positions}
              aria-invalid={invalid('positions')}
              onChange={event => {
                set({ positions: event.target.value });
              }}
            />
          </label>
        )}
        {form.mode === 'ids' && (
          <label className="sl-GalleryForm-field sl-GalleryForm-wide">
            <span>COADD_OBJECT_IDs, separated by spaces, commas or lines</span>
            <textarea
              className="jp-mod-styled sl-GalleryForm-text"
              data-testid="gallery-ids"
              rows={5}
              spellCheck={false}
              value={form.ids}
              aria-invalid={invalid('ids')}
              onChange={event => {
                set({ ids: event.target.value });
              }}
            />
          </label>
        )}
        {form.mode === 'csv' && (
          <div className="sl-GalleryForm-field sl-GalleryForm-wide">
            <span>
              A CSV with a header <code>RA,DEC</code> or{' '}
              <code>COADD_OBJECT_ID</code>; optional columns XSIZE, YSIZE,
              BANDS, RGB, RGB_MINIMUM, RGB_STRETCH, RGB_Q per row
            </span>
            <div className="sl-GalleryForm-upload">
              <input
                type="file"
                accept=".csv,.txt,text/csv,text/plain"
                data-testid="gallery-csv-file"
                aria-label="CSV file"
                onChange={onFile}
              />
              {form.csvFileName && (
                <span
                  className="sl-GalleryForm-fileName"
                  data-testid="gallery-csv-name"
                >
                  {form.csvFileName}
                </span>
              )}
            </div>
            <textarea
              className="jp-mod-styled sl-GalleryForm-text"
              data-testid="gallery-csv"
              aria-label="CSV text"
              rows={5}
              spellCheck={false}
              placeholder={'RA,DEC\n323.36,-0.82'}
              value={form.csv}
              aria-invalid={invalid('csv')}
              onChange={event => {
                set({ csv: event.target.value });
              }}
            />
          </div>
        )}
      </fieldset>

      <fieldset className="sl-GalleryForm-options">
        <legend>Cutouts</legend>
        <label className="sl-GalleryForm-field">
          <span>Width (arcmin)</span>
          <input
            className="jp-mod-styled"
            data-testid="gallery-xsize"
            type="number"
            step="any"
            min={MIN_SIZE}
            max={MAX_SIZE}
            value={form.xsize}
            aria-invalid={invalid('xsize')}
            onChange={event => {
              set({ xsize: event.target.value });
            }}
          />
        </label>
        <label className="sl-GalleryForm-field">
          <span>Height (arcmin)</span>
          <input
            className="jp-mod-styled"
            data-testid="gallery-ysize"
            type="number"
            step="any"
            min={MIN_SIZE}
            max={MAX_SIZE}
            value={form.ysize}
            aria-invalid={invalid('ysize')}
            onChange={event => {
              set({ ysize: event.target.value });
            }}
          />
        </label>
        <div
          className="sl-GalleryForm-field"
          role="group"
          aria-label="FITS bands"
        >
          <span>FITS bands</span>
          <div className="sl-GalleryForm-bands">
            {bandChoices.map(band => (
              <label key={band} className="sl-GalleryForm-band">
                <input
                  type="checkbox"
                  data-testid={`gallery-band-${band}`}
                  checked={form.bands.includes(band)}
                  onChange={() => {
                    toggleBand(band);
                  }}
                />
                {band}
              </label>
            ))}
          </div>
        </div>
        <label className="sl-GalleryForm-field">
          <span>Job name</span>
          <input
            className="jp-mod-styled"
            data-testid="gallery-name"
            type="text"
            placeholder="cutout-<id>"
            value={form.name}
            onChange={event => {
              set({ name: event.target.value });
            }}
          />
        </label>
      </fieldset>

      <fieldset className="sl-GalleryForm-options">
        <legend>
          <label>
            <input
              type="checkbox"
              data-testid="gallery-rgb"
              checked={form.rgb}
              onChange={event => {
                set({ rgb: event.target.checked });
              }}
            />
            Colour image (Lupton et al. 2004)
          </label>
        </legend>
        {(['Red', 'Green', 'Blue'] as const).map((channel, index) => (
          <label className="sl-GalleryForm-field" key={channel}>
            <span>{channel}</span>
            <HTMLSelect
              data-testid={`gallery-rgb-${channel.toLowerCase()}`}
              disabled={!form.rgb}
              value={form.rgbBands[index]}
              aria-invalid={invalid('rgbBands')}
              onChange={event => {
                setRgb(index, event.target.value);
              }}
              options={bandChoices.map(band => ({ label: band, value: band }))}
            />
          </label>
        ))}
        {(
          [
            ['rgbMinimum', 'Minimum'],
            ['rgbStretch', 'Stretch'],
            ['rgbQ', 'Q']
          ] as const
        ).map(([field, label]) => (
          <label className="sl-GalleryForm-field" key={field}>
            <span>{label}</span>
            <input
              className="jp-mod-styled"
              data-testid={`gallery-${field}`}
              type="number"
              step="any"
              disabled={!form.rgb}
              value={form[field]}
              aria-invalid={invalid(field)}
              onChange={event => {
                set({ [field]: event.target.value });
              }}
            />
          </label>
        ))}
      </fieldset>

      {error && (
        <div
          className="sl-Gallery-error"
          role="alert"
          data-testid="gallery-form-error"
        >
          <p className="sl-Gallery-errorMessage">{error.message}</p>
          {error.detail && (
            <p className="sl-Gallery-errorDetail">{error.detail}</p>
          )}
        </div>
      )}
      <div className="sl-GalleryForm-actions">
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          data-testid="gallery-submit"
          disabled={props.submitting}
          title="Start the cutout job (Ctrl+Enter)"
        >
          {props.submitting ? 'Submitting…' : 'Make cutouts'}
        </Button>
      </div>
    </form>
  );
}
