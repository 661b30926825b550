/**
 * What the job browser's buttons and keys do: each action asks what it must
 * (a confirmation, a new name), calls the REST API, tells the monitor, and
 * reports failures as notifications saying what went wrong.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { CommandRegistry } from '@lumino/commands';

import { CommandIDs } from '../commands';
import { describeError } from '../format';
import type { IJob } from '../jobs-api';
import type { ILabInfo } from '../types';
import { archiveURL, cancelJob, deleteJob, updateJob } from '../jobs-api';
import { requestAPI } from '../request';
import { formatTimestamp } from './format';
import type { JobMonitor } from './monitor';
import type { ICommandAvailability, JobAction } from './state';
import { checkJobName, isActive, jobFolderPath, jobSQL } from './state';

/** Runs the job browser's actions. */
export interface IJobActionRunner {
  /** Which of the other panels' commands exist now. */
  availability(): ICommandAvailability;
  /**
   * Do `action` on `job`; resolves `true` if it was done (not cancelled by
   * the user, no error). Never rejects: failures become notifications.
   */
  run(action: JobAction, job: IJob): Promise<boolean>;
}

/** The labels, captions and button styles of the actions. */
export const ACTION_LABELS: Record<JobAction, string> = {
  cancel: 'Cancel',
  rename: 'Rename…',
  renew: 'Renew',
  delete: 'Delete…',
  openFolder: 'Open folder',
  downloadAll: 'Download all (zip)',
  copyQuery: 'Copy query to editor',
  openGallery: 'Open gallery',
  askHelp: 'Ask the help desk…'
};

/** Tooltips of the actions. */
export const ACTION_CAPTIONS: Record<JobAction, string> = {
  cancel: 'Stop the job (its query is stopped in the database)',
  rename: 'Give the job a new name (F2)',
  renew: 'Keep the job and its files for the full lifetime from now',
  delete: 'Delete the job and all its files (Delete)',
  openFolder: "Show the job's folder in the file browser",
  downloadAll: "Download a zip of the job's files, record and log",
  copyQuery: "Open the job's SQL in the query editor",
  openGallery: "Show the job's cutouts in the gallery",
  askHelp: 'Write to the help desk about this job (its ID is filled in)'
};

/**
 * The actions, run against the REST API, the file browser and the other
 * panels' commands.
 */
export class JobActionRunner implements IJobActionRunner {
  constructor(options: JobActionRunner.IOptions) {
    this._commands = options.commands;
    this._shell = options.shell;
    this._monitor = options.monitor;
    this._fileBrowser = options.fileBrowser;
    this._fetchLab = options.fetchLab ?? (() => requestAPI<ILabInfo>('lab'));
  }

  availability(): ICommandAvailability {
    return {
      openQuery: this._commands.hasCommand(CommandIDs.openQuery),
      openGallery: this._commands.hasCommand(CommandIDs.openGallery),
      contactHelpDesk: this._commands.hasCommand(CommandIDs.contactHelpDesk)
    };
  }

  async run(action: JobAction, job: IJob): Promise<boolean> {
    try {
      switch (action) {
        case 'cancel':
          return await this._cancel(job);
        case 'rename':
          return await this._rename(job);
        case 'renew':
          return await this._renew(job);
        case 'delete':
          return await this._delete(job);
        case 'openFolder':
          return await this._openFolder(job);
        case 'downloadAll':
          return this._downloadAll(job);
        case 'copyQuery':
          return await this._copyQuery(job);
        case 'openGallery':
          await this._commands.execute(CommandIDs.openGallery, {
            jobId: job.id
          });
          return true;
        case 'askHelp':
          await this._commands.execute(CommandIDs.contactHelpDesk, {
            jobId: job.id
          });
          return true;
      }
    } catch (error) {
      Notification.error(
        `${ACTION_LABELS[action].replace('…', '')} "${job.name}" failed: ${describeError(error).message}`,
        { autoClose: 8000 }
      );
      // The job may have changed or gone meanwhile: show how it is now.
      void this._monitor.refresh();
      return false;
    }
  }

