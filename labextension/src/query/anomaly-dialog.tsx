/**
 * The "Find anomalies" dialog: an anomaly job on the query's result (its
 * features, trees, top N and name).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { checkAnomalyForm } from './anomaly-form';
import type { IAnomalyForm, IAnomalyProblem } from './anomaly-form';

/** The dialog's body: a form that keeps its values in {@link form}. */
class AnomalyFormBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IAnomalyForm>
{
  constructor(sql: string, form: IAnomalyForm) {
    super();
    this.addClass('sl-JobForm');
    this.node.dataset.testid = 'query-anomaly-form';
    this.form = form;
    this._sql = sql;
  }

  form: IAnomalyForm;

  getValue(): IAnomalyForm {
    return this.form;
  }

  protected render(): React.ReactElement {
    const form = this.form;
    const set = (next: IAnomalyForm): void => {
      this.form = next;
      this.update();
    };
    const problems = checkAnomalyForm(this._sql, form);
    const problem = (field: IAnomalyProblem['field']): React.ReactNode => {
      const found = problems.find(p => p.field === field);
      return found ? (
        <span
          className="sl-JobForm-problem"
          role="alert"
          data-testid={`query-anomaly-problem-${field}`}
        >
          {found.message}
        </span>
      ) : null;
    };
    const number = (
      field: 'trees' | 'top',
      label: string
    ): React.ReactElement => (
      <label className="sl-JobForm-field">
        <span>{label}</span>
        <input
          className="jp-mod-styled"
          type="number"
          data-testid={`query-anomaly-${field}`}
          value={Number.isNaN(form[field]) ? '' : form[field]}
          onChange={event => {
            set({ ...form, [field]: event.target.valueAsNumber });
          }}
        />
        {problem(field)}
      </label>
    );
    return (
      <div className="sl-JobForm-fields">
        <p className="sl-JobForm-note">
          Score every row of this query's result with an Extended Isolation
          Forest; the top rows get a cutout gallery.
        </p>
        {problem('sql')}
        <label className="sl-JobForm-field">
          <span>Features</span>
          <input
            className="jp-mod-styled"
            data-testid="query-anomaly-features"
            placeholder="default: colours, FLUX_RADIUS_I, ELLIPTICITY, SPREAD_MODEL_I"
            value={form.features}
            onChange={event => {
              set({ ...form, features: event.target.value });
            }}
          />
          {problem('features')}
        </label>
        {number('trees', 'Trees')}
        {number('top', 'Top N (gallery)')}
        <label className="sl-JobForm-field">
          <span>Job name</span>
          <input
            className="jp-mod-styled"
            data-testid="query-anomaly-name"
            maxLength={200}
            placeholder="optional, e.g. odd-galaxies"
            value={form.name}
            onChange={event => {
              set({ ...form, name: event.target.value });
            }}
          />
        </label>
      </div>
    );
  }

  private readonly _sql: string;
}

/**
 * Ask for the anomaly job's options; a form with a problem comes back with
 * its values kept, until it is valid or cancelled.
 *
 * @returns the form, or `null` when the user cancelled.
 */
export async function askAnomalyOptions(
  sql: string,
  initial: IAnomalyForm
): Promise<IAnomalyForm | null> {
  let form = initial;
  for (;;) {
    const result = await showDialog<IAnomalyForm>({
      title: 'Find anomalies in this result',
      body: new AnomalyFormBody(sql, form),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Find anomalies' })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    form = result.value;
    if (checkAnomalyForm(sql, form).length === 0) {
      return form;
    }
  }
}
