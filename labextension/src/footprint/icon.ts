/** The footprint viewer's icon: a sky sphere with tiles (theme-coloured). */
import { LabIcon } from '@jupyterlab/ui-components';

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 1.8a8.2 8.2 0 0 1 7.9 6H4.1a8.2 8.2 0 0 1 7.9-6zM3.8 12c0-.4 0-.8.1-1.2h16.2a8.3 8.3 0 0 1 0 2.4H3.9c-.1-.4-.1-.8-.1-1.2zm.3 2.2h15.8a8.2 8.2 0 0 1-15.8 0z"/>
    <rect x="7" y="10.8" width="1.6" height="3.4"/>
    <rect x="11.2" y="10.8" width="1.6" height="3.4"/>
    <rect x="15.4" y="10.8" width="1.6" height="3.4"/>
  </g>
</svg>`;

export const footprintIcon = new LabIcon({
  name: 'surveylab:footprint',
  svgstr
});
