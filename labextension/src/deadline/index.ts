/**
 * The deadline plugin: when the hub caps this lab (GPU labs), a countdown in
 * the status bar and a warning 30 and 5 minutes before the end.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

import { requestAPI } from '../request';
import type { ILabInfo } from '../types';
import type { Urgency } from './schedule';
import {
  DEFAULT_WARNING_MINUTES,
  dueWarning,
  nextTickDelay,
  normalizeThresholds,
  parseDeadline,
  statusText,
  urgency,
  warningMessage
} from './schedule';

export * from './schedule';

/** The plugin's id; also the id of its settings (schema/deadline.json). */
export const DEADLINE_PLUGIN_ID = '@surveylab/labextension:deadline';

/** The performance mark set once the lab's deadline (or its absence) is known. */
export const DEADLINE_CHECKED_MARK = 'surveylab:deadline-checked';

/** What the countdown shows and warns with. */
interface IDeadlineOptions {
  label: string;
  thresholds: number[];
}

/**
 * The countdown: a status bar item whose text and colour follow the time
 * left, and the warnings, each shown once.
 */
export class DeadlineCountdown extends Widget {
  constructor(deadline: Date, options: IDeadlineOptions) {
    super({ node: document.createElement('div') });
    this.addClass('sl-Deadline');
    this.node.dataset.testid = 'surveylab-deadline';
    this.node.setAttribute('role', 'timer');
    this.node.setAttribute('aria-live', 'off');
    this._deadline = deadline;
    this._options = options;
    this._onVisibility = () => {
      if (document.visibilityState === 'visible') {
        this.tick();
      }
    };
    document.addEventListener('visibilitychange', this._onVisibility);
    this._render(deadline.getTime() - Date.now());
  }

  /** The label and thresholds; a change applies at once. */
  set options(options: IDeadlineOptions) {
    this._options = options;
    this.tick();
  }

  /** Update the text, show a warning that is due, and schedule the next tick. */
  tick(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._timer);
    const left = this._deadline.getTime() - Date.now();
    const { label, thresholds } = this._options;
    this._render(left);

    const decision = dueWarning(left, thresholds, this._shown);
    this._shown = decision.shown;
    if (decision.warn !== null) {
      Notification.warning(warningMessage(label, left, this._deadline), {
        autoClose: false
      });
    }
    const delay = nextTickDelay(left);
    if (delay !== null) {
      this._timer = window.setTimeout(() => {
        this.tick();
      }, delay);
    }
  }

  /** Show the time left: the text, its urgency (for the colour) and the exact time. */
  private _render(left: number): void {
    const { label, thresholds } = this._options;
    const level: Urgency = urgency(left, thresholds);
    this.node.textContent = statusText(label, left);
    this.node.dataset.urgency = level;
    this.node.title = `${label} stops at ${this._deadline.toLocaleString()}`;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._timer);
    document.removeEventListener('visibilitychange', this._onVisibility);
    super.dispose();
  }

  private readonly _deadline: Date;
  private readonly _onVisibility: () => void;
  private _options: IDeadlineOptions;
  private _shown: ReadonlySet<number> = new Set<number>();
  private _timer = 0;
}

function readOptions(
  settings: ISettingRegistry.ISettings | null
): IDeadlineOptions {
  const label = settings?.get('label').composite;
  const minutes = settings?.get('warningMinutes').composite;
  return {
    label: typeof label === 'string' && label.trim() ? label.trim() : 'GPU lab',
    thresholds: Array.isArray(minutes)
      ? normalizeThresholds(minutes)
      : [...DEFAULT_WARNING_MINUTES]
  };
}

async function activate(
  app: JupyterFrontEnd,
  statusBar: IStatusBar | null,
  settingRegistry: ISettingRegistry | null
): Promise<void> {
  let settings: ISettingRegistry.ISettings | null = null;
  let deadline: Date | null = null;
  try {
    const [lab, loaded] = await Promise.all([
      requestAPI<ILabInfo>('lab'),
      settingRegistry?.load(DEADLINE_PLUGIN_ID).catch((reason: unknown) => {
        console.error(
          `${DEADLINE_PLUGIN_ID}: cannot read the settings.`,
          reason
        );
        return null;
      }) ?? null
    ]);
    settings = loaded;
    deadline = parseDeadline(lab.deadline);
  } catch (reason) {
    console.error(
      `${DEADLINE_PLUGIN_ID}: cannot read the lab's deadline.`,
      reason
    );
  } finally {
    performance.mark(DEADLINE_CHECKED_MARK);
  }
  if (deadline === null) {
    return;
  }
  const countdown = new DeadlineCountdown(deadline, readOptions(settings));
  settings?.changed.connect(changed => {
    countdown.options = readOptions(changed);
  });
  if (statusBar) {
    statusBar.registerStatusItem(DEADLINE_PLUGIN_ID, {
      item: countdown,
      align: 'left',
      rank: -1
    });
  }
  // Warn once the lab is on screen, not behind its splash screen.
  await app.restored;
  countdown.tick();
}

/**
 * The deadline plugin. It fetches `GET /lab` once; a lab with no deadline
 * gets no status item and no timer.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: DEADLINE_PLUGIN_ID,
  description:
    'A countdown in the status bar and warnings before the hub stops a capped (GPU) lab.',
  autoStart: true,
  optional: [IStatusBar, ISettingRegistry],
  activate: (
    app,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    // Not awaited: the lab starts without waiting for the request.
    void activate(app, statusBar, settingRegistry);
  }
};

export default plugin;
