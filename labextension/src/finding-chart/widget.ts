/**
 * The finding-chart view: the chart's PNG in the main area, with a toolbar
 * button that downloads the same chart as a PDF.
 */
import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { downloadIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { requestChart, targetTitle } from './api';
import type { IFindingChartRequest } from './api';

/** What a view is asked to chart: a body without `format`. */
export type IChartOptions = Omit<IFindingChartRequest, 'format'>;

/** The chart's image, or a message while it loads or when it failed. */
export class FindingChartView extends Widget {
  constructor(request: IChartOptions) {
    super();
    this.request = request;
    this.addClass('sl-FindingChart');
    this.node.dataset.testid = 'finding-chart';
    this._status = document.createElement('p');
    this._status.className = 'sl-FindingChart-status';
    this._status.setAttribute('role', 'status');
    this._status.textContent = 'Drawing the finding chart…';
    this._image = document.createElement('img');
    this._image.className = 'sl-FindingChart-image';
    this._image.alt = `Finding chart of ${request.targets.map(targetTitle).join(', ')}`;
    this._image.dataset.testid = 'finding-chart-image';
    this._image.hidden = true;
    this.node.append(this._status, this._image);
    this.ready = this._load();
  }

  /** The request charted. */
  readonly request: IChartOptions;
  /** Settles when the PNG is shown or the error is. */
  readonly ready: Promise<void>;

  /** Download the chart as a PDF (a page per target). */
  async downloadPDF(): Promise<void> {
    try {
      const pdf = await requestChart({ ...this.request, format: 'pdf' });
      const url = URL.createObjectURL(pdf);
      const link = document.createElement('a');
      link.href = url;
      link.download = `finding-chart-${fileStem(this.request)}.pdf`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 60_000);
    } catch (error) {
      this._showError(error);
    }
  }

  dispose(): void {
    if (this._url !== null) {
      URL.revokeObjectURL(this._url);
      this._url = null;
    }
    super.dispose();
  }

  private async _load(): Promise<void> {
    try {
      // The PNG shows the first target; the PDF holds them all.
      const png = await requestChart({
        ...this.request,
        targets: this.request.targets.slice(0, 1),
        format: 'png'
      });
      if (this.isDisposed) {
        return;
      }
      this._url = URL.createObjectURL(png);
      this._image.src = this._url;
      this._image.hidden = false;
      this._status.hidden = true;
    } catch (error) {
      this._showError(error);
    }
  }

  private _showError(error: unknown): void {
    this._status.hidden = false;
    this._status.classList.add('sl-FindingChart-error');
    this._status.setAttribute('role', 'alert');
    this._status.dataset.testid = 'finding-chart-error';
    this._status.textContent =
      error instanceof Error ? error.message : String(error);
  }

  private readonly _status: HTMLParagraphElement;
  private readonly _image: HTMLImageElement;
  private _url: string | null = null;
}

function fileStem(request: IChartOptions): string {
  const first = targetTitle(request.targets[0]).replace(/[^\w.+-]+/g, '_');
  return request.targets.length > 1 ? `${first}-and-more` : first;
}

/** A main-area widget around a {@link FindingChartView}, with "Download PDF". */
export function createFindingChart(
  request: IChartOptions
): MainAreaWidget<FindingChartView> {
  const content = new FindingChartView(request);
  const widget = new MainAreaWidget({ content });
  widget.id = `surveylab-finding-chart-${++counter}`;
  widget.title.label = `Chart ${targetTitle(request.targets[0])}`;
  widget.title.caption = `Finding chart of ${request.targets.map(targetTitle).join(', ')}`;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'download-pdf',
    new ToolbarButton({
      icon: downloadIcon,
      label: 'Download PDF',
      tooltip: 'Download the finding chart as a PDF',
      onClick: () => {
        void content.downloadPDF();
      }
    })
  );
  return widget;
}

let counter = 0;
