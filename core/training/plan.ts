import { type Candidate, searchSpace } from '../../training/index.js';
import { type ResolvedRequest, trialCount } from './request.js';

/** Search candidates (defaults first, then draws or the grid), or the one configuration of a plain run. */
export function planCandidates(request: ResolvedRequest): Candidate[] {
  if (!request.searching) {
    return [{ algorithm: request.algorithms[0]!, params: { ...(request.params ?? {}) } }];
  }
  const count = trialCount(request);
  // Explicit params pin those values in every trial; the search varies the rest.
  return [
    ...searchSpace(request.algorithms, {
      strategy: request.search ?? 'random',
      trials: count,
      seed: request.seed,
    }),
  ].map((c) => (request.params ? { algorithm: c.algorithm, params: { ...c.params, ...request.params } } : c));
}

/** Rows each class needs: a test split, plus a validation split or K folds of the rest. */
export function minimumRowsPerClass(request: ResolvedRequest): number {
  if (request.cv) return request.cv + 1;
  return request.searching ? 3 : 2;
}
