/**
 * The "Submit job" dialog: output format, compression, job name and e-mail.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IFormProblem, IJobForm, JobFormat } from './job-form';
import {
  COMPRESSIONS,
  FORMAT_LABELS,
  JOB_FORMATS,
  checkJobForm,
  isJobFormat,
  withFormat
} from './job-form';

/** The dialog's body: a form that keeps its values in {@link JobFormBody.form}. */
class JobFormBody extends ReactWidget implements Dialog.IBodyWidget<IJobForm> {
  constructor(sql: string, form: IJobForm) {
    super();
    this.addClass('sl-JobForm');
    this.node.dataset.testid = 'query-job-form';
    this.form = form;
    this._sql = sql;
  }

  form: IJobForm;

  getValue(): IJobForm {
    return this.form;
  }

  protected render(): React.ReactElement {
    const form = this.form;
    const set = (next: IJobForm): void => {
      this.form = next;
      this.update();
    };
    // Shown as the user types; the browser's own check of the e-mail field
    // (and these) keep the dialog's Submit button disabled meanwhile.
    const problems = checkJobForm(this._sql, form);
    const problem = (field: IFormProblem['field']): React.ReactNode => {
      const found = problems.find(p => p.field === field);
      return found ? (
        <span
          className="sl-JobForm-problem"
          role="alert"
          data-testid={`query-job-problem-${field}`}
        >
          {found.message}
        </span>
      ) : null;
    };
    return (
      <div className="sl-JobForm-fields">
        {problem('sql')}
        <label className="sl-JobForm-field">
          <span>Format</span>
          <select
            className="jp-mod-styled"
            data-testid="query-job-format"
            value={form.format}
            onChange={event => {
              const format = event.target.value;
              if (isJobFormat(format)) {
                set(withFormat(form, format));
              }
            }}
          >
            {JOB_FORMATS.map((format: JobFormat) => (
              <option key={format} value={format}>
                {FORMAT_LABELS[format]}
              </option>
            ))}
          </select>
          {problem('format')}
        </label>
        <label className="sl-JobForm-field">
          <span>Compression</span>
          <select
            className="jp-mod-styled"
            data-testid="query-job-compression"
            value={form.compression}
            onChange={event => {
              set({ ...form, compression: event.target.value });
            }}
          >
            <option value="">none</option>
            {COMPRESSIONS[form.format].map(compression => (
              <option key={compression} value={compression}>
                {compression}
              </option>
            ))}
          </select>
          {problem('compression')}
        </label>
        <label className="sl-JobForm-field">
          <span>Job name</span>
          <input
            className="jp-mod-styled"
            data-testid="query-job-name"
            maxLength={200}
            placeholder="optional, e.g. m2-stars"
            value={form.name}
            onChange={event => {
              set({ ...form, name: event.target.value });
            }}
          />
          {problem('name')}
        </label>
        <label className="sl-JobForm-field">
          <span>E-mail when done</span>
          <input
            className="jp-mod-styled"
            type="email"
            data-testid="query-job-email"
            placeholder="optional, e.g. me@example.org"
            value={form.email}
            onChange={event => {
              set({ ...form, email: event.target.value });
            }}
          />
          {problem('email')}
        </label>
      </div>
    );
  }

  private readonly _sql: string;
}

/**
 * Ask for the job's options. Each problem shows beside its field as the user
 * types; should the form still be accepted with one, the dialog comes back
 * with the values kept, until the form is valid or cancelled.
 *
 * @returns the form, or `null` when the user cancelled.
 */
export async function askJobOptions(
  sql: string,
  initial: IJobForm
): Promise<IJobForm | null> {
  let form = initial;
  for (;;) {
    const result = await showDialog<IJobForm>({
      title: 'Submit a query job',
      body: new JobFormBody(sql, form),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Submit job' })
      ],
      focusNodeSelector: 'select'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    form = result.value;
    if (checkJobForm(sql, form).length === 0) {
      return form;
    }
  }
}
