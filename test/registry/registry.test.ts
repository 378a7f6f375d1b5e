import type { AppError } from '../../core/errors.js';
import { decidePromotion, promotionPolicyFromEnv } from '../../core/registry/policy.js';
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
    const results = await Promise.all(
      accuracies.map((a) => registryService().register('contest', version(a))),
    );
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
    await registryService().register('flowers', version(0.9));
    await registryService().register('flowers', version(0.8));
    await registryService().register('flowers', version(0.95));
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

describe('promotion policy (pure)', () => {
  const policy = { metric: 'accuracy', minimum: 0.9, margin: 0.01 };
  it('needs the minimum, and the margin over production', () => {
    expect(decidePromotion({ accuracy: 0.89 }, undefined, policy).alias).toBe('challenger');
    expect(decidePromotion({ accuracy: 0.9 }, undefined, policy).alias).toBe('production');
    expect(decidePromotion({ accuracy: 0.955 }, { accuracy: 0.95 }, policy).alias).toBe('challenger');
    expect(decidePromotion({ accuracy: 0.965 }, { accuracy: 0.95 }, policy).alias).toBe('production');
    expect(decidePromotion({ accuracy: 0.95 }, { accuracy: 0.95 }, { ...policy, margin: 0 }).alias).toBe(
      'challenger',
    );
  });
  it('lower is better for log loss', () => {
    const loss = { metric: 'log_loss', minimum: 0.5, margin: 0 };
    expect(decidePromotion({ log_loss: 0.6 }, undefined, loss).alias).toBe('challenger');
    expect(decidePromotion({ log_loss: 0.2 }, { log_loss: 0.3 }, loss).alias).toBe('production');
    expect(decidePromotion({ log_loss: 0.4 }, { log_loss: 0.3 }, loss).alias).toBe('challenger');
  });
  it('reads PROMOTION_* from the environment, explicit options winning', () => {
    const saved = { ...process.env };
    process.env['PROMOTION_METRIC'] = 'macro_f1';
    process.env['PROMOTION_MIN'] = '0.8';
    process.env['PROMOTION_MARGIN'] = '0.02';
    try {
      expect(promotionPolicyFromEnv()).toEqual({ metric: 'macro_f1', minimum: 0.8, margin: 0.02 });
      expect(promotionPolicyFromEnv({ margin: 0 })).toEqual({ metric: 'macro_f1', minimum: 0.8, margin: 0 });
    } finally {
      process.env = saved;
    }
  });
});
