import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, scheduleExpressionProblem } from '../../lib/config.js';
import {
  isDue,
  parseSchedule,
  readScheduleFile,
  type ScheduleFile,
} from '../../localstack/scheduler/scheduler.js';

/**
 * The scheduler container's logic: EventBridge expressions → due minutes, and the Lambda
 * invocation it makes, checked by running the real script against a stand-in endpoint.
 */
const root = resolve(import.meta.dirname, '../..');
const at = (iso: string) => new Date(iso);

describe('parseSchedule / isDue', () => {
  test('the nightly cron in cdk.json fires at 03:00 UTC only', () => {
    const context = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context;
    const config = loadConfig({ node: { tryGetContext: (key: string) => context[key] } });
    const schedule = parseSchedule(config.trainingSchedule);
    expect(isDue(schedule, at('2026-11-25T03:00:30Z'))).toBe(true);
    expect(isDue(schedule, at('2026-11-25T03:01:00Z'))).toBe(false);
    expect(isDue(schedule, at('2026-11-25T15:00:00Z'))).toBe(false);
  });

  test.each([
    ['cron(15 10 ? * MON-FRI *)', '2026-11-27T10:15:00Z', true], // Friday
    ['cron(15 10 ? * MON-FRI *)', '2026-11-28T10:15:00Z', false], // Saturday
    ['cron(0 0 ? * 1 *)', '2026-11-29T00:00:00Z', true], // 1 = Sunday in EventBridge
    ['cron(0/15 * * * ? *)', '2026-11-25T07:45:00Z', true],
    ['cron(0/15 * * * ? *)', '2026-11-25T07:46:00Z', false],
    ['cron(0 8 1,15 JAN,JUL ? 2026-2027)', '2027-07-15T08:00:00Z', true],
    ['cron(0 8 1,15 JAN,JUL ? 2026-2027)', '2027-08-15T08:00:00Z', false],
    ['cron(*/20 9-17 * * ? *)', '2026-11-25T17:40:00Z', true],
    ['rate(5 minutes)', '2026-11-25T07:45:00Z', true],
    ['rate(5 minutes)', '2026-11-25T07:46:00Z', false],
    ['rate(1 hour)', '2026-11-25T07:00:00Z', true],
    ['rate(1 day)', '2026-11-25T00:00:00Z', true],
    ['rate(1 day)', '2026-11-25T00:01:00Z', false],
  ])('%s at %s → %s', (expression, time, due) => {
    expect(isDue(parseSchedule(expression), at(time))).toBe(due);
  });

  test.each([
    ['cron(0 3 * * *)', /needs 6 fields, got 5/],
    ['cron(0 3 L * ? *)', /day-of-month field "L" uses L, W or #/],
    ['cron(0 3 ? * 2#1 *)', /day-of-week field "2#1" uses L, W or #/],
    ['cron(61 3 * * ? *)', /minutes field "61" has "61" outside 0-59/],
    ['cron(0 3 * FOO ? *)', /month field "FOO"/],
    ['cron(0 ? * * ? *)', /hours field "\?" cannot be "\?"/],
    ['cron(0 5-3 * * ? *)', /backwards range/],
    ['every day', /expected cron\(\.\.\.\) or rate\(\.\.\.\)/],
  ])('rejects %s, naming the problem', (expression, message) => {
    expect(() => parseSchedule(expression)).toThrow(message);
  });

  test('accepts what the CDK config accepts, for the expressions both understand', () => {
    for (const expression of [
      'cron(0 3 * * ? *)',
      'cron(30 2 ? * SUN *)',
      'rate(12 hours)',
      'rate(1 minute)',
    ]) {
      expect(scheduleExpressionProblem(expression)).toBeUndefined();
      expect(() => parseSchedule(expression)).not.toThrow();
    }
  });
});

describe('readScheduleFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-sched-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is undefined before anything was deployed', () => {
    expect(readScheduleFile(join(dir, 'absent.json'))).toBeUndefined();
  });

  test('names the missing key and the fix', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ region: 'us-east-1', expression: 'rate(1 day)', payload: {} }));
    expect(() => readScheduleFile(file)).toThrow(
      /"functionName" must be a non-empty string; rerun npm run local:deploy/,
    );
  });
});

describe('the scheduler process', () => {
  let server: Server;
  let child: ChildProcess | undefined;
  const requests: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mlops-sched-run-'));

  beforeAll(async () => {
    // Stands in for LocalStack's Lambda Invoke API: records the request, answers 202 like an Event invoke.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(202, { 'content-type': 'application/json' }).end('');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  });

  afterAll(async () => {
    child?.kill();
    await new Promise((done) => server.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  test('invokes the deployed train function asynchronously with the schedule payload', async () => {
    const schedule: ScheduleFile = {
      region: 'us-east-1',
      functionName: 'mlops-dev-api-TrainFunction1234',
      expression: 'cron(0 3 * * ? *)',
      payload: { dataset: 'builtin:iris', target: 'species', modelName: 'iris' },
    };
    writeFileSync(join(dir, 'schedule.json'), JSON.stringify(schedule));
    const port = (server.address() as AddressInfo).port;
    const logs: string[] = [];
    child = spawn(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'localstack/scheduler/scheduler.ts'],
      {
        cwd: root,
        env: {
          PATH: process.env['PATH'],
          SCHEDULE_FILE: join(dir, 'schedule.json'),
          HEARTBEAT_FILE: join(dir, 'heartbeat'),
          LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}`,
          // Due every minute, so the first tick (at start) fires.
          TRAINING_SCHEDULE_OVERRIDE: 'rate(1 minute)',
        },
      },
    );
    child.stdout?.on('data', (chunk) => logs.push(String(chunk)));
    child.stderr?.on('data', (chunk) => logs.push(String(chunk)));

    const deadline = Date.now() + 20_000;
    while (!logs.join('').includes('"invoked"') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(logs.join('')).toContain('"message":"invoked"');
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/2015-03-31/functions/${schedule.functionName}/invocations`);
    expect(request?.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(request?.body ?? '')).toEqual(schedule.payload);
    expect(readFileSync(join(dir, 'heartbeat'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test('stays self-contained, so the container can run it with node --experimental-strip-types', () => {
    const source = readFileSync(join(root, 'localstack/scheduler/scheduler.ts'), 'utf8');
    expect(source).not.toMatch(/from '\.{1,2}\//); // relative imports would need .ts suffixes there
    expect(source).not.toMatch(/^\s*(export\s+)?(const\s+)?enum\s/m); // not erasable
    expect(source).not.toMatch(/^\s*(export\s+)?namespace\s/m);
    expect(source).not.toMatch(/constructor\([^)]*\b(private|public|protected|readonly)\s/);
  });
});