  private async _cancel(job: IJob): Promise<boolean> {
    const updated = await cancelJob(job.id);
    this._monitor.update(updated);
    void this._monitor.refresh();
    return true;
  }

  private async _rename(job: IJob): Promise<boolean> {
    let text = job.name;
    let problem: string | null = null;
    for (;;) {
      const result = await InputDialog.getText({
        title: `Rename job ${job.id}`,
        label: problem ?? 'New name',
        text,
        okLabel: 'Rename'
      });
      if (!result.button.accept || result.value === null) {
        return false;
      }
      text = result.value;
      problem = checkJobName(text);
      if (problem === null) {
        break;
      }
    }
    const name = text.trim();
    if (name === job.name) {
      return false;
    }
    this._monitor.update(await updateJob(job.id, { name }));
    void this._monitor.refresh();
    return true;
  }

  private async _renew(job: IJob): Promise<boolean> {
    const updated = await updateJob(job.id, { renew: true });
    this._monitor.update(updated);
    Notification.success(
      `"${updated.name}" is kept until ${formatTimestamp(updated.destruction)}.`,
      { autoClose: 5000 }
    );
    return true;
  }

  private async _delete(job: IJob): Promise<boolean> {
    const files = job.files.length;
    const parts = [
      `Delete "${job.name}" (${job.id})`,
      files > 0 ? ` and its ${files} file${files === 1 ? '' : 's'}` : '',
      '? This cannot be undone.',
      isActive(job) ? ' The job is still running: it is cancelled first.' : ''
    ];
    const result = await showDialog({
      title: 'Delete job',
      body: parts.join(''),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })],
      defaultButton: 0
    });
    if (!result.button.accept) {
      return false;
    }
    await deleteJob(job.id);
    this._monitor.remove(job.id);
    void this._monitor.refresh();
    return true;
  }

  private async _openFolder(job: IJob): Promise<boolean> {
    const fileBrowser = this._fileBrowser;
    if (fileBrowser === null) {
      Notification.warning(
        'This lab has no file browser to show the folder in.',
        {
          autoClose: 6000
        }
      );
      return false;
    }
    const lab = await this._fetchLab();
    const path = jobFolderPath(lab.jobs_folder, job.id);
    if (path === null) {
      Notification.warning(
        `The folder of job ${job.id} is outside the file browser's root, so it cannot be shown there. Use "Download all" to get its files.`,
        { autoClose: 8000 }
      );
      return false;
    }
    await fileBrowser.model.cd(`/${path}`);
    this._shell.activateById(fileBrowser.id);
    return true;
  }

  private _downloadAll(job: IJob): boolean {
    const link = document.createElement('a');
    link.href = archiveURL(job.id);
    link.download = `${job.id}.zip`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    return true;
  }

  private async _copyQuery(job: IJob): Promise<boolean> {
    const sql = jobSQL(job);
    if (sql === null) {
      return false;
    }
    await this._commands.execute(CommandIDs.openQuery, { sql });
    return true;
  }

  private readonly _commands: CommandRegistry;
  private readonly _fetchLab: () => Promise<ILabInfo>;
  private readonly _fileBrowser: IDefaultFileBrowser | null;
  private readonly _monitor: JobMonitor;
  private readonly _shell: JupyterFrontEnd.IShell;
}

export namespace JobActionRunner {
  /** The options of the {@link JobActionRunner} constructor. */
  export interface IOptions {
    commands: CommandRegistry;
    shell: JupyterFrontEnd.IShell;
    monitor: JobMonitor;
    /** The default file browser, if the lab has one. */
    fileBrowser: IDefaultFileBrowser | null;
    /** Reads `GET /lab`; replaceable in tests. */
    fetchLab?: () => Promise<ILabInfo>;
  }
}
