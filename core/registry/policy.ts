import { numberEnv, optionalEnv } from '../config/env.js';
import type { Metrics } from './types.js';

/** Headline metrics every run records; the registry and search compare on one of them. */
export const RANK_METRICS = ['accuracy', 'macro_f1', 'log_loss'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];

/** Loss-like metrics, where smaller wins. */
export const lowerIsBetter = (metric: string): boolean => metric === 'log_loss';

/** True when `a` is strictly better than `b` on `metric`. */
export function better(metric: string, a: number, b: number): boolean {
  return lowerIsBetter(metric) ? a < b : a > b;
}

export interface PromotionPolicy {
  /** Metric compared between candidate and production. */
  readonly metric: string;
  /** A candidate worse than this never becomes production (a maximum for log_loss). */
  readonly minimum: number;
  /** The candidate must beat production by at least this much. */
  readonly margin: number;
}

export const DEFAULT_POLICY: PromotionPolicy = { metric: 'accuracy', minimum: 0, margin: 0 };

export interface PromotionDecision {
  readonly alias: 'production' | 'challenger';
  readonly reason: string;
}

/**
 * Pure decision: a new version becomes production only if it passes the bar and beats the
 * incumbent by the margin. A tie never displaces production (the incumbent is already serving).
 */
export function decidePromotion(
  candidate: Metrics,
  incumbent: Metrics | undefined,
  policy: PromotionPolicy = DEFAULT_POLICY,
): PromotionDecision {
  const { metric } = policy;
  const low = lowerIsBetter(metric);
  const value = candidate[metric];
  if (value === undefined || !Number.isFinite(value)) {
    return { alias: 'challenger', reason: `candidate has no ${metric} metric` };
  }
  if (low ? value > policy.minimum : value < policy.minimum) {
    return {
      alias: 'challenger',
      reason: `${metric} ${fmt(value)} is ${low ? 'above the maximum' : 'below the minimum'} ${fmt(policy.minimum)}`,
    };
  }
  if (!incumbent) return { alias: 'production', reason: 'no production version yet' };
  const current = incumbent[metric];
  if (current === undefined || !Number.isFinite(current)) {
    return { alias: 'production', reason: `production has no ${metric} metric` };
  }
  const gain = low ? current - value : value - current;
  if (gain > 0 && gain >= policy.margin) {
    return { alias: 'production', reason: `${metric} ${fmt(value)} beats production's ${fmt(current)}` };
  }
  return {
    alias: 'challenger',
    reason: `${metric} ${fmt(value)} does not beat production's ${fmt(current)} by ${fmt(policy.margin)}`,
  };
}

/** The policy from PROMOTION_METRIC / PROMOTION_MIN / PROMOTION_MARGIN, with explicit overrides winning. */
export function resolvePolicy(
  overrides: Partial<PromotionPolicy>,
  read: { metric?: string; minimum?: number; margin?: number },
): PromotionPolicy {
  const metric = overrides.metric ?? read.metric ?? DEFAULT_POLICY.metric;
  const defaultMinimum = lowerIsBetter(metric) ? Number.POSITIVE_INFINITY : DEFAULT_POLICY.minimum;
  return {
    metric,
    minimum: overrides.minimum ?? read.minimum ?? defaultMinimum,
    margin: overrides.margin ?? read.margin ?? DEFAULT_POLICY.margin,
  };
}

/** PROMOTION_METRIC / PROMOTION_MIN / PROMOTION_MARGIN, with per-request overrides winning. */
export function promotionPolicyFromEnv(overrides: Partial<PromotionPolicy> = {}): PromotionPolicy {
  const metric = optionalEnv('promotionMetric');
  const minimum =
    optionalEnv('promotionMinimum') === undefined ? undefined : numberEnv('promotionMinimum', 0);
  const margin = optionalEnv('promotionMargin') === undefined ? undefined : numberEnv('promotionMargin', 0);
  return resolvePolicy(overrides, {
    ...(metric ? { metric } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(margin !== undefined ? { margin } : {}),
  });
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(4) : String(n));
