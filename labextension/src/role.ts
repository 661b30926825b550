/**
 * The user's role (set by the hub; `GET /surveylab/api/lab`): which panels
 * and launcher items this lab shows. Read once and shared by every plugin.
 *
 * Hiding is only a convenience: the server refuses what the role forbids
 * (HTTP 403 naming the role). A lab with no role, or whose server cannot be
 * asked, shows everything.
 */
import { requestAPI } from './request';
import type { ILabInfo } from './types';

/** The user's role, as `GET /lab` gives it. */
export type ILabRole = NonNullable<ILabInfo['role']>;

/** A panel or launcher item a role may show. */
export type Panel = ILabRole['panels'][number];

let role: Promise<ILabRole | null> | null = null;

/** The user's role, asked of the server once (null: none, show everything). */
export function labRole(): Promise<ILabRole | null> {
  role ??= requestAPI<ILabInfo>('lab')
    .then(lab => lab.role)
    .catch(() => null);
  return role;
}

/** Whether `panel` is shown under `role` (every panel when there is none). */
export function isShown(current: ILabRole | null, panel: Panel): boolean {
  return current === null || current.panels.includes(panel);
}

/**
 * Call `add` (which puts `panel`'s items into the launcher and the palette)
 * once the role is known, if the role shows `panel`.
 */
export function whenShown(panel: Panel, add: () => void): void {
  void labRole().then(current => {
    if (isShown(current, panel)) {
      add();
    }
  });
}
