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

/** The paired test the promotion rule uses (one-sided, on the rows where the two models differ). */
export const PROMOTION_TEST = "McNemar's exact test, mid-p, one-sided";

export interface PromotionPolicy {
  /** Metric compared between candidate and production (on the candidate's test rows). */
  readonly metric: string;
  /** A candidate worse than this on its test split never becomes production (a maximum for log_loss). */
  readonly minimum: number;
  /** The candidate must beat production by at least this much on the same rows. */
  readonly margin: number;
  /** The paired test's p-value must be below this: a difference that could be noise does not promote. */
  readonly significance: number;
}

export const DEFAULT_POLICY: PromotionPolicy = {
  metric: 'accuracy',
  minimum: 0,
  margin: 0,
  significance: 0.05,
};

/** Feature names in order and the set of classes: what a client of the model depends on. */
export interface ModelSchema {
  readonly featureNames: readonly string[];
  readonly classes: readonly string[];
}

export interface SchemaDiff {
  readonly features?: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    /** Same names, another order: clients sending arrays would score the wrong columns. */
    readonly reordered: boolean;
  };
  readonly classes?: { readonly added: readonly string[]; readonly removed: readonly string[] };
}

/** How `candidate`'s schema differs from `production`'s, or undefined when clients would not notice. */
export function schemaDiff(candidate: ModelSchema, production: ModelSchema): SchemaDiff | undefined {
  const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
  const sameFeatures =
    candidate.featureNames.length === production.featureNames.length &&
    candidate.featureNames.every((f, i) => f === production.featureNames[i]);
  const classesAdded = minus(candidate.classes, production.classes);
  const classesRemoved = minus(production.classes, candidate.classes);
  const sameClasses = classesAdded.length === 0 && classesRemoved.length === 0;
  if (sameFeatures && sameClasses) return undefined;
  const added = minus(candidate.featureNames, production.featureNames);
  const removed = minus(production.featureNames, candidate.featureNames);
  return {
    ...(sameFeatures ? {} : { features: { added, removed, reordered: added.length + removed.length === 0 } }),
    ...(sameClasses ? {} : { classes: { added: classesAdded, removed: classesRemoved } }),
  };
}

/** One line naming what changed, e.g. `features +a -b; classes -x`. */
export function describeSchemaDiff(diff: SchemaDiff): string {
  const list = (sign: string, names: readonly string[]) => names.map((n) => `${sign}${n}`);
  const parts: string[] = [];
  if (diff.features) {
    const f = diff.features;
    parts.push(
      `features ${f.reordered ? 'reordered' : [...list('+', f.added), ...list('-', f.removed)].join(' ')}`,
    );
  }
  if (diff.classes) {
    parts.push(`classes ${[...list('+', diff.classes.added), ...list('-', diff.classes.removed)].join(' ')}`);
  }
  return parts.join('; ');
}

/** Candidate and production scored on the same rows (the candidate's test split). */
export interface PairedComparison {
  readonly rows: number;
  /** The policy metric of each model on those rows. */
  readonly candidate: number;
  readonly production: number;
  /**
   * Rows only the candidate gets right / only production gets right (for log loss: where its per-row
   * loss is the lower one). Rows where both agree carry no information about which is better.
   */
  readonly candidateWins: number;
  readonly productionWins: number;
}

/**
 * One-sided mid-p value of McNemar's exact test that the candidate is better: with n = wins + losses
 * discordant rows, X ~ Binomial(n, 1/2), p = P(X > wins) + P(X = wins) / 2.
 */
export function mcnemarMidP(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  // log C(n, k) built up term by term: exact enough and safe for any n.
  const logPmf: number[] = [-n * Math.LN2];
  for (let k = 1; k <= n; k++) logPmf.push(logPmf[k - 1]! + Math.log((n - k + 1) / k));
  let p = 0.5 * Math.exp(logPmf[wins]!);
  for (let k = wins + 1; k <= n; k++) p += Math.exp(logPmf[k]!);
  return Math.min(1, p);
}

/** The fewest rows on which the test can reach `significance` at all (every row a win): n with 2^-(n+1) < α. */
export function minimumRows(significance: number): number {
  let n = 1;
  while (0.5 ** (n + 1) >= significance) n++;
  return n;
}

/** What the registry keeps on a version about its automatic promotion: the rule, both scores, the outcome. */
export interface PromotionDecision {
  readonly alias: 'production' | 'challenger';
  readonly reason: string;
  readonly rule?: {
    readonly metric: string;
    readonly minimum?: number;
    readonly margin: number;
    readonly significance: number;
    readonly test: string;
  };
  /** The candidate's policy metric on its test split. */
  readonly candidate?: { readonly value?: number };
  /** Production when the decision was made, and its score on the candidate's test rows. */
  readonly production?: { readonly version: number; readonly value?: number };
  /** Test rows both models were scored on, and where they disagreed. */
  readonly rows?: number;
  readonly candidateWins?: number;
  readonly productionWins?: number;
  readonly pValue?: number;
  readonly schemaDiff?: SchemaDiff;
  readonly decidedAt?: string;
}

export interface PromotionInput {
  /** The candidate's recorded metrics (test split) and schema. */
  readonly candidate: { readonly metrics: Metrics } & ModelSchema;
  /** The production version, if there is one. */
  readonly production?: { readonly version: number; readonly metrics: Metrics } & ModelSchema;
  /** Both scored on the candidate's test rows; `error` when production could not be scored. */
  readonly comparison?: PairedComparison | { readonly error: string };
  readonly policy?: PromotionPolicy;
}

