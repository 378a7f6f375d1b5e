import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/**
 * The compose mirror's stand-in for EventBridge Scheduler, whose LocalStack emulation stores
 * schedules but never fires them. Once a minute it reads the schedule `npm run local:deploy`
 * wrote (the train function's deployed name, the stack's expression and payload) and, when the
 * expression matches, invokes the function asynchronously, as Scheduler's LambdaInvoke target does.
 *
 * Runs in the `scheduler` container as `node --experimental-strip-types`, so this file stays
 * self-contained: no relative imports (they would need `.ts` suffixes) and erasable syntax only.
 */

/** What `npm run local:deploy` writes to localstack/state/schedule.json. */
export interface ScheduleFile {
  readonly region: string;
  readonly functionName: string;
  /** EventBridge Scheduler expression from the CDK context (`trainingSchedule`). */
  readonly expression: string;
  readonly payload: Record<string, unknown>;
}

export type Schedule =
  | { readonly kind: 'cron'; readonly fields: readonly CronField[]; readonly expression: string }
  | { readonly kind: 'rate'; readonly minutes: number; readonly expression: string };

/** Allowed values of one cron field; `undefined` means "?" (no constraint). */
export type CronField = ReadonlySet<number> | undefined;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

// EventBridge's dialect: six fields, day-of-week 1-7 = SUN-SAT, "?" in day-of-month or day-of-week.
const FIELDS = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
] as const;

const RATE_MINUTES: Record<string, number> = {
  minute: 1,
  minutes: 1,
  hour: 60,
  hours: 60,
  day: 1440,
  days: 1440,
};

/**
 * Parses the subset of EventBridge Scheduler expressions this mirror can honour: `rate(n unit)`
 * and `cron(...)` with numbers, names, ranges, lists and steps. `L`, `W` and `#` throw, naming
 * the field, rather than fire at the wrong time. Hand-written: no cron library is installed, the
 * container runs on the mounted node_modules only, and crontab libraries speak 5-field syntax.
 *
 * @example
 * parseSchedule('cron(0 3 * * ? *)'); // fires daily at 03:00 UTC
 */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (rate) {
    const minutes = Number(rate[1]) * (RATE_MINUTES[rate[2]!] ?? Number.NaN);
    if (!(minutes >= 1)) throw new Error(`schedule "${expression}": rate must be at least 1 minute`);
    return { kind: 'rate', minutes, expression };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new Error(`schedule "${expression}": expected cron(...) or rate(...)`);
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new Error(`schedule "${expression}": cron needs ${FIELDS.length} fields, got ${parts.length}`);
  }
  const fields = FIELDS.map((spec, i) => parseField(parts[i]!, spec, expression));
  return { kind: 'cron', fields, expression };
}

