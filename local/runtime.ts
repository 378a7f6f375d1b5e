import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { s3Client } from '../core/aws/clients.js';
import { ENV } from '../core/config/env.js';
import { ARTIFACT_BUCKET, TABLES, type TableDefinition } from '../core/config/tables.js';
import { resetServices, runStore } from '../core/services/index.js';
import { setTrainingLauncher } from '../lambdas/admin/launcher.js';
import { logger } from '../lambdas/shared/logger.js';
import { type Emulators, emulatorEnvironment, startEmulators } from './emulators.js';
import { ensureBucket, ensureTables } from './provision.js';
import { repairS3Store } from './s3-repair.js';
import { WorkerTrainingLauncher } from './worker-launcher.js';

/**
 * The local stand-in for a deployed stage: embedded emulators with state under MLOPS_HOME
 * (default ./.mlops), and the same environment variables the CDK stacks set on the functions.
 * A second process (e.g. the CLI while `npm start` runs) attaches to the running emulators
 * through `runtime.json` instead of opening the same database twice.
 */
export interface LocalRuntime {
  readonly home: string;
  readonly env: Record<string, string>;
  /** True when this process started the emulators (and so must stop them). */
  readonly owner: boolean;
  /** The emulators this process started (owner only): stopping them alone simulates an AWS outage. */
  readonly emulators?: Emulators;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  readonly home?: string;
  /** Keep state in memory and a fresh temp dir instead of MLOPS_HOME, removed on stop (tests). */
  readonly ephemeral?: boolean;
  /** Extra variables, e.g. ALLOW_SELF_REGISTRATION for a test. */
  readonly env?: Record<string, string>;
  /** What start-up repaired (quarantined objects, abandoned runs). @default one `[mlops]` line each on stderr */
  readonly report?: (message: string) => void;
}

interface RuntimeFile {
  pid: number;
  dynamodbEndpoint: string;
  s3Endpoint: string;
}

export function mlopsHome(home?: string): string {
  return resolve(home ?? process.env['MLOPS_HOME'] ?? '.mlops');
}

/** Table, bucket and key-file settings for a local stage rooted at `home`. */
export function localStageEnv(home: string): Record<string, string> {
  const tables = Object.fromEntries(TABLES.map((t) => [ENV[t.envKey], t.localName]));
  return {
    ...tables,
    [ENV.artifactBucket]: ARTIFACT_BUCKET.localName,
    [ENV.jwtKeyFile]: join(home, 'jwt-keys.json'),
    [ENV.allowSelfRegistration]: process.env[ENV.allowSelfRegistration] ?? 'true',
    [ENV.stage]: 'local',
    [ENV.codeVersion]: process.env[ENV.codeVersion] ?? gitVersion(),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export async function startLocalRuntime(options: RuntimeOptions = {}): Promise<LocalRuntime> {
  const report = options.report ?? ((message: string) => process.stderr.write(`[mlops] ${message}\n`));
  const home = options.ephemeral ? mkdtempSync(join(tmpdir(), 'mlops-')) : mlopsHome(options.home);
  ensurePrivateDir(home, report);
  const runtimeFile = join(home, 'runtime.json');

  let emulators: Emulators | undefined;
  let endpoints: { dynamodbEndpoint: string; s3Endpoint: string };
  const running = options.ephemeral ? undefined : readRunning(runtimeFile);
  if (running) {
    endpoints = running;
  } else {
    // A runtime file nobody owns: the last owner was killed, not stopped.
    const unclean = !options.ephemeral && existsSync(runtimeFile);
    const quarantined = await repairS3Store(join(home, 's3'), join(home, 'quarantine', stamp(), 's3'), {
      verifyContent: unclean,
    });
    for (const q of quarantined) {
      report(`S3 object ${q.object} was half-written (${q.reason}); moved to ${q.movedTo}`);
    }
    emulators = await startEmulators({
      ...(options.ephemeral ? {} : { directory: home }),
      s3Directory: join(home, 's3'),
    }).catch((error: unknown) => {
      throw new Error(
        `the embedded emulators could not start on the state in ${home}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
    endpoints = emulators;
    if (!options.ephemeral) {
      writePrivateFile(runtimeFile, JSON.stringify({ pid: process.pid, ...endpoints } satisfies RuntimeFile));
    }
  }

  const env = {
    ...emulatorEnvironment(endpoints as Emulators),
    ...localStageEnv(home),
    ...(options.env ?? {}),
  };
  Object.assign(process.env, env);
  resetServices();
  // No train function locally: POST /train runs the same train handler in a worker thread.
  const launcher = new WorkerTrainingLauncher({ log: (message, fields) => logger.warn(message, fields) });
  setTrainingLauncher(launcher);

  if (emulators) {
    const ddb = new DynamoDBClient({});
    const names = Object.fromEntries(TABLES.map((t) => [t.id, t.localName])) as Record<
      TableDefinition['id'],
      string
    >;
    await ensureTables(ddb, names);
    ddb.destroy();
    await ensureBucket(s3Client(), ARTIFACT_BUCKET.localName);
    if (!options.ephemeral) await endOrphanedRuns(report);
  }

  return {
    home,
    env,
    owner: emulators !== undefined,
    ...(emulators ? { emulators } : {}),
    async stop() {
      await launcher.stop();
      resetServices();
      if (!emulators) return;
      await emulators.stop();
      if (options.ephemeral) rmSync(home, { recursive: true, force: true });
      else if (ownsRuntimeFile(runtimeFile)) rmSync(runtimeFile, { force: true });
    },
  };
}

/**
 * This process owns the emulators, so no other process can be training against this state: every
 * run still RUNNING was left by one that stopped (killed, or the machine went down).
 */
async function endOrphanedRuns(report: (message: string) => void): Promise<void> {
  const reason =
    'abandoned: still RUNNING when the local runtime started, so the process running it had stopped';
  const runs = [
    ...(await runStore().reap({ all: true, reason, limit: 1000 })),
    ...(await runStore().reapUnleased(reason)),
  ];
  if (runs.length > 0) {
    report(
      `${runs.length} run(s) left RUNNING by a stopped process marked ABANDONED: ${runs.map((r) => r.runId).join(', ')}`,
    );
  }
}

/**
 * The state folder holds password hashes, the signing key and every model: created 0700, and a
 * looser folder named by MLOPS_HOME is reported rather than silently changed.
 */
function ensurePrivateDir(home: string, report: (message: string) => void): void {
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    return;
  }
  const mode = statSync(home).mode & 0o777;
  if (mode & 0o077) {
    report(
      `${home} is readable by other users (mode ${mode.toString(8)}); chmod 700 it: it holds keys and password hashes`,
    );
  }
}

/** Written whole (temporary file, then rename) and readable by the owner only. */
function writePrivateFile(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, file);
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

function readRunning(file: string): RuntimeFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile;
    process.kill(info.pid, 0);
    return info.pid === process.pid ? undefined : info;
  } catch {
    return undefined; // stale file from a process that is gone
  }
}

/** The checkout's commit (with `-dirty` for local edits), recorded as every run's code version. */
function gitVersion(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${sha}-dirty` : sha;
  } catch {
    return 'dev';
  }
}

function ownsRuntimeFile(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile).pid === process.pid;
  } catch {
    return false;
  }
}
