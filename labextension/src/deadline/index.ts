/**
 * The deadline plugin (to be built).
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@surveylab/labextension:deadline',
  description: 'surveylab: deadline.',
  autoStart: true,
  activate: () => undefined
};

export default plugin;
