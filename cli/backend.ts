import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ENV, optionalEnv } from '../core/config/env.js';
import { TABLES } from '../core/config/tables.js';
import { resetServices } from '../core/services/index.js';
import { startLocalRuntime } from '../local/runtime.js';

export interface Backend {
  /** `local`, or the deployed stage the CLI talks to. */
  readonly stage: string;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Points the core services at a stage. Local (default): attach to the emulators of a running
 * `npm start` (via MLOPS_HOME/runtime.json) or start them for this command. Deployed
 * (`--stage <name>` or MLOPS_STAGE): table and bucket names from the storage stack's outputs;
 * the SDK finds region and credentials as usual. Either way the same core code runs.
 */
export async function connect(stageFlag: string | undefined): Promise<Backend> {
  const stage = stageFlag ?? optionalEnv('stage') ?? 'local';
  if (stage === 'local') {
    const runtime = await startLocalRuntime();
    return {
      stage,
      description: runtime.owner
        ? `local emulators (state in ${runtime.home})`
        : `running "npm start" (${runtime.home})`,
      close: () => runtime.stop(),
    };
  }
  const env = await stageEnvironment(stage);
  Object.assign(process.env, env);
  resetServices();
  return { stage, description: `stage ${stage}`, close: async () => resetServices() };
}

/** Environment variables for a deployed stage, read from its storage stack's CloudFormation outputs. */
export async function stageEnvironment(
  stage: string,
  client: Pick<CloudFormationClient, 'send' | 'destroy'> = new CloudFormationClient({}),
): Promise<Record<string, string>> {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(stage)) throw new Error(`invalid stage name "${stage}"`);
  // Loaded only here: lib/ pulls in aws-cdk-lib, which local commands should not pay for.
  const [{ stackNames }, { STORAGE_OUTPUTS }] = await Promise.all([
    import('../lib/platform.js'),
    import('../lib/storage-stack.js'),
  ]);
  const stackName = stackNames(stage as never).storage;
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = new Map((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const read = (key: string) => {
      const value = outputs.get(key);
      if (!value)
        throw new Error(`stack ${stackName} has no output ${key}; is the stage deployed with this version?`);
      return value;
    };
    const env: Record<string, string> = { [ENV.stage]: stage };
    for (const table of TABLES) env[ENV[table.envKey]] = read(STORAGE_OUTPUTS[table.id]);
    env[ENV.artifactBucket] = read(STORAGE_OUTPUTS.artifactBucket);
    return env;
  } catch (error) {
    if ((error as { name?: string }).name === 'ValidationError') {
      throw new Error(`stage "${stage}" is not deployed (no CloudFormation stack ${stackName})`);
    }
    throw error;
  } finally {
    client.destroy();
  }
}
