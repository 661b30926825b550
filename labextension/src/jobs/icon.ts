/**
 * The Jobs icon: a list with a clock. The `jp-icon3` group follows the
 * theme's icon colour.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const jobsSvgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g fill="none">
    <g class="jp-icon3" stroke="#616161" stroke-width="1.8" stroke-linecap="round">
      <path d="M3 5h10M3 10h7M3 15h5M3 20h6"/>
      <circle cx="17" cy="15" r="5.2"/>
      <path d="M17 12.2V15l1.9 1.4"/>
    </g>
  </g>
</svg>`;

export const jobsIcon = new LabIcon({
  name: 'surveylab:jobs',
  svgstr: jobsSvgstr
});
