import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import * as esbuild from 'esbuild';
import {
  ESM_REQUIRE_BANNER,
  esbuildOptions,
  PREDICT_JS_BUDGET_BYTES,
} from '../../lib/constructs/bundling.js';
import { PROJECT_ROOT } from '../../lib/constructs/project-function.js';
import { buildPlatform, functionLogicalId, resourcesOf } from './builders.js';

/**
 * The only infra test that really runs esbuild (for the API stack's functions): checks what each
 * asset directory ships and that each bundle loads as ESM and answers a request offline.
 */

describe('function bundles (real esbuild)', () => {
  let outdir: string;
  let api: Template;
  const assetDir = (construct: string): string => {
    const fn = resourcesOf(api, 'AWS::Lambda::Function')[functionLogicalId(api, construct)];
    const key: string = fn.Properties.Code.S3Key;
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  };

  beforeAll(() => {
    // Outside the project, where no node_modules can be found: the bundles must be self-contained
    // (nothing is external, not even the AWS SDK).
    outdir = mkdtempSync(join(tmpdir(), 'mlops-infra-bundling-'));
    const built = buildPlatform({ bundleStacks: ['mlops-dev-api'], outdir });
    api = built.templates.api;
  }, 180_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it.each(['AuthFunction', 'PredictFunction', 'AdminFunction', 'DocsFunction', 'TrainFunction'])(
    '%s ships index.mjs with the createRequire banner and a source map',
    (construct) => {
      const dir = assetDir(construct);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(existsSync(join(dir, 'index.js'))).toBe(false);
    },
  );

  it('predict ships the onnxruntime-web wasm and its loader, and stays within its JS budget', () => {
    const dir = assetDir('PredictFunction');
    expect(readdirSync(dir).sort()).toEqual([
      'index.mjs',
      'index.mjs.map',
      'ort-wasm-simd-threaded.mjs',
      'ort-wasm-simd-threaded.wasm',
    ]);
    const wasm = readFileSync(join(dir, 'ort-wasm-simd-threaded.wasm'));
    expect(wasm.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d])); // "\0asm"
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(PREDICT_JS_BUDGET_BYTES);
  });

  it('only the auth function bundles the key store: predict and admin carry no Secrets Manager client', () => {
    const code = (construct: string) => readFileSync(join(assetDir(construct), 'index.mjs'), 'utf8');
    expect(code('AuthFunction')).toContain('PutSecretValue');
    for (const construct of ['PredictFunction', 'AdminFunction']) {
      expect({ construct, secrets: code(construct).includes('secretsmanager') }).toEqual({
        construct,
        secrets: false,
      });
    }
  });

  it('train ships the built-in datasets under data/, and the ONNX runtime it scores production with', () => {
    const dir = assetDir('TrainFunction');
    expect(readdirSync(dir)).toEqual(
      expect.arrayContaining(['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']),
    );
    const shipped = readdirSync(join(dir, 'data')).sort();
    const source = readdirSync(join(PROJECT_ROOT, 'training', 'data'))
      .filter((f) => f.endsWith('.csv'))
      .sort();
    expect(shipped).toEqual(source);
    expect(shipped).toContain('iris.csv');
  });

  it('docs ships only the Swagger UI files the page loads', () => {
    const dir = join(assetDir('DocsFunction'), 'node_modules', 'swagger-ui-dist');
    expect(readdirSync(dir).sort()).toEqual([
      'favicon-32x32.png',
      'package.json',
      'swagger-ui-bundle.js',
      'swagger-ui.css',
    ]);
  });

  it('auth, admin and docs carry no wasm', () => {
    for (const construct of ['AuthFunction', 'AdminFunction', 'DocsFunction']) {
      expect(readdirSync(assetDir(construct)).filter((f) => f.endsWith('.wasm'))).toEqual([]);
    }
  });

  // Each handler imports only its part of the composition root (core/services/): the control
  // shows the markers are there to be found where the code belongs.
  it('each bundle carries only its own part: the ONNX runtime in predict and train only, trainers in train only', () => {
    const code = (construct: string) => readFileSync(join(assetDir(construct), 'index.mjs'), 'utf8');
    const ORT = 'ort-wasm-simd-threaded'; // the runtime's wasm file name, a string in its loader
    const TRAINERS = 'TreeEnsembleRegressor'; // an ONNX op the trainers' exporter writes
    for (const construct of ['AuthFunction', 'AdminFunction', 'DocsFunction']) {
      expect(code(construct)).not.toContain(ORT);
    }
    for (const construct of ['AuthFunction', 'AdminFunction', 'DocsFunction', 'PredictFunction']) {
      expect(code(construct)).not.toContain(TRAINERS);
    }
    expect(code('PredictFunction')).toContain(ORT);
    // Train scores production on a candidate's test rows through the runtime predict serves with.
    expect(code('TrainFunction')).toContain(ORT);
    expect(code('TrainFunction')).toContain(TRAINERS);
  });

  // Load each bundle in a fresh Node process, as Lambda would, and call a route that needs no AWS.
  const invoke = (
    construct: string,
    routeKey: string,
    rawPath: string,
    pathParameters?: Record<string, string>,
  ): { statusCode: number; body: string } => {
    const method = routeKey.split(' ')[0];
    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      ...(pathParameters ? { pathParameters } : {}),
      headers: {},
      isBase64Encoded: false,
      requestContext: { requestId: 'bundle-test', http: { method, path: rawPath } },
    };
    const script = `const { handler } = await import(process.argv[1]);
      const result = await handler(JSON.parse(process.argv[2]), { awsRequestId: 'bundle-test' });
      process.stdout.write(JSON.stringify(result));`;
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', script, join(assetDir(construct), 'index.mjs'), JSON.stringify(event)],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', MLOPS_STAGE: 'test' }, encoding: 'utf8' },
    );
    return JSON.parse(out);
  };

  it('the predict bundle loads as ESM and answers GET /', () => {
    const result = invoke('PredictFunction', 'GET /', '/');
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toHaveProperty('links');
  });

  it('onnxruntime-web finds the shipped wasm beside an ESM bundle and scores', async () => {
    // Same options as the function, output next to predict's index.mjs and wasm.
    const dir = assetDir('PredictFunction');
    await esbuild.build({
      ...esbuildOptions(join(PROJECT_ROOT, 'test/infra/fixtures/onnx-probe.ts'), dir),
      outfile: join(dir, 'probe.mjs'),
      absWorkingDir: PROJECT_ROOT,
    });
    const out = execFileSync(process.execPath, [join(dir, 'probe.mjs')], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ labels: ['b'], prefetched: true });

    // Control: the same probe without the copied files fails, so the check above is not vacuous.
    const bare = join(outdir, 'probe-without-wasm');
    await esbuild.build({
      ...esbuildOptions(join(PROJECT_ROOT, 'test/infra/fixtures/onnx-probe.ts'), bare),
      outfile: join(bare, 'probe.mjs'),
      absWorkingDir: PROJECT_ROOT,
    });
    expect(() =>
      execFileSync(process.execPath, [join(bare, 'probe.mjs')], { encoding: 'utf8', stdio: 'pipe' }),
    ).toThrow();
  });

  it('the docs bundle finds the shipped Swagger UI files', () => {
    const result = invoke('DocsFunction', 'GET /docs/{asset}', '/docs/swagger-ui.css', {
      asset: 'swagger-ui.css',
    });
    expect(result.statusCode).toBe(200);
  });
});
