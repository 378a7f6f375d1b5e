import type { AppError } from '../../core/errors.js';
import {
  decidePromotion,
  mcnemarMidP,
  minimumRows,
  type PairedComparison,
  type PromotionPolicy,
  promotionPolicyFromEnv,
} from '../../core/registry/policy.js';
import type { RegisterOptions } from '../../core/registry/service.js';
import type { NewModelVersion } from '../../core/registry/types.js';
import { registryService } from '../../core/services/index.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime({ ephemeral: true });
});
afterAll(async () => {
  await runtime.stop();
});

const version = (
  accuracy: number,
  runId = `run-${Math.random().toString(36).slice(2)}`,
): NewModelVersion => ({
  runId,
  artifactKey: `runs/${runId}/model.onnx`,
  sha256: '0'.repeat(64),
  algorithm: 'logreg',
  metrics: { accuracy, macro_f1: accuracy, log_loss: 1 - accuracy },
  params: {},
  featureNames: ['a', 'b'],
  classes: ['x', 'y'],
  dataset: { source: 'builtin:test', fingerprint: 'f'.repeat(64), rows: 10 },
  codeVersion: 'test',
  trainedAt: new Date().toISOString(),
});

/**
 * A stand-in for scoring both models on the same 1,000 rows: each is right on the first
 * round(accuracy × 1000) rows, so the rows only the better one gets right are their difference.
 */
const pairedOn1000 =
  (accuracy: number): RegisterOptions['compare'] =>
  async (production) => {
    const mine = Math.round(accuracy * 1000);
    const theirs = Math.round(production.metrics['accuracy']! * 1000);
    return {
      rows: 1000,
      candidate: mine / 1000,
      production: theirs / 1000,
      candidateWins: Math.max(0, mine - theirs),
      productionWins: Math.max(0, theirs - mine),
    };
  };
const register = (name: string, accuracy: number, extra: Partial<NewModelVersion> = {}) =>
  registryService().register(name, { ...version(accuracy), ...extra }, { compare: pairedOn1000(accuracy) });

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as AppError,
  );

describe('concurrency against dynalite', () => {
  it('parallel version creation never hands out a number twice and loses none', async () => {
    const created = await Promise.all(
      Array.from({ length: 25 }, () => registryService().store.createVersion('race', version(0.5))),
    );
    const numbers = created.map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await registryService().listVersions('race', 100)).toHaveLength(25);
  });

  it('parallel registrations end with exactly one production version: the best one', async () => {
    const accuracies = [0.71, 0.93, 0.85, 0.99, 0.6, 0.88, 0.95, 0.79, 0.9, 0.97, 0.82, 0.91];
    const results = await Promise.all(accuracies.map((a) => register('contest', a)));
    const model = await registryService().requireModel('contest');
    expect(model.latestVersion).toBe(accuracies.length);
    const production = await registryService().resolve('contest');
    expect(production.metrics['accuracy']).toBe(0.99);
    // every registration is accounted for, and none claims production except the serving one or ones it displaced
    expect(results.map((r) => r.version.version).sort((a, b) => a - b)).toEqual(
      accuracies.map((_, i) => i + 1),
    );
    for (const v of model.productionHistory) {
      expect(v).toBeGreaterThanOrEqual(1);
      expect(v).toBeLessThanOrEqual(accuracies.length);
    }
    expect(new Set(model.productionHistory).has(production.version)).toBe(false);
  });

  it('parallel promotions are each applied exactly once: no lost update, one production', async () => {
    const name = 'promos';
    for (let i = 0; i < 11; i++) await registryService().register(name, version(0.5 + i * 0.001));
    let model = await registryService().requireModel(name);
    const revision = model.revision;
    // make v1 production first so every promotion below has something to displace
    await registryService().promote(name, 1);
    model = await registryService().requireModel(name);
    const before = model.productionHistory.length;
    const targets = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    await Promise.all(targets.map((v) => registryService().promote(name, v)));
    model = await registryService().requireModel(name);
    expect(model.revision).toBe(revision + 1 + targets.length);
    const current = model.aliases['production']!;
    expect(targets).toContain(current);
    const recent = model.productionHistory.slice(before);
    // the ten promotions each pushed the then-current version: v1 plus nine of the ten targets
    expect(recent).toHaveLength(targets.length);
    expect(new Set([...recent, current])).toEqual(new Set([1, ...targets]));
  });

  it('parallel rollbacks and promotions never leave production pointing at a missing version', async () => {
    const name = 'mixed';
    for (let i = 0; i < 4; i++) await registryService().register(name, version(0.6 + i * 0.1));
    await Promise.all([
      registryService().promote(name, 1),
      registryService().promote(name, 2),
      registryService()
        .rollback(name)
        .catch(() => undefined),
      registryService().promote(name, 3),
    ]);
    const production = await registryService().resolve(name);
    expect([1, 2, 3, 4]).toContain(production.version);
  });
});

