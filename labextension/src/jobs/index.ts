/**
 * The jobs plugin: the job browser (command, launcher, palette, restorer),
 * the background job monitor and its "job finished" notifications.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import {
  ICommandPalette,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CATEGORY, CommandIDs } from '../commands';
import { jobSubmitted } from '../jobs-api';
import type { IJob } from '../jobs-api';
import { JobActionRunner } from './actions';
import { JOB_BROWSER_ID, JobBrowser } from './browser';
import { finishedNotice } from './format';
import { jobsIcon } from './icon';
import { JobMonitor, PAGE_SIZE } from './monitor';
import { DEFAULT_INTERVALS } from './state';

export {
  JOB_BROWSER_ID,
  JobBrowser,
  JobBrowserView,
  RENDERED_MARK
} from './browser';
import { whenShown } from '../role';
export { JobMonitor } from './monitor';
export { jobsIcon } from './icon';

/** The plugin's id; also the id of its settings (schema/jobs.json). */
export const JOBS_PLUGIN_ID = '@surveylab/labextension:jobs';

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  fileBrowser: IDefaultFileBrowser | null
): void {
  const monitor = new JobMonitor();
  // A job submitted anywhere in this page (query panel, gallery) shows at once.
  jobSubmitted.connect(() => void monitor.refresh());
  const actions = new JobActionRunner({
    commands: app.commands,
    shell: app.shell,
    monitor,
    fileBrowser
  });
  const tracker = new WidgetTracker<JobBrowser>({
    namespace: 'surveylab-jobs'
  });
  let notifyWhenFinished = true;

  app.commands.addCommand(CommandIDs.openJobs, {
    label: args =>
      typeof args.jobId === 'string' && args.jobId
        ? `Show Job ${args.jobId}`
        : 'Jobs',
    caption: 'Open the job browser: your jobs and their files',
    icon: jobsIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          jobId: { type: 'string', description: 'Select this job.' }
        }
      }
    },
    execute: args => {
      // One browser at a time: reuse the open one.
      let browser = tracker.find(() => true);
      if (browser === undefined) {
        browser = new JobBrowser({ monitor, actions });
        void tracker.add(browser);
      }
      if (!browser.isAttached) {
        app.shell.add(browser, 'main');
      }
      app.shell.activateById(browser.id);
      const jobId = args.jobId;
      if (typeof jobId === 'string' && jobId !== '') {
        browser.content.select(jobId);
      }
      void monitor.refresh();
      return browser;
    }
  });

  whenShown('jobs', () => {
    palette?.addItem({ command: CommandIDs.openJobs, category: CATEGORY });
    launcher?.add({
      command: CommandIDs.openJobs,
      category: CATEGORY,
      rank: 2
    });
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openJobs,
      name: () => JOB_BROWSER_ID
    });
  }

  monitor.finished.connect((_, jobs: IJob[]) => {
    if (!notifyWhenFinished) {
      return;
    }
    const browser = tracker.currentWidget;
    const watching =
      browser !== null &&
      app.shell.currentWidget === browser &&
      document.visibilityState === 'visible';
    if (watching) {
      return; // the user sees the row change
    }
    const notice = finishedNotice(jobs);
    const args = notice.jobId === null ? {} : { jobId: notice.jobId };
    Notification.emit(notice.message, notice.type, {
      autoClose: notice.type === 'error' ? false : 10_000,
      actions: [
        {
          label: 'Show',
          caption: 'Open the job browser',
          callback: () => {
            void app.commands.execute(CommandIDs.openJobs, args);
          }
        }
      ]
    });
  });

  const applySettings = (settings: ISettingRegistry.ISettings): void => {
    const number = (key: string, fallback: number): number => {
      const value = settings.get(key).composite;
      return typeof value === 'number' && Number.isFinite(value)
        ? value
        : fallback;
    };
    notifyWhenFinished = settings.get('notifyWhenFinished').composite !== false;
    monitor.intervals = {
      activeSeconds: number(
        'activePollSeconds',
        DEFAULT_INTERVALS.activeSeconds
      ),
      visibleSeconds: number(
        'visiblePollSeconds',
        DEFAULT_INTERVALS.visibleSeconds
      ),
      idleSeconds: number('idlePollSeconds', DEFAULT_INTERVALS.idleSeconds)
    };
    monitor.limit = number('pageSize', PAGE_SIZE);
  };

  const settingsLoaded = settingRegistry
    ? settingRegistry
        .load(JOBS_PLUGIN_ID)
        .then(settings => {
          applySettings(settings);
          settings.changed.connect(applySettings);
        })
        .catch((reason: unknown) => {
          console.error(`${JOBS_PLUGIN_ID}: cannot read the settings.`, reason);
        })
    : Promise.resolve();

  // The first listing is the baseline; later ones notice finished jobs.
  void Promise.all([app.restored, settingsLoaded]).then(() => {
    monitor.start();
  });
}

/**
 * The jobs plugin: `surveylab:open-jobs` in the launcher and the palette.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: JOBS_PLUGIN_ID,
  description:
    'The job browser: your jobs, their progress and files, with notifications when they finish.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    ISettingRegistry,
    IDefaultFileBrowser
  ],
  activate
};

export default plugin;
