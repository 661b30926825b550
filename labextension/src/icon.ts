/**
 * The Survey icon: a sky grid with a star. The `jp-icon3` group follows the
 * theme's icon colour; the star uses the theme's warning accent.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const surveySvgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g fill="none">
    <g class="jp-icon3" stroke="#616161" stroke-width="1.6" stroke-linecap="round">
      <circle cx="12" cy="12" r="9.2"/>
      <ellipse cx="12" cy="12" rx="4.2" ry="9.2"/>
      <path d="M2.8 12h18.4M4.6 7h14.8M4.6 17h14.8"/>
    </g>
  </g>
  <path class="jp-icon-warn0" fill="#F57C00" d="M19 1.2l1.05 2.55 2.55 1.05-2.55 1.05L19 8.4l-1.05-2.55-2.55-1.05 2.55-1.05z"/>
</svg>`;

export const surveyIcon = new LabIcon({
  name: 'surveylab:survey',
  svgstr: surveySvgstr
});
