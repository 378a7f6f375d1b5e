import type { Metrics } from './types.js';

export interface PromotionPolicy {
  /** Metric compared between candidate and production (higher is better). */
  readonly metric: string;
  /** A candidate below this never becomes production. */
  readonly minimum: number;
  /** The candidate must beat production by at least this much. */
  readonly margin: number;
}

export const DEFAULT_POLICY: PromotionPolicy = { metric: 'accuracy', minimum: 0, margin: 0 };

export interface PromotionDecision {
  readonly alias: 'production' | 'challenger';
  readonly reason: string;
}

/** Pure decision: a new version becomes production only if it passes the bar and beats the incumbent. */
export function decidePromotion(
  candidate: Metrics,
  incumbent: Metrics | undefined,
  policy: PromotionPolicy = DEFAULT_POLICY,
): PromotionDecision {
  const value = candidate[policy.metric];
  if (value === undefined || !Number.isFinite(value)) {
    return { alias: 'challenger', reason: `candidate has no ${policy.metric} metric` };
  }
  if (value < policy.minimum) {
    return {
      alias: 'challenger',
      reason: `${policy.metric} ${fmt(value)} is below the minimum ${fmt(policy.minimum)}`,
    };
  }
  if (!incumbent) return { alias: 'production', reason: 'no production version yet' };
  const current = incumbent[policy.metric] ?? Number.NEGATIVE_INFINITY;
  if (
    value >= current + policy.margin &&
    !(policy.margin === 0 && value === current && current !== Number.NEGATIVE_INFINITY)
  ) {
    return {
      alias: 'production',
      reason: `${policy.metric} ${fmt(value)} beats production's ${fmt(current)}`,
    };
  }
  return {
    alias: 'challenger',
    reason: `${policy.metric} ${fmt(value)} does not beat production's ${fmt(current)} by ${fmt(policy.margin)}`,
  };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(4) : String(n));
