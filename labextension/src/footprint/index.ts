/**
 * The footprint plugin (to be built).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@surveylab/labextension:footprint',
  description: 'surveylab: footprint.',
  autoStart: true,
  activate: () => undefined
};

export default plugin;
