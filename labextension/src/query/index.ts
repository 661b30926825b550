/**
 * The query plugin (to be built).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@surveylab/labextension:query',
  description: 'surveylab: query.',
  autoStart: true,
  activate: () => undefined
};

export default plugin;
