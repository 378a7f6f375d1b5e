import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOWN_USAGE, parseDownArgs, UsageError } from '../localstack/deploy/cli.js';
import { defaultTier, localstackImage, readCompose } from '../localstack/deploy/compose.js';
import { downSteps, formatStep, OUTPUTS_FILE, SCHEDULE_FILE } from '../localstack/deploy/plan.js';
import { cdkCliVersion, checkPrerequisites, PrerequisiteError } from '../localstack/deploy/prerequisites.js';

/**
 * `npm run local:down`: destroys the stacks `local:deploy` created in LocalStack, removes the
 * state files the scheduler reads, and stops the compose services (`--volumes` also deletes
 * their data). Safe to run twice.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv: readonly string[]): Promise<void> {
  const args = parseDownArgs(argv);
  if (args.help) {
    console.log(DOWN_USAGE);
    return;
  }
  const image = localstackImage(readCompose(root), process.env);
  const tier = defaultTier(image);
  checkPrerequisites({
    env: process.env,
    image,
    tier,
    compose: args.compose,
    cdkVersion: cdkCliVersion(root),
    requireToken: false,
  });
  const { stackNames } = await import('../lib/platform.js');
  const { platformConfig, runStep, waitForLocalstack } = await import('../localstack/deploy/run.js');
  const config = platformConfig(root, args.stage);
  const [destroy, ...rest] = downSteps(
    { ...args, stage: config.stage, tier, bootstrap: false },
    stackNames(config.stage),
  );

  if (args.dryRun) {
    console.log('Dry run; would run:');
    for (const step of [destroy, ...rest]) {
      if (step) console.log(`  # ${step.title}\n  ${formatStep(step)}`);
    }
    console.log(`  # then remove ${SCHEDULE_FILE} and ${OUTPUTS_FILE}`);
    return;
  }

  let reachable = true;
  try {
    await waitForLocalstack(args.endpoint, 5_000);
  } catch {
    reachable = false;
    console.log(
      `LocalStack is not running at ${args.endpoint}: nothing to destroy (its state went with it).`,
    );
  }
  if (reachable && destroy) runStep(destroy, root);
  for (const file of [SCHEDULE_FILE, OUTPUTS_FILE]) rmSync(join(root, file), { force: true });
  for (const step of rest) runStep(step, root);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known =
    error instanceof UsageError ||
    error instanceof PrerequisiteError ||
    (error as { step?: unknown }).step !== undefined;
  console.error(`local:down: ${(error as Error).message ?? String(error)}`);
  if (!known && process.env['DEBUG']) console.error(error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
