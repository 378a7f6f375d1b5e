import { mockClient } from 'aws-sdk-client-mock';

/**
 * Makes an SDK client fail the commands `fails` picks with `error` — faults the emulators cannot
 * produce (throttling, timeouts, a write failing at one precise step) — while every other command
 * still reaches the emulator. The one place a client mock is right: the code under test is ours,
 * the mocked part is AWS misbehaving. `restore()` puts the client back.
 */
export function faulty(
  client: { send: (...args: never[]) => unknown },
  fails: (command: unknown) => boolean,
  error: () => Error,
): { calls: () => number; restore: () => void } {
  const original = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const mock = mockClient(client as never);
  let calls = 0;
  // On the stubbed `send` itself: it receives the command (AwsStub.callsFake gets only its input).
  mock.send.callsFake(async (command: unknown) => {
    if (fails(command)) {
      calls++;
      throw error();
    }
    return (await original(command)) as { $metadata: object };
  });
  return { calls: () => calls, restore: () => mock.restore() };
}

export const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $retryable: { throttling: true },
  });
export const timeout = () => Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
