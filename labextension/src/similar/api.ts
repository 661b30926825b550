/**
 * "Objects like this": `POST /surveylab/api/similar` answers with an object's
 * nearest neighbours in the release's similarity index and, asked for a
 * gallery, the id of a cutout job of them.
 */
import { ServerConnection } from '@jupyterlab/services';

import { SIMILAR_K_MAX } from '../generated/limits';
import { requestAPI } from '../request';
import type { Schemas } from '../types';

/** The body of `POST /similar`, as the contract says. */
export type ISimilarRequest = Schemas['SimilarRequest'];
/** Its answer. */
export type ISimilarAnswer = Schemas['SimilarAnswer'];
/** What to search from: an id (digits), a name, a position or a row. */
export type SimilarTarget = ISimilarRequest['target'];

/** Neighbours asked for by default (the object itself is the first). */
export const DEFAULT_K = 50;

/**
 * The neighbours of `target`, with a cutout job of them when `gallery`.
 *
 * @throws {SurveylabAPIError} when the server refuses (an object outside the
 *   imaged tiles, no index yet: the message says which) or cannot be reached.
 */
export async function requestSimilar(
  target: SimilarTarget,
  options: { k?: number; gallery?: boolean } = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<ISimilarAnswer> {
  const k = Math.min(Math.max(1, options.k ?? DEFAULT_K), SIMILAR_K_MAX);
  const body: ISimilarRequest = {
    target,
    k,
    gallery: options.gallery ?? false
  };
  return requestAPI<ISimilarAnswer>(
    'similar',
    { method: 'POST', body: JSON.stringify(body) },
    settings
  );
}
