import { ALGORITHM_SPECS, type Algorithm, mulberry32, type Params } from '../../training/index.js';

export interface Candidate {
  readonly algorithm: Algorithm;
  readonly params: Params;
}

/** Algorithms the training package can fit right now (gbt etc. appear as they land). */
export function availableAlgorithms(): Algorithm[] {
  return Object.keys(ALGORITHM_SPECS) as Algorithm[];
}

/**
 * Random-search candidates. Written here because training/search.ts (the ML engineer's
 * per-algorithm search spaces) had not landed; it perturbs each algorithm's own defaults so it
 * needs no knowledge of their parameters: integers in [d/2, 2d], positive reals log-uniform in
 * [d/10, 10d]. The first candidate of each algorithm is its defaults, so a search never does
 * worse than a plain run with the same seed.
 */
export function searchCandidates(algorithms: readonly Algorithm[], trials: number, seed: number): Candidate[] {
  const rng = mulberry32(seed ^ 0x5eed);
  const candidates: Candidate[] = [];
  for (let i = 0; i < trials; i++) {
    const algorithm = algorithms[i % algorithms.length]!;
    const defaults = ALGORITHM_SPECS[algorithm]?.defaults ?? {};
    if (i < algorithms.length) {
      candidates.push({ algorithm, params: {} });
      continue;
    }
    const params: Params = {};
    for (const [name, value] of Object.entries(defaults)) {
      if (typeof value !== 'number' || value <= 0) continue;
      if (Number.isInteger(value) && value >= 2) {
        params[name] = Math.max(1, Math.round(value / 2 + rng() * (value * 2 - value / 2)));
      } else if (!Number.isInteger(value)) {
        params[name] = Number((value * 10 ** (rng() * 2 - 1)).toPrecision(3));
      }
    }
    candidates.push({ algorithm, params });
  }
  return candidates;
}
