/**
 * "Open in notebook": a code cell that reproduces the query, in the current
 * notebook (below its active cell) or in a new one.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { NotebookActions } from '@jupyterlab/notebook';

import { notebookCellSource } from './examples';

/**
 * Insert the cell; returns the notebook it went into.
 */
export async function openInNotebook(
  app: JupyterFrontEnd,
  tracker: INotebookTracker | null,
  sql: string
): Promise<NotebookPanel> {
  const source = notebookCellSource(sql);
  let panel = tracker?.currentWidget ?? null;
  if (panel === null || panel.isDisposed) {
    panel = (await app.commands.execute('notebook:create-new', {
      kernelName: 'python3'
    })) as NotebookPanel;
    await panel.context.ready;
    const first = panel.content.widgets[0] as
      NotebookPanel['content']['widgets'][number] | undefined;
    if (first !== undefined && first.model.sharedModel.getSource() === '') {
      first.model.sharedModel.setSource(source);
      app.shell.activateById(panel.id);
      return panel;
    }
  }
  await panel.context.ready;
  NotebookActions.insertBelow(panel.content);
  panel.content.activeCell?.model.sharedModel.setSource(source);
  app.shell.activateById(panel.id);
  return panel;
}