describe('aliases, stages, rollback, metadata', () => {
  beforeAll(async () => {
    await register('flowers', 0.9);
    await register('flowers', 0.8);
    await register('flowers', 0.95);
  });

  it('the policy made v1 production, v2 challenger, then v3 production', async () => {
    const model = await registryService().requireModel('flowers');
    expect(model.aliases).toMatchObject({ production: 3, challenger: 2 });
    expect(model.productionHistory).toEqual([1]);
  });

  it('rollback returns to the previous production version, and refuses when there is none', async () => {
    expect((await registryService().rollback('flowers')).aliases['production']).toBe(1);
    const error = await rejection(registryService().rollback('flowers'));
    expect(error.code).toBe('CONFLICT');
    await registryService().promote('flowers', 3);
  });

  it('stage names map to aliases; user aliases work; bad ones are 422', async () => {
    await registryService().setAlias('flowers', 'Staging', 1);
    expect((await registryService().resolve('flowers', { alias: 'staging' })).version).toBe(1);
    expect((await registryService().resolve('flowers', { alias: 'Production' })).version).toBe(3);
    await registryService().setAlias('flowers', 'champion-2025', 2);
    expect((await registryService().resolve('flowers', { alias: 'champion-2025' })).version).toBe(2);
    await registryService().removeAlias('flowers', 'champion-2025');
    expect((await rejection(registryService().resolve('flowers', { alias: 'champion-2025' }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await rejection(registryService().setAlias('flowers', 'no spaces', 1))).status).toBe(422);
    expect((await rejection(registryService().setAlias('flowers', 'x', 99))).code).toBe('NOT_FOUND');
    expect((await rejection(registryService().removeAlias('flowers', 'production'))).code).toBe('CONFLICT');
  });

  it('descriptions and tags on models and versions; an empty value removes a tag', async () => {
    await registryService().updateMetadata('flowers', {
      description: 'iris look-alike',
      tags: { owner: 'ds', team: 'a' },
    });
    await registryService().updateMetadata('flowers', { tags: { team: '' } });
    await registryService().updateMetadata('flowers', {
      version: 2,
      description: 'smaller',
      tags: { reviewed: 'yes' },
    });
    const model = await registryService().requireModel('flowers');
    expect(model.description).toBe('iris look-alike');
    expect(model.tags).toEqual({ owner: 'ds' });
    const v2 = await registryService().getVersion('flowers', 2);
    expect(v2).toMatchObject({ description: 'smaller', tags: { reviewed: 'yes' } });
    expect(
      (await rejection(registryService().updateMetadata('flowers', { version: 42, tags: { a: 'b' } }))).code,
    ).toBe('NOT_FOUND');
  });
});

describe('champion vs challenger, schema gate', () => {
  it('keeps the decision record on the version: both scores on the same rows, rule, outcome, reason', async () => {
    await register('record', 0.9);
    const { version: v2, decision } = await register('record', 0.93);
    expect(decision).toMatchObject({
      alias: 'production',
      rule: { metric: 'accuracy', margin: 0, significance: 0.05 },
      candidate: { value: 0.93 },
      production: { version: 1, value: 0.9 },
      rows: 1000,
      candidateWins: 30,
      productionWins: 0,
    });
    expect(decision.pValue).toBeLessThan(0.05);
    expect((await registryService().getVersion('record', v2.version)).decision).toEqual(decision);
    // One row better out of 1,000 could be noise: production stays.
    const { decision: noise } = await register('record', 0.931);
    expect(noise.alias).toBe('challenger');
    expect(noise.reason).toMatch(/could be noise/);
    expect((await registryService().resolve('record')).version).toBe(v2.version);
  });

  it('a candidate whose features or classes differ never replaces production automatically', async () => {
    await register('schema', 0.8);
    const { decision } = await register('schema', 0.99, { featureNames: ['a', 'c'], classes: ['x', 'z'] });
    expect(decision.alias).toBe('challenger');
    expect(decision.reason).toMatch(/^schema differs from production v1: features \+c -b; classes \+z -y/);
    expect(decision.schemaDiff).toEqual({
      features: { added: ['c'], removed: ['b'], reordered: false },
      classes: { added: ['z'], removed: ['y'] },
    });
    const reordered = await register('schema', 0.99, { featureNames: ['b', 'a'] });
    expect(reordered.decision.schemaDiff?.features?.reordered).toBe(true);
    expect((await registryService().resolve('schema')).version).toBe(1);
  });

  it('promoting a schema-changing version by hand needs force, and then warns', async () => {
    const refused = await rejection(registryService().promote('schema', 2));
    expect(refused.code).toBe('SCHEMA_MISMATCH');
    expect(refused.status).toBe(409);
    expect(refused.message).toMatch(
      /v2's schema differs from production v1's .*clients .* would get 422.*force/,
    );
    expect((await registryService().resolve('schema')).version).toBe(1);
    // The aliases route moves production through the same gate.
    expect((await rejection(registryService().setAlias('schema', 'Production', 2))).code).toBe(
      'SCHEMA_MISMATCH',
    );
    const forced = await registryService().promote('schema', 2, { force: true });
    expect(forced.model.aliases['production']).toBe(2);
    expect(forced.warnings).toEqual([expect.stringMatching(/clients built for v1 will get 422/)]);
    // Same schema: no warning, no force needed.
    const same = await registryService().promote('schema', 2);
    expect(same.warnings).toEqual([]);
  });

  it('without a comparison on the same rows, a registration never displaces production', async () => {
    await registryService().register('blind', version(0.5));
    const { decision } = await registryService().register('blind', version(0.99));
    expect(decision.alias).toBe('challenger');
    expect(decision.reason).toMatch(/no comparison with production v1 on the same rows/);
  });

  it('a production model that cannot be scored leaves production as it is, saying why', async () => {
    await register('broken-champion', 0.5);
    const { decision } = await registryService().register('broken-champion', version(0.99), {
      compare: async () => {
        throw new Error('artifact runs/x/model.onnx does not exist');
      },
    });
    expect(decision.alias).toBe('challenger');
    expect(decision.reason).toMatch(/could not be scored on the candidate's test rows: artifact/);
  });
});

describe('promotion policy (pure)', () => {
  const policy: PromotionPolicy = { metric: 'accuracy', minimum: 0.9, margin: 0.01, significance: 0.05 };
  const schema = { featureNames: ['a', 'b'], classes: ['x', 'y'] };
  const candidate = (accuracy: number) => ({ metrics: { accuracy, log_loss: 1 - accuracy }, ...schema });
  const production = { version: 7, metrics: { accuracy: 0.95 }, ...schema };
  const paired = (over: Partial<PairedComparison>): PairedComparison => ({
    rows: 200,
    candidate: 0.97,
    production: 0.95,
    candidateWins: 6,
    productionWins: 2,
    ...over,
  });
  const decide = (accuracy: number, comparison?: PairedComparison, p: PromotionPolicy = policy) =>
    decidePromotion({
      candidate: candidate(accuracy),
      production,
      ...(comparison ? { comparison } : {}),
      policy: p,
    });

  it('needs the minimum; with no production, that is enough', () => {
    expect(decidePromotion({ candidate: candidate(0.89), policy }).alias).toBe('challenger');
    expect(decidePromotion({ candidate: candidate(0.9), policy })).toMatchObject({
      alias: 'production',
      reason: 'no production version yet',
    });
  });

  it('promotes only a gain of at least the margin on the same rows that the paired test finds significant', () => {
    expect(decide(0.97, paired({ candidate: 0.955, production: 0.95 })).reason).toMatch(
      /not better by the margin/,
    );
    expect(
      decide(0.97, paired({ candidate: 0.95, production: 0.95, candidateWins: 3, productionWins: 3 })).alias,
    ).toBe('challenger');
    // +2 points, but 6 rows won against 2 lost: mid-p = P(X > 6) + P(X = 6)/2 = 9/256 + 14/256, could be noise.
    const noisy = decide(0.97, paired({}));
    expect(noisy).toMatchObject({ alias: 'challenger', pValue: expect.closeTo(23 / 256, 10) });
    expect(noisy.reason).toMatch(/could be noise \(6 rows won, 2 lost; p = 0\.\d+ ≥ 0\.05\)/);
    const clear = decide(0.97, paired({ candidate: 0.99, candidateWins: 9, productionWins: 1 }));
    expect(clear.alias).toBe('production');
    expect(clear.reason).toMatch(/accuracy 0\.9900 vs production v7's 0\.9500 on the same 200 rows: better/);
    // Recorded metrics do not decide: only the scores on the shared rows do.
    expect(
      decide(0.5, paired({ candidate: 0.99, candidateWins: 9, productionWins: 1 }), { ...policy, minimum: 0 })
        .alias,
    ).toBe('production');
  });

  it('a test split too small for the test stays challenger and says so', () => {
    const tiny = decide(
      1,
      paired({ rows: 3, candidate: 1, production: 0, candidateWins: 3, productionWins: 0 }),
    );
    expect(tiny.alias).toBe('challenger');
    expect(tiny.reason).toMatch(/the test split \(3 rows\) is too small to decide: .* needs at least 4 rows/);
  });

  it('lower is better for log loss', () => {
    const loss: PromotionPolicy = { metric: 'log_loss', minimum: 0.5, margin: 0, significance: 0.05 };
    expect(
      decidePromotion({ candidate: { metrics: { log_loss: 0.6 }, ...schema }, policy: loss }).alias,
    ).toBe('challenger');
    const better = paired({ candidate: 0.2, production: 0.3, candidateWins: 40, productionWins: 10 });
    expect(
      decidePromotion({
        candidate: { metrics: { log_loss: 0.2 }, ...schema },
        production,
        comparison: better,
        policy: loss,
      }).alias,
    ).toBe('production');
    const worse = paired({ candidate: 0.4, production: 0.3, candidateWins: 10, productionWins: 40 });
    expect(
      decidePromotion({
        candidate: { metrics: { log_loss: 0.4 }, ...schema },
        production,
        comparison: worse,
        policy: loss,
      }).alias,
    ).toBe('challenger');
  });

  it("McNemar's exact mid-p: one-sided binomial tail on the discordant rows", () => {
    expect(mcnemarMidP(5, 0)).toBeCloseTo(0.5 ** 6, 12);
    // n = 4: P(X > 3) + P(X = 3)/2 = 1/16 + 2/16
    expect(mcnemarMidP(3, 1)).toBeCloseTo(3 / 16, 12);
    expect(mcnemarMidP(0, 0)).toBe(1);
    expect(mcnemarMidP(500, 440)).toBeLessThan(0.05);
    expect(mcnemarMidP(440, 500)).toBeGreaterThan(0.95);
    expect(minimumRows(0.05)).toBe(4);
    expect(minimumRows(0.01)).toBe(6);
  });

  it('reads PROMOTION_* from the environment, explicit options winning', () => {
    const saved = { ...process.env };
    process.env['PROMOTION_METRIC'] = 'macro_f1';
    process.env['PROMOTION_MIN'] = '0.8';
    process.env['PROMOTION_MARGIN'] = '0.02';
    process.env['PROMOTION_SIGNIFICANCE'] = '0.01';
    try {
      expect(promotionPolicyFromEnv()).toEqual({
        metric: 'macro_f1',
        minimum: 0.8,
        margin: 0.02,
        significance: 0.01,
      });
      expect(promotionPolicyFromEnv({ margin: 0 })).toEqual({
        metric: 'macro_f1',
        minimum: 0.8,
        margin: 0,
        significance: 0.01,
      });
    } finally {
      process.env = saved;
    }
  });
});
