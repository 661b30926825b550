/**
 * The part of Aladin Lite v3's API (npm `aladin-lite` 3.8, no types of its
 * own) that the footprint viewer uses.
 */
declare module 'aladin-lite' {
  export interface IAladinShapeOptions {
    color?: string;
    fillColor?: string;
    fill?: boolean;
    opacity?: number;
    lineWidth?: number;
    name?: string;
  }

  export interface IAladinShape {
    show(): void;
    hide(): void;
  }

  export interface IAladinGraphicOverlay {
    add(shape: IAladinShape): void;
    addFootprints(shapes: IAladinShape[]): void;
    removeAll(): void;
    /** Ask the view to redraw (after `removeAll`, which does not). */
    reportChange(): void;
    show(): void;
    hide(): void;
    isShowing: boolean;
    overlayItems: IAladinShape[];
  }

  export interface IAladinMOC {
    show(): void;
    hide(): void;
    isShowing: boolean;
  }

  export interface IAladinHiPS {
    setOpacity(opacity: number): void;
    getOpacity(): number;
  }

  export interface IAladinClick {
    ra: number;
    dec: number;
    x: number;
    y: number;
    isDragging: boolean;
  }

  export interface IAladin {
    gotoRaDec(ra: number, dec: number): void;
    setFoV(fov: number): void;
    getRaDec(): [number, number];
    getFov(): [number, number];
    addOverlay(overlay: IAladinGraphicOverlay): void;
    addMOC(moc: IAladinMOC): void;
    setBaseImageLayer(hips: IAladinHiPS | string): IAladinHiPS;
    removeImageLayer(layer: string): void;
    on(event: 'click', callback: (event: IAladinClick) => void): void;
    on(event: string, callback: (...args: unknown[]) => void): void;
    world2pix(ra: number, dec: number): [number, number] | undefined;
  }

  export interface IAladinStatic {
    /** Resolves when the WebGL2 context and the WASM core are ready. */
    init: Promise<void>;
    aladin(element: HTMLElement, options: Record<string, unknown>): IAladin;
    graphicOverlay(options: IAladinShapeOptions): IAladinGraphicOverlay;
    polygon(
      vertices: [number, number][],
      options?: IAladinShapeOptions
    ): IAladinShape;
    MOCFromJSON(
      moc: Record<string, number[]>,
      options?: IAladinShapeOptions & { perimeter?: boolean; edge?: boolean },
      onSuccess?: (moc: IAladinMOC) => void,
      onError?: (moc: IAladinMOC) => void
    ): IAladinMOC;
    imageHiPS(url: string, options?: Record<string, unknown>): IAladinHiPS;
  }

  const A: IAladinStatic;
  export default A;
}
