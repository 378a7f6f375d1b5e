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
 * needs no knowledge of their parameters: integers in [d/2, 2d] (≥ 2 if d ≥ 2), non-integer reals
 * log-uniform in [d/10, 10d] (≤ 1 if d ≤ 1), integer 0/1 values (flags, shares of 1) kept. The first candidate of each algorithm is its defaults, so a search never does
 * worse than a plain run with the same seed.
 */
export function searchCandidates(
  algorithms: readonly Algorithm[],
  trials: number,
  seed: number,
): Candidate[] {
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
        // Never below 2 when the default is 2 (split sizes, depths have such floors).
        const low = Math.max(Math.ceil(value / 2), Math.min(value, 2));
        params[name] = low + Math.floor(rng() * (value * 2 - low + 1));
      } else if (!Number.isInteger(value)) {
        // Rates and penalties: log-uniform over a decade either side, capped at 1 for shares/rates.
        const high = value <= 1 ? Math.min(1, value * 10) : value * 10;
        const low = value / 10;
        params[name] = Number(
          Math.exp(Math.log(low) + rng() * (Math.log(high) - Math.log(low))).toPrecision(3),
        );
      }
    }
    candidates.push({ algorithm, params });
  }
  return candidates;
}
