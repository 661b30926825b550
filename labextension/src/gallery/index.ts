/**
 * The gallery plugin (to be built).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@surveylab/labextension:gallery',
  description: 'surveylab: gallery.',
  autoStart: true,
  activate: () => undefined
};

export default plugin;