/**
 * Pure decision: a new version becomes production only if it passes the bar, has production's schema,
 * and beats production on the same rows by the margin with a paired test below the significance level.
 * Anything short of that (a tie, a difference that could be noise, a test split too small to tell, a
 * production model that could not be scored) leaves production where it is.
 */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const policy = input.policy ?? DEFAULT_POLICY;
  const { metric } = policy;
  const rule = { ...pick(policy), test: PROMOTION_TEST };
  const low = lowerIsBetter(metric);
  const value = input.candidate.metrics[metric];
  const base = { rule, candidate: { ...(value !== undefined ? { value } : {}) } };
  const challenger = (reason: string, extra: Partial<PromotionDecision> = {}): PromotionDecision => ({
    alias: 'challenger',
    reason,
    ...base,
    ...extra,
  });
  if (value === undefined || !Number.isFinite(value)) return challenger(`candidate has no ${metric} metric`);
  if (low ? value > policy.minimum : value < policy.minimum) {
    return challenger(
      `${metric} ${fmt(value)} is ${low ? 'above the maximum' : 'below the minimum'} ${fmt(policy.minimum)}`,
    );
  }
  const production = input.production;
  if (!production) return { alias: 'production', reason: 'no production version yet', ...base };
  const diff = schemaDiff(input.candidate, production);
  const incumbent = { version: production.version };
  if (diff) {
    return challenger(`schema differs from production v${production.version}: ${describeSchemaDiff(diff)}`, {
      production: incumbent,
      schemaDiff: diff,
    });
  }
  const comparison = input.comparison;
  if (!comparison) {
    return challenger(`no comparison with production v${production.version} on the same rows was made`, {
      production: incumbent,
    });
  }
  if ('error' in comparison) {
    return challenger(
      `production v${production.version} could not be scored on the candidate's test rows: ${comparison.error}`,
      { production: incumbent },
    );
  }
  const paired = {
    production: { version: production.version, value: comparison.production },
    rows: comparison.rows,
    candidateWins: comparison.candidateWins,
    productionWins: comparison.productionWins,
  };
  const needed = minimumRows(policy.significance);
  if (comparison.rows < needed) {
    return challenger(
      `the test split (${comparison.rows} rows) is too small to decide: the paired test at ${policy.significance} ` +
        `needs at least ${needed} rows`,
      paired,
    );
  }
  const scores = `${metric} ${fmt(comparison.candidate)} vs production v${production.version}'s ${fmt(comparison.production)} on the same ${comparison.rows} rows`;
  const gain = low
    ? comparison.production - comparison.candidate
    : comparison.candidate - comparison.production;
  if (!(gain > 0 && gain >= policy.margin)) {
    return challenger(
      `${scores}: not better${policy.margin > 0 ? ` by the margin ${fmt(policy.margin)}` : ''}`,
      paired,
    );
  }
  const pValue = mcnemarMidP(comparison.candidateWins, comparison.productionWins);
  const discordant = `${comparison.candidateWins} rows won, ${comparison.productionWins} lost`;
  if (!(pValue < policy.significance)) {
    return challenger(
      `${scores}: the difference could be noise (${discordant}; p = ${fmtP(pValue)} ≥ ${policy.significance})`,
      { ...paired, pValue },
    );
  }
  return {
    alias: 'production',
    reason: `${scores}: better (${discordant}; p = ${fmtP(pValue)} < ${policy.significance})`,
    ...base,
    ...paired,
    pValue,
  };
}

/** The policy as recorded (an unbounded log-loss maximum is left out: JSON and DynamoDB have no Infinity). */
const pick = ({ metric, minimum, margin, significance }: PromotionPolicy) => ({
  metric,
  ...(Number.isFinite(minimum) ? { minimum } : {}),
  margin,
  significance,
});

/** The policy from PROMOTION_* settings, with explicit overrides winning. */
export function resolvePolicy(
  overrides: Partial<PromotionPolicy>,
  read: Partial<PromotionPolicy>,
): PromotionPolicy {
  const metric = overrides.metric ?? read.metric ?? DEFAULT_POLICY.metric;
  const defaultMinimum = lowerIsBetter(metric) ? Number.POSITIVE_INFINITY : DEFAULT_POLICY.minimum;
  return {
    metric,
    minimum: overrides.minimum ?? read.minimum ?? defaultMinimum,
    margin: overrides.margin ?? read.margin ?? DEFAULT_POLICY.margin,
    significance: overrides.significance ?? read.significance ?? DEFAULT_POLICY.significance,
  };
}

/** PROMOTION_METRIC / PROMOTION_MIN / PROMOTION_MARGIN / PROMOTION_SIGNIFICANCE, per-request overrides winning. */
export function promotionPolicyFromEnv(overrides: Partial<PromotionPolicy> = {}): PromotionPolicy {
  const metric = optionalEnv('promotionMetric');
  const read = (key: 'promotionMinimum' | 'promotionMargin' | 'promotionSignificance', fallback: number) =>
    optionalEnv(key) === undefined ? undefined : numberEnv(key, fallback);
  const minimum = read('promotionMinimum', 0);
  const margin = read('promotionMargin', 0);
  const significance = read('promotionSignificance', DEFAULT_POLICY.significance);
  return resolvePolicy(overrides, {
    ...(metric ? { metric } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(margin !== undefined ? { margin } : {}),
    ...(significance !== undefined ? { significance } : {}),
  });
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(4) : String(n));
const fmtP = (p: number) => (p < 0.0001 ? p.toExponential(1) : p.toFixed(4));
