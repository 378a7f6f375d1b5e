import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { authService, registryService, tokenRegistry, tokenVerifier } from '../../core/services/index.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';

/**
 * The CLI as a user runs it: `node cli/mlops.js …` in a child process, attached (through
 * MLOPS_HOME/runtime.json) to emulators this test process owns, the way it attaches to `npm start`.
 */
const CLI = resolve('cli/mlops.js');
// Each command is a fresh node process (tsx, SDK, emulator attach): seconds each on a busy 2-core box.
jest.setTimeout(180_000);
let home: string;
let runtime: LocalRuntime;
let data: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function mlops(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, MLOPS_HOME: home, ...env }, timeout: 150_000 },
      (error, stdout, stderr) => {
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A CSV this project has never seen: three numeric features, three classes. */
function someCsv(rows: number): string {
  let s = 7;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const lines = ['f1,f2,f3,label'];
  for (let i = 0; i < rows; i++) {
    const a = r() * 4;
    const b = r() * 4;
    lines.push(
      [a.toFixed(3), b.toFixed(3), r().toFixed(3), a + b > 4 ? (a > b ? 'hi' : 'mid') : 'lo'].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const expectOneLineError = (result: Result, status: number, pattern: RegExp) => {
  expect(result.code).toBe(status);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mlops: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
};

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  data = join(home, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'some.csv'), someCsv(240));
  runtime = await startLocalRuntime({ home });
});
afterAll(async () => {
  await runtime.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('mlops CLI', () => {
  it('prints help; no command is a usage error', async () => {
    const [help, none] = await Promise.all([mlops(['--help']), mlops([])]);
    expect(help.code).toBe(0);
    for (const name of [
      'train',
      'runs',
      'models',
      'versions',
      'promote',
      'rollback',
      'alias',
      'predict',
      'create-admin',
    ]) {
      expect(help.stdout).toContain(`  ${name}`);
    }
    expect(none.code).toBe(2);
  });

  it('train --trials on a new CSV: trials, metrics and the registered version', async () => {
    const result = await mlops([
      'train',
      '--data',
      join(data, 'some.csv'),
      '--target',
      'label',
      '--trials',
      '6',
      '--seed',
      '3',
    ]);
    expect(result.stderr).toMatch(/training some on .*some\.csv \(240 rows, 3 features, target 'label'\)/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/6 trials/);
    expect(result.stdout).toMatch(/metrics +accuracy 0\.\d{4} +macro_f1/);
    expect(result.stdout).toMatch(/registered some v1 as production/);
    const model = await registryService().requireModel('some');
    expect(model.aliases['production']).toBe(1);
  });

  it('runs lists the search run; runs <id> shows its trials', async () => {
    const list = await mlops(['runs', '--experiment', 'some', '--json']);
    expect(list.code).toBe(0);
    const { runs } = JSON.parse(list.stdout);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'FINISHED', trials: 6, modelVersion: 1 });
    const detail = await mlops(['runs', runs[0].runId]);
    expect(detail.code).toBe(0);
    expect(detail.stdout).toContain(`run        ${runs[0].runId}`);
    expect(detail.stdout.match(/-t00\d/g)?.length).toBeGreaterThanOrEqual(6);
  });

  it('predict scores a whole file through the registry model, checking columns by name', async () => {
    const out = join(home, 'scored.csv');
    // columns in another order, plus one the model does not use
    const rows = readFileSync(join(data, 'some.csv'), 'utf8').trim().split('\n');
    const shuffled = rows.map((line) => {
      const [f1, f2, f3, label] = line.split(',');
      return [label, f3, 'x', f2, f1].join(',');
    });
    shuffled[0] = 'label,f3,extra,f2,f1';
    writeFileSync(join(data, 'score.csv'), `${shuffled.join('\n')}\n`);
    const result = await mlops(['predict', 'some', '--data', join(data, 'score.csv'), '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/scored 240 rows with some v1/);
    expect(result.stderr).toMatch(/accuracy against 'label' 0\.\d{4}/);
    const scored = readFileSync(out, 'utf8').trim().split('\n');
    expect(scored[0]).toBe('label,f3,extra,f2,f1,prediction,p_hi,p_lo,p_mid');
    expect(scored).toHaveLength(241);
    const correct = scored.slice(1).filter((line) => {
      const cells = line.split(',');
      return cells[0] === cells[5];
    }).length;
    expect(correct / 240).toBeGreaterThan(0.85);

    writeFileSync(join(data, 'nofeature.csv'), 'f1,f2\n1,2\n');
    expectOneLineError(
      await mlops(['predict', 'some', '--data', join(data, 'nofeature.csv')]),
      1,
      /missing feature column\(s\) f3/,
    );
  });

  it('bad datasets give a one-line error naming the problem (every case: test/tracking/training.test.ts)', async () => {
    const cases: [string, string, RegExp][] = [
      ['ragged.csv', 'a,b,label\n1,2,x\n3,y\n', /line 3: expected 3 columns, got 2/],
      ['nan.csv', 'a,b,label\n1,2,x\n3,abc,y\n', /line 3, column 'b': 'abc' is not a number/],
      ['single.csv', 'a,label\n1,x\n2,x\n', /only one class/],
    ];
    for (const [file, text] of cases) writeFileSync(join(data, file), text);
    const results = await Promise.all([
      ...cases.map(([file]) => mlops(['train', '--data', join(data, file), '--target', 'label'])),
      mlops(['train', '--data', join(data, 'missing.csv'), '--target', 'label']),
    ]);
    cases.forEach(([, , pattern], i) => {
      expectOneLineError(results[i]!, 1, pattern);
    });
    expectOneLineError(results[cases.length]!, 1, /does not exist/);
  });

  it('usage errors exit 2 with one line', async () => {
    const [flag, trials, missing, unknown] = await Promise.all([
      mlops(['train', '--bogus']),
      mlops(['train', '--trials', 'many']),
      mlops(['promote', 'some']),
      mlops(['frobnicate']),
    ]);
    expectOneLineError(flag, 2, /--bogus/);
    expectOneLineError(trials, 2, /--trials must be an integer/);
    expectOneLineError(missing, 2, /missing <version>/);
    expectOneLineError(unknown, 2, /unknown command/);
  });

  it('models, versions, promote, alias and rollback', async () => {
    const trained = await mlops([
      'train',
      '--data',
      join(data, 'some.csv'),
      '--target',
      'label',
      '--algorithm',
      'tree',
      '--param',
      'max_depth=1',
    ]);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/registered some v2 as challenger/);
    const [promoted, aliased] = await Promise.all([
      mlops(['promote', 'some', '2']),
      mlops(['alias', 'some', 'champion', '1']),
    ]);
    expect(promoted.stdout).toMatch(/production → v2/);
    expect(aliased.stdout).toMatch(/champion=v1/);
    const [models, versions] = await Promise.all([mlops(['models']), mlops(['versions', 'some', '--json'])]);
    expect(models.stdout).toMatch(/some +2 +challenger=v2 champion=v1 production=v2/);
    expect(JSON.parse(versions.stdout).model.aliases).toMatchObject({ production: 2, champion: 1 });
    expect((await mlops(['rollback', 'some'])).stdout).toMatch(/production → v1/);
    const [again, unknown] = await Promise.all([mlops(['rollback', 'some']), mlops(['versions', 'nope'])]);
    expectOneLineError(again, 1, /no earlier production version/);
    expectOneLineError(unknown, 1, /not registered/);
  });

  it('create-admin makes a user with the admin role', async () => {
    const result = await mlops(['create-admin', '--username', 'root'], {
      MLOPS_ADMIN_PASSWORD: 'correct horse',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/created admin user "root"/);
    const principal = await tokenVerifier().verify(
      (await authService().login('root', 'correct horse')).access_token,
    );
    expect(principal.role).toBe('admin');
    const [again, weak] = await Promise.all([
      mlops(['create-admin', '--username', 'root'], { MLOPS_ADMIN_PASSWORD: 'correct horse' }),
      mlops(['create-admin', '--username', 'boss'], { MLOPS_ADMIN_PASSWORD: 'password1234' }),
    ]);
    expectOneLineError(again, 1, /exists|taken/);
    expectOneLineError(weak, 1, /common_password/);

    // revoke-tokens: the admin token above no longer passes the admin routes' check.
    const revoked = await mlops(['revoke-tokens', '--username', 'root']);
    expect(revoked.stdout).toMatch(/revoked the tokens of "root" \(token version now 1\)/);
    await expect(tokenRegistry().requireCurrent(principal, 'admin')).rejects.toMatchObject({
      code: 'INVALID_TOKEN',
    });
  });

  it('train with no arguments trains builtin:iris into "iris" (npm run train)', async () => {
    const result = await mlops(['train']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/registered iris v1 as production/);
  });

  it('datasets upload|list and artifacts get', async () => {
    writeFileSync(join(data, 'notes.txt'), 'hello');
    const [uploaded, refused] = await Promise.all([
      mlops(['datasets', 'upload', join(data, 'some.csv'), '--json']),
      mlops(['datasets', 'upload', join(data, 'notes.txt')]),
    ]);
    expect(uploaded.code).toBe(0);
    const { dataset } = JSON.parse(uploaded.stdout);
    expect(dataset).toMatch(/^s3:\/\/mlops-artifacts\/datasets\/.+\/some\.csv$/);
    expectOneLineError(refused, 1, /filename must end in \.csv/);

    const runId = JSON.parse((await mlops(['runs', '--experiment', 'some', '--json'])).stdout).runs[0].runId;
    const onnx = join(home, 'model.onnx');
    const [list, card, model] = await Promise.all([
      mlops(['datasets', 'list']),
      mlops(['artifacts', 'get', runId, 'model-card.json']),
      mlops(['artifacts', 'get', runId, 'model.onnx', '--out', onnx]),
    ]);
    expect(list.stdout).toContain(dataset);
    expect(JSON.parse(card.stdout)).toMatchObject({ runId, target: 'label' });
    expect(model.code).toBe(0);
    expect(readFileSync(onnx).length).toBeGreaterThan(100);
  });
});
