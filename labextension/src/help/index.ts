/**
 * The help desk plugin: "Contact the survey's help desk" in the Help menu
 * (schema/help.json) and the command palette. The form sends the message
 * with the lab's facts, which the server fills in; it shows the reference,
 * or the desk's address when this server sends no e-mail.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';

import { CATEGORY, CommandIDs } from '../commands';
import { requestAPI, SurveylabAPIError } from '../request';
import { askHelp, showNotConfigured, showSent } from './dialog';
import type {
  IHelpForm,
  IHelpProblem,
  IHelpReceipt,
  IHelpStatus
} from './form';
import { defaultHelpForm, formField, helpRequest } from './form';

export * from './form';

/** The plugin's id; also the id of its settings (schema/help.json: the menu). */
export const HELP_PLUGIN_ID = '@surveylab/labextension:help';

/** Where the user's e-mail is remembered between messages. */
const EMAIL_KEY = 'surveylab:help-email';

function rememberedEmail(): string {
  try {
    return window.localStorage.getItem(EMAIL_KEY) ?? '';
  } catch {
    return '';
  }
}

function rememberEmail(email: string): void {
  try {
    window.localStorage.setItem(EMAIL_KEY, email);
  } catch {
    // A browser that keeps nothing: the field starts empty next time.
  }
}

/** Open the form, send, and show the outcome; args `{ jobId?: string }`. */
async function contactHelpDesk(jobId: string): Promise<void> {
  const status = await requestAPI<IHelpStatus>('help');
  if (!status.configured) {
    await showNotConfigured(status.address);
    return;
  }
  let form: IHelpForm = defaultHelpForm(rememberedEmail(), jobId);
  let problem: IHelpProblem | null = null;
  for (;;) {
    const filled = await askHelp(status.context, form, problem);
    if (filled === null) {
      return;
    }
    form = filled;
    rememberEmail(form.email.trim());
    try {
      const receipt = await requestAPI<IHelpReceipt>('help', {
        method: 'POST',
        body: JSON.stringify(helpRequest(form))
      });
      await showSent(
        receipt.reference,
        receipt.address,
        receipt.confirmation_sent
      );
      return;
    } catch (error) {
      if (!(error instanceof SurveylabAPIError)) {
        throw error;
      }
      const field = formField(error.body?.field);
      if (error.status === 400 && field !== null) {
        problem = { field, message: error.message };
        continue; // back to the form, the field marked
      }
      if (error.status === 503) {
        await showNotConfigured(error.body?.address, error.message);
        return;
      }
      Notification.error(error.message, { autoClose: false });
      return;
    }
  }
}

function activate(app: JupyterFrontEnd, palette: ICommandPalette | null): void {
  app.commands.addCommand(CommandIDs.contactHelpDesk, {
    label: "Contact the survey's help desk",
    caption:
      'Write to the help desk; your lab and release are sent with the message',
    execute: async args => {
      const jobId = typeof args.jobId === 'string' ? args.jobId : '';
      try {
        await contactHelpDesk(jobId);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        Notification.error(`Cannot reach the help desk form: ${message}`, {
          autoClose: false
        });
      }
    }
  });
  palette?.addItem({ command: CommandIDs.contactHelpDesk, category: CATEGORY });
}

/** The help desk plugin. */
const helpPlugin: JupyterFrontEndPlugin<void> = {
  id: HELP_PLUGIN_ID,
  description: "The Help menu's form to the survey's help desk.",
  autoStart: true,
  optional: [ICommandPalette],
  activate
};

export default helpPlugin;
