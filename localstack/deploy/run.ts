import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig, type PlatformConfig } from '../../lib/config.js';
import { formatStep, LOCALSTACK_ACCOUNT, type Step } from './plan.js';

/** A step that exited non-zero; the message names the command so it can be rerun by hand. */
export class StepFailedError extends Error {
  constructor(
    readonly step: Step,
    readonly status: number | null,
  ) {
    super(`${step.title} failed (exit ${status ?? 'signal'}): ${formatStep(step)}`);
    this.name = 'StepFailedError';
  }
}

/** Runs one step with the terminal attached, so cdk's and docker's progress stays visible. */
export function runStep(step: Step, cwd: string, baseEnv: NodeJS.ProcessEnv = process.env): void {
  const env: NodeJS.ProcessEnv = { ...baseEnv, ...step.env };
  for (const name of step.unset ?? []) delete env[name];
  console.log(`\n▶ ${step.title}\n  ${formatStep(step)}`);
  const result = spawnSync(step.command, step.args, { cwd, env, stdio: 'inherit' });
  if (result.error) throw new StepFailedError(step, null);
  if (result.status !== 0) throw new StepFailedError(step, result.status);
}

/** The app's validated config, from cdk.json's context as `cdk` itself would read it (plus `-c stage`). */
export function platformConfig(root: string, stage?: string): PlatformConfig {
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const context: Record<string, unknown> = { ...cdkJson.context, ...(stage ? { stage } : {}) };
  return loadConfig({ node: { tryGetContext: (key: string) => context[key] } });
}

/** Whether an npm script is defined, so a missing one is reported instead of failing obscurely. */
export function hasNpmScript(root: string, name: string): boolean {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  return typeof pkg.scripts?.[name] === 'string';
}

/**
 * Fails fast, with the fix, when `*.localhost.localstack.cloud` does not resolve to loopback
 * (offline, or a resolver that filters answers pointing at 127.0.0.1: "DNS rebinding protection").
 */
export async function checkLocalstackDns(endpoint: string): Promise<void> {
  const host = new URL(endpoint).hostname;
  if (!host.endsWith('localhost.localstack.cloud')) return;
  let address: string;
  try {
    ({ address } = await lookup(host));
  } catch {
    address = '';
  }
  if (address !== '127.0.0.1' && address !== '::1') {
    throw new Error(
      `${host} does not resolve to 127.0.0.1 (offline or DNS rebinding protection?): add ` +
        `"127.0.0.1 ${host} s3.${host} cdk-hnb659fds-assets-${LOCALSTACK_ACCOUNT}-us-east-1.s3.${host}" to ` +
        '/etc/hosts (see docs/localstack.md, Troubleshooting)',
    );
  }
}

/** Waits for LocalStack's health endpoint, naming the URL when it never answers. */
export async function waitForLocalstack(endpoint: string, timeoutMs = 60_000): Promise<void> {
  const url = `${endpoint}/_localstack/health`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(
    `LocalStack does not answer at ${url} (${last}): start it with docker compose up -d --wait`,
  );
}

/**
 * The deployed name of a stack's function, found by the construct id it was created under
 * (`TrainFunction` in lib/api-stack.ts), so no stack output has to exist for it.
 */
export async function functionPhysicalName(
  options: { endpoint: string; region: string },
  stackName: string,
  constructId: string,
): Promise<string> {
  const client = new CloudFormationClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for await (const page of paginateListStackResources({ client }, { StackName: stackName })) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (
        resource.ResourceType === 'AWS::Lambda::Function' &&
        resource.LogicalResourceId?.startsWith(constructId) &&
        resource.PhysicalResourceId
      ) {
        return resource.PhysicalResourceId;
      }
    }
  }
  throw new Error(`stack ${stackName} has no Lambda function created as ${constructId}`);
}

/**
 * Invokes a function and waits for its result, as the schedule would (but synchronously), so the
 * smoke test finds a model in production. A function error is thrown with the function's message.
 */
export async function invokeAndWait(
  options: { endpoint: string; region: string },
  functionName: string,
  payload: unknown,
): Promise<unknown> {
  const client = new LambdaClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const result = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (result.FunctionError) {
    const message = (body as { errorMessage?: string } | undefined)?.errorMessage ?? text;
    throw new Error(`${functionName} failed (${result.FunctionError}): ${message}`);
  }
  return body;
}
