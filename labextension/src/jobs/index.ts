/**
 * The jobs plugin (to be built).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@surveylab/labextension:jobs',
  description: 'surveylab: jobs.',
  autoStart: true,
  activate: () => undefined
};

export default plugin;
