import { execFile } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import { maxDatasetBytes } from '../../cli/dataset-file.js';
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

  it('answers --help from the compiled bundle without loading any dependency', async () => {
    // The SDK, emulators and onnxruntime load only for a command that uses them: help costs a Node start.
    // A loader hook logs every module the process loads; the build's metafile says what each bundled
    // file holds.
    const loader = join(home, 'log-loads.mjs');
    const hook = join(home, 'register-log.mjs');
    writeFileSync(
      loader,
      "import { appendFileSync } from 'node:fs';\n" +
        'export async function load(url, context, next) {\n' +
        "  appendFileSync(process.env.LOAD_LOG, url + '\\n');\n" +
        '  return next(url, context);\n}\n',
    );
    writeFileSync(
      hook,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${loader}`)});\n`,
    );
    const loaded = async (args: string[]) => {
      const log = join(home, `loads-${args.join('-')}.txt`);
      const result = await mlops(args, { NODE_OPTIONS: `--import ${hook}`, LOAD_LOG: log });
      expect(result.code).toBe(0);
      return { result, urls: readFileSync(log, 'utf8').trim().split('\n') };
    };
    const [help, trainHelp] = await Promise.all([loaded(['--help']), loaded(['train', '--help'])]);
    expect(help.result.stdout).toContain('usage: mlops <command>');
    expect(trainHelp.result.stdout).toContain('--data <value>');
    const manifest = JSON.parse(readFileSync('dist/current.json', 'utf8')) as {
      id: string;
      entries: { cli: string };
    };
    const meta = JSON.parse(readFileSync(join('dist', manifest.id, 'meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    for (const { urls } of [help, trainHelp]) {
      const bundled = urls.filter((u) => u.includes(`/dist/${manifest.id}/`));
      expect(bundled).toContain(`file://${resolve('dist', manifest.entries.cli)}`);
      const inputs = bundled.flatMap((u) => {
        const output = meta.outputs[`dist/${u.split('/dist/')[1]}`];
        expect(output).toBeDefined();
        return Object.keys(output!.inputs);
      });
      expect(inputs.length).toBeGreaterThan(0);
      expect(inputs.filter((input) => input.includes('node_modules/'))).toEqual([]);
      expect(urls.filter((u) => u.includes('/node_modules/'))).toEqual([]);
    }
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
    expect(result.stdout).toMatch(/6 trials scored on the validation rows of the training part/);
    // Which number is which: one test scoring of the refit model, and the validation score that picked it.
    expect(result.stdout).toMatch(
      /\ntest +accuracy 0\.\d{4} +macro_f1 0\.\d{4} +log_loss \d+\.\d{4} +\(48 rows, scored once\)/,
    );
    expect(result.stdout).toMatch(
      /\nvalidation accuracy 0\.\d{4} .*\(38 rows of the training part: picked the trial\)/,
    );
    expect(result.stdout).toMatch(/\nrefit +train\+validation \(192 rows\)/);
    expect(result.stdout).toMatch(
      /registered some v1 as production\ndecision +production: no production version yet/,
    );
    expect(result.stdout).toMatch(/per class on the test split:\nclass +precision +recall +f1 +support/);
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
    expect(detail.stdout).toMatch(/^test +accuracy 0\.\d{4}/m);
    expect(detail.stdout).toMatch(/per class on the test split:\nclass +precision +recall +f1 +support\nhi /);
    expect(detail.stdout).toMatch(/^trial +status +algorithm +scored on +accuracy/m);
    expect(detail.stdout).toMatch(/-t000 +FINISHED +logreg +validation +0\.\d{4}/);
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

    // gzip in, the same scores out; a bad row late in the file leaves no half-written --out file
    writeFileSync(join(data, 'score.csv.gz'), gzipSync(readFileSync(join(data, 'score.csv'))));
    const outGz = join(home, 'scored-gz.csv');
    const bad = [...shuffled];
    bad[200] = bad[200]!.replace(/^([^,]*),[^,]*/, '$1,oops');
    writeFileSync(join(data, 'late-bad.csv'), `${bad.join('\n')}\n`);
    const outBad = join(home, 'scored-bad.csv');
    const [gz, late] = await Promise.all([
      mlops(['predict', 'some', '--data', join(data, 'score.csv.gz'), '--out', outGz]),
      mlops(['predict', 'some', '--data', join(data, 'late-bad.csv'), '--out', outBad]),
    ]);
    expect(gz.code).toBe(0);
    expect(readFileSync(outGz, 'utf8')).toBe(readFileSync(out, 'utf8'));
    expectOneLineError(late, 1, /line 201, column 'f3': 'oops' is not a number/);
    expect(existsSync(outBad) || existsSync(`${outBad}.partial`)).toBe(false);

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

  it('refuses a --data that is not a regular file, or is over the size limit, before reading it', async () => {
    const big = join(data, 'huge.csv');
    closeSync(openSync(big, 'w'));
    truncateSync(big, maxDatasetBytes() + 1); // sparse: no disk used
    // (A directory is a location for `train`, its newest CSV trained on; `predict` scores one file.)
    const [device, directory, huge, scoring] = await Promise.all([
      mlops(['train', '--data', '/dev/zero']),
      mlops(['predict', 'iris', '--data', data]),
      mlops(['train', '--data', big, '--target', 'label']),
      mlops(['predict', 'iris', '--data', '/dev/zero']),
    ]);
    expectOneLineError(device, 2, /--data \/dev\/zero: not a regular file \(a character device\)/);
    expectOneLineError(directory, 2, /not a regular file \(a directory\)/);
    expectOneLineError(
      huge,
      2,
      /: 2 GiB \(2,147,483,649 bytes\) is over the 2 GiB limit for a dataset \(DATASET_MAX_BYTES\)$/,
    );
    expectOneLineError(scoring, 2, /not a regular file/);
    rmSync(big);
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
    const [models, versions, decision] = await Promise.all([
      mlops(['models']),
      mlops(['versions', 'some', '--json']),
      mlops(['versions', 'some', '--version', '2']),
    ]);
    // The decision record: both models scored on the same test rows, the rule and why.
    expect(decision.stdout).toMatch(
      /^decision +challenger: accuracy 0\.\d{4} vs production v1's \d\.\d{4} on the same 48 rows/m,
    );
    expect(decision.stdout).toMatch(
      /\nrule +accuracy ≥ 0, margin 0, McNemar's exact test, mid-p, one-sided at 0\.05/,
    );
    expect(decision.stdout).toMatch(
      /\ncompared +on 48 test rows: candidate 0\.\d{4} vs production v1 \d\.\d{4}; rows won \d+, lost \d+/,
    );
    expect(models.stdout).toMatch(/some +2 +challenger=v2 champion=v1 production=v2/);
    expect(JSON.parse(versions.stdout).model.aliases).toMatchObject({ production: 2, champion: 1 });
    expect((await mlops(['rollback', 'some'])).stdout).toMatch(/production → v1/);
    const [again, unknown] = await Promise.all([mlops(['rollback', 'some']), mlops(['versions', 'nope'])]);
    expectOneLineError(again, 1, /no earlier production version/);
    expectOneLineError(unknown, 1, /not registered/);
  });

  it('promote refuses a version with another schema without --force, and warns with it', async () => {
    const other = await mlops(['train', '--data', 'builtin:wine', '--model-name', 'some']);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(
      /registered some v3 as challenger\ndecision +challenger: schema differs from production v1: features \+alcohol/,
    );
    const refused = await mlops(['promote', 'some', '3']);
    expectOneLineError(refused, 1, /v3's schema differs from production v1's .* force/);
    const forced = await mlops(['promote', 'some', '3', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/^warning: v3's schema differs .* clients built for v1 will get 422/m);
    expect(forced.stdout).toMatch(/production → v3/);
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
    const parsed = JSON.parse(card.stdout);
    expect(parsed.runId).toBe(runId);
    expect(parsed.classes.length).toBeGreaterThan(1);
    expect(model.code).toBe(0);
    expect(readFileSync(onnx).length).toBeGreaterThan(100);
  });
});
