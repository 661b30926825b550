/**
 * The ids of surveylab's commands and their arguments: how the panels open
 * each other ("query this tile", "cutouts here", "open the gallery").
 */
export namespace CommandIDs {
  /** Open the Survey panel (the release and its tables). */
  export const open = 'surveylab:open';
  /** Open the query panel; args {@link IQueryArgs}. */
  export const openQuery = 'surveylab:open-query';
  /** Open the job browser; args `{ jobId?: string }` selects a job. */
  export const openJobs = 'surveylab:open-jobs';
  /** Open the cutout gallery; args {@link IGalleryArgs}. */
  export const openGallery = 'surveylab:open-gallery';
  /** Open the footprint viewer; args `{ target?: string }` (a position or tile name). */
  export const openFootprint = 'surveylab:open-footprint';
  /** Open a finding chart; args {@link IFindingChartArgs}. */
  export const openFindingChart = 'surveylab:open-finding-chart';
  /** Open the objects most like one as a gallery; args {@link ISimilarArgs}. */
  export const openSimilar = 'surveylab:open-similar';
  /** Open the help desk form; args `{ jobId?: string }` fills in the job. */
  export const contactHelpDesk = 'surveylab:contact-help-desk';
}

/** Arguments of {@link CommandIDs.openQuery}. */
export interface IQueryArgs {
  /** SQL to put in the editor. */
  sql?: string;
}

/** Arguments of {@link CommandIDs.openGallery}. */
export interface IGalleryArgs {
  /** Show this cutout job's images. */
  jobId?: string;
  /** Pre-fill the form with these positions, one per line ("ra dec" or sexagesimal). */
  positions?: string;
}

/** Arguments of {@link CommandIDs.openFindingChart}. */
export interface IFindingChartArgs {
  /**
   * What to chart: object ids, names or positions ("ra dec"), `[ra, dec]`,
   * or query rows with RA and DEC. None: the command asks for one.
   */
  targets?: unknown[];
  /** Side in arcmin. */
  size?: number;
  /** One band, or three (red, green, blue) for a colour image. */
  band?: string;
  /** Mark the catalog's objects in the field. */
  catalog?: boolean;
}

/** Arguments of {@link CommandIDs.openSimilar}. */
export interface ISimilarArgs {
  /** An object id (digits), a name, a position ("ra dec"), `[ra, dec]` or a row. */
  target?: unknown;
  /** Neighbours (default 50; the object itself is the first). */
  k?: number;
}

/** The launcher and palette category of every surveylab command. */
export const CATEGORY = 'Survey';
