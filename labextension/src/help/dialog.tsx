/**
 * The help desk dialogs: the form (subject, message, e-mail, job id, with
 * the lab's facts read-only), the reference once sent, and the address to
 * write to when this server sends no e-mail.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IHelpContext, IHelpForm, IHelpProblem } from './form';
import { checkHelpForm, contextRows } from './form';

/** The form's body: keeps its values in {@link HelpFormBody.form}. */
class HelpFormBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IHelpForm>
{
  constructor(
    context: IHelpContext,
    form: IHelpForm,
    serverProblem: IHelpProblem | null
  ) {
    super();
    this.addClass('sl-HelpForm');
    this.node.dataset.testid = 'help-form';
    this.form = form;
    this._context = context;
    this._serverProblem = serverProblem;
  }

  form: IHelpForm;

  getValue(): IHelpForm {
    return this.form;
  }

  protected render(): React.ReactElement {
    const form = this.form;
    const set = (next: IHelpForm): void => {
      this.form = next;
      this._serverProblem = null;
      this.update();
    };
    const problems = checkHelpForm(form);
    const problem = (field: keyof IHelpForm): React.ReactNode => {
      const found =
        this._serverProblem?.field === field
          ? this._serverProblem
          : problems.find(p => p.field === field);
      // Empty fields are not shouted at before the user typed anything.
      const shown = found && form[field].length > 0 ? found : null;
      const fromServer = this._serverProblem?.field === field;
      return shown !== null || fromServer ? (
        <span
          className="sl-HelpForm-problem"
          role="alert"
          data-testid={`help-problem-${field}`}
        >
          {(shown ?? this._serverProblem)?.message}
        </span>
      ) : null;
    };
    return (
      <div className="sl-HelpForm-fields">
        <label className="sl-HelpForm-field">
          <span>Subject</span>
          <input
            className="jp-mod-styled"
            data-testid="help-subject"
            value={form.subject}
            onChange={event => {
              set({ ...form, subject: event.target.value });
            }}
          />
          {problem('subject')}
        </label>
        <label className="sl-HelpForm-field">
          <span>Message</span>
          <textarea
            className="jp-mod-styled"
            data-testid="help-message"
            rows={5}
            value={form.message}
            onChange={event => {
              set({ ...form, message: event.target.value });
            }}
          />
          {problem('message')}
        </label>
        <label className="sl-HelpForm-field">
          <span>Your e-mail</span>
          <input
            className="jp-mod-styled"
            type="email"
            data-testid="help-email"
            placeholder="the desk replies here, e.g. me@example.org"
            value={form.email}
            onChange={event => {
              set({ ...form, email: event.target.value });
            }}
          />
          {problem('email')}
        </label>
        <label className="sl-HelpForm-field">
          <span>Job ID</span>
          <input
            className="jp-mod-styled"
            data-testid="help-job-id"
            placeholder="optional: the job it is about"
            value={form.jobId}
            onChange={event => {
              set({ ...form, jobId: event.target.value });
            }}
          />
          {problem('jobId')}
        </label>
        <dl className="sl-HelpForm-context" data-testid="help-context">
          {contextRows(this._context).map(([label, value]) => (
            <React.Fragment key={label}>
              <dt>{label}</dt>
              <dd
                data-testid={`help-context-${label.toLowerCase().replace(' ', '-')}`}
              >
                {value}
              </dd>
            </React.Fragment>
          ))}
        </dl>
        <p className="sl-HelpForm-note">
          These facts about your lab are sent with your message.
        </p>
      </div>
    );
  }

  private readonly _context: IHelpContext;
  private _serverProblem: IHelpProblem | null;
}

/**
 * Ask for the message; the dialog comes back with the values kept while the
 * form has a problem, until it is valid or cancelled.
 *
 * @param problem - a problem the server found in the last sending, shown
 *   beside its field.
 * @returns the form, or `null` when the user cancelled.
 */
export async function askHelp(
  context: IHelpContext,
  initial: IHelpForm,
  problem: IHelpProblem | null = null
): Promise<IHelpForm | null> {
  let form = initial;
  let serverProblem = problem;
  for (;;) {
    const result = await showDialog<IHelpForm>({
      title: "Contact the survey's help desk",
      body: new HelpFormBody(context, form, serverProblem),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Send' })],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    form = result.value;
    serverProblem = null;
    if (checkHelpForm(form).length === 0) {
      return form;
    }
  }
}

/** The address as a mailto link, or a line saying whom to ask. */
function addressNode(address: string | null | undefined): React.ReactElement {
  return address ? (
    <a href={`mailto:${address}`} data-testid="help-address">
      {address}
    </a>
  ) : (
    <span data-testid="help-address">your administrator</span>
  );
}

/** Say that this server sends no e-mail, and where to write instead. */
export async function showNotConfigured(
  address: string | null | undefined,
  reason = 'The help desk form is not configured on this server.'
): Promise<void> {
  const body = (
    <div className="sl-HelpResult" data-testid="help-not-configured">
      <p>{reason.charAt(0).toUpperCase() + reason.slice(1)}</p>
      <p>Please write to {addressNode(address)} instead.</p>
    </div>
  );
  await showDialog({
    title: "Contact the survey's help desk",
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}

/** Show the reference of a message sent. */
export async function showSent(
  reference: string,
  address: string,
  confirmationSent: boolean
): Promise<void> {
  const body = (
    <div className="sl-HelpResult" data-testid="help-sent">
      <p>
        The help desk received your message. Its reference is{' '}
        <strong data-testid="help-reference">{reference}</strong>.
      </p>
      <p>
        {confirmationSent
          ? 'A confirmation is on its way to your e-mail. '
          : 'The confirmation e-mail could not be sent. '}
        The desk replies from {addressNode(address)}.
      </p>
    </div>
  );
  await showDialog({
    title: 'Message sent',
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}
