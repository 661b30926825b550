/**
 * The query panel's icon: a database cylinder. The `jp-icon3` group follows
 * the theme's icon colour.
 */
import { LabIcon } from '@jupyterlab/ui-components';

export const queryIcon = new LabIcon({
  name: 'surveylab:query',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.6">
    <ellipse cx="12" cy="5.5" rx="7.5" ry="2.8"/>
    <path d="M4.5 5.5v13c0 1.55 3.36 2.8 7.5 2.8s7.5-1.25 7.5-2.8v-13"/>
    <path d="M4.5 12c0 1.55 3.36 2.8 7.5 2.8s7.5-1.25 7.5-2.8"/>
  </g>
</svg>`
});
