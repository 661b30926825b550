/**
 * A notice at the top of a panel that depends on a part of the platform:
 * "catalog unreachable: queries are unavailable" while the catalog is down,
 * instead of requests that fail obscurely.
 */
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import type { PartName, StatusModel } from './model';
import { partNotice } from './model';

/** A panel's notice about `part`; `onDown` is told when the part goes down or comes back. */
export class PartNotice extends Widget {
  constructor(
    model: StatusModel,
    part: PartName,
    onDown: (down: boolean) => void = () => undefined
  ) {
    super();
    this.addClass('sl-PartNotice');
    this.node.dataset.testid = `notice-${part}`;
    this.node.setAttribute('role', 'status');
    this._model = model;
    this._part = part;
    this._onDown = onDown;
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const part = this._model.part(this._part);
    this.node.textContent = partNotice(part) ?? '';
    this.node.dataset.state = part?.state ?? 'unknown';
    this._onDown(part?.state === 'down');
  }

  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private readonly _model: StatusModel;
  private readonly _part: PartName;
  private readonly _onDown: (down: boolean) => void;
}

/** The notice about `part` for a React view, or `null` while it is fine. */
export function usePartNotice(
  model: StatusModel,
  part: PartName
): string | null {
  const [notice, setNotice] = React.useState(() =>
    partNotice(model.part(part))
  );
  React.useEffect(() => {
    const update = (): void => {
      setNotice(partNotice(model.part(part)));
    };
    model.changed.connect(update);
    update();
    return () => {
      model.changed.disconnect(update);
    };
  }, [model, part]);
  return notice;
}