function parseField(
  text: string,
  spec: { name: string; min: number; max: number; names?: readonly string[] },
  expression: string,
): CronField {
  const fail = (why: string): never => {
    throw new Error(`schedule "${expression}": ${spec.name} field "${text}" ${why}`);
  };
  if (text === '?') {
    if (spec.name !== 'day-of-month' && spec.name !== 'day-of-week') fail('cannot be "?"');
    return undefined;
  }
  const withoutNames = spec.names
    ? text.toUpperCase().replace(new RegExp(spec.names.join('|'), 'g'), '')
    : text;
  if (/[LW#]/i.test(withoutNames)) fail('uses L, W or #, which this scheduler does not support');
  const value = (token: string): number => {
    const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!(n >= spec.min && n <= spec.max)) fail(`has "${token}" outside ${spec.min}-${spec.max}`);
    return n;
  };
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(Number.isInteger(step) && step >= 1)) fail(`has an invalid step "${stepText}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
      if (from > to) fail(`has a backwards range "${range}"`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) allowed.add(n);
  }
  return allowed;
}

/** True when the schedule fires in the UTC minute containing `at`. */
export function isDue(schedule: Schedule, at: Date): boolean {
  const minute = Math.floor(at.getTime() / 60_000);
  // Scheduler counts a rate from the schedule's creation; counting from the epoch keeps a
  // restarted container on the same beat.
  if (schedule.kind === 'rate') return minute % schedule.minutes === 0;
  const [minutes, hours, dom, month, dow, year] = schedule.fields;
  const has = (field: CronField, n: number) => field === undefined || field.has(n);
  return (
    has(minutes, at.getUTCMinutes()) &&
    has(hours, at.getUTCHours()) &&
    has(dom, at.getUTCDate()) &&
    has(month, at.getUTCMonth() + 1) &&
    has(dow, at.getUTCDay() + 1) &&
    has(year, at.getUTCFullYear())
  );
}

/** Reads and checks the schedule file; `undefined` while nothing has been deployed yet. */
export function readScheduleFile(path: string): ScheduleFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ScheduleFile>;
  for (const key of ['region', 'functionName', 'expression'] as const) {
    if (typeof parsed[key] !== 'string' || parsed[key] === '') {
      throw new Error(`${path}: "${key}" must be a non-empty string; rerun npm run local:deploy`);
    }
  }
  if (typeof parsed.payload !== 'object' || parsed.payload === null) {
    throw new Error(`${path}: "payload" must be an object; rerun npm run local:deploy`);
  }
  return parsed as ScheduleFile;
}

function log(level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}) {
  console.log(
    JSON.stringify({ time: new Date().toISOString(), level, service: 'scheduler', message, ...fields }),
  );
}

async function main() {
  const file = process.env['SCHEDULE_FILE'] ?? 'localstack/state/schedule.json';
  const endpoint = process.env['LOCALSTACK_ENDPOINT'] ?? 'http://localhost:4566';
  const override = process.env['TRAINING_SCHEDULE_OVERRIDE'] || undefined;
  const heartbeat = process.env['HEARTBEAT_FILE'] ?? '/tmp/scheduler-heartbeat';
  const clients = new Map<string, LambdaClient>();
  let lastState = '';
  // A restart or a late timer must not fire the same minute twice.
  let lastFiredMinute = -1;

  const tick = async () => {
    writeFileSync(heartbeat, new Date().toISOString());
    let config: ScheduleFile | undefined;
    try {
      config = readScheduleFile(file);
    } catch (error) {
      log('error', (error as Error).message);
      return;
    }
    const state = config ? `${config.functionName} ${override ?? config.expression}` : 'waiting';
    if (state !== lastState) {
      lastState = state;
      if (config)
        log('info', 'schedule loaded', {
          functionName: config.functionName,
          expression: override ?? config.expression,
        });
      else log('info', `no ${file} yet: run npm run local:deploy`);
    }
    if (!config) return;
    let schedule: Schedule;
    try {
      schedule = parseSchedule(override ?? config.expression);
    } catch (error) {
      log('error', (error as Error).message);
      return;
    }
    const now = new Date();
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute === lastFiredMinute || !isDue(schedule, now)) return;
    lastFiredMinute = minute;
    let client = clients.get(config.region);
    if (!client) {
      // LocalStack accepts any credentials; these keep the SDK from looking for real ones.
      client = new LambdaClient({
        endpoint,
        region: config.region,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      clients.set(config.region, client);
    }
    try {
      const result = await client.send(
        new InvokeCommand({
          FunctionName: config.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(config.payload)),
        }),
      );
      log('info', 'invoked', { functionName: config.functionName, status: result.StatusCode });
    } catch (error) {
      log('error', 'invoke failed', { functionName: config.functionName, error: (error as Error).message });
    }
  };

  // Tick at the start of every minute, so a cron minute is checked exactly once.
  const loop = async () => {
    await tick();
    setTimeout(loop, 60_000 - (Date.now() % 60_000) + 50);
  };
  // As PID 1 in its container, node would otherwise ignore `docker compose stop` for 10 s.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
  log('info', 'started', { endpoint, file });
  await loop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    log('error', (error as Error).message);
    process.exit(1);
  });
}
