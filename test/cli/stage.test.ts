import type { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { stageEnvironment } from '../../cli/backend.js';
import { describeFailure } from '../../cli/errors.js';
import { ENV } from '../../core/config/env.js';
import { STORAGE_OUTPUTS } from '../../lib/storage-stack.js';

/** A CloudFormation stand-in: the one fault/answer the emulators cannot give us (no CloudFormation locally). */
function fakeCloudFormation(answer: (stackName: string) => unknown) {
  const asked: string[] = [];
  const client = {
    send: async (command: DescribeStacksCommand) => {
      asked.push(command.input.StackName!);
      return answer(command.input.StackName!);
    },
    destroy: () => {},
  } as unknown as Pick<CloudFormationClient, 'send' | 'destroy'>;
  return { client, asked };
}

describe('--stage: names from the storage stack outputs', () => {
  it('maps every output to the environment variable the services read', async () => {
    const outputs = [
      { OutputKey: STORAGE_OUTPUTS.users, OutputValue: 'users-tbl' },
      { OutputKey: STORAGE_OUTPUTS.registry, OutputValue: 'registry-tbl' },
      { OutputKey: STORAGE_OUTPUTS.runs, OutputValue: 'runs-tbl' },
      { OutputKey: STORAGE_OUTPUTS.artifactBucket, OutputValue: 'artifact-bkt' },
    ];
    const { client, asked } = fakeCloudFormation(() => ({ Stacks: [{ Outputs: outputs }] }));
    const env = await stageEnvironment('dev', client);
    expect(asked).toEqual(['mlops-dev-storage']);
    expect(env).toEqual({
      [ENV.stage]: 'dev',
      [ENV.usersTable]: 'users-tbl',
      [ENV.registryTable]: 'registry-tbl',
      [ENV.runsTable]: 'runs-tbl',
      [ENV.artifactBucket]: 'artifact-bkt',
    });
  });

  it('a missing stack or output is one clear line', async () => {
    const missing = fakeCloudFormation(() => {
      throw Object.assign(new Error('Stack with id mlops-qa-storage does not exist'), {
        name: 'ValidationError',
      });
    });
    const error = await stageEnvironment('qa', missing.client).catch((e: unknown) => e);
    expect(describeFailure(error)).toEqual({
      message: 'stage "qa" is not deployed (no CloudFormation stack mlops-qa-storage)',
      status: 1,
    });
    const partial = fakeCloudFormation(() => ({ Stacks: [{ Outputs: [] }] }));
    await expect(stageEnvironment('dev', partial.client)).rejects.toThrow(/has no output UsersTableName/);
    await expect(stageEnvironment('bad stage!', partial.client)).rejects.toThrow(/invalid stage name/);
  });
});
