import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEPLOY_USAGE, parseDeployArgs, UsageError } from '../localstack/deploy/cli.js';
import { defaultTier, localstackImage, readCompose } from '../localstack/deploy/compose.js';
import { localApiUrl, readOutputs, requireOutput } from '../localstack/deploy/outputs.js';
import {
  deploySteps,
  formatStep,
  OUTPUTS_FILE,
  SCHEDULE_FILE,
  TIER_STACKS,
} from '../localstack/deploy/plan.js';
import { cdkCliVersion, checkPrerequisites, PrerequisiteError } from '../localstack/deploy/prerequisites.js';
import type { ScheduleFile } from '../localstack/scheduler/scheduler.js';

/**
 * `npm run local:deploy`: the CDK app deployed into the docker-compose LocalStack, a first model
 * trained by the deployed train function, then the API URL and the smoke test. Every command is
 * printed before it runs (`--dry-run` prints them all), so a failed step can be rerun by hand.
 * See docs/localstack.md.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The construct id of the train function in lib/api-stack.ts (`${pascal(functionId)}Function`). */
const TRAIN_FUNCTION_ID = 'TrainFunction';

async function main(argv: readonly string[]): Promise<void> {
  const args = parseDeployArgs(argv);
  if (args.help) {
    console.log(DEPLOY_USAGE);
    return;
  }
  const image = localstackImage(readCompose(root), process.env);
  const tier = args.tier ?? defaultTier(image);
  checkPrerequisites({
    env: process.env,
    image,
    tier,
    compose: args.compose,
    cdkVersion: cdkCliVersion(root),
  });

  // Loaded after the checks: aws-cdk-lib takes seconds to import, a missing prerequisite should not.
  const { API_OUTPUTS } = await import('../lib/api-stack.js');
  const { stackNames } = await import('../lib/platform.js');
  const { trainingPayload } = await import('../lib/schedule-stack.js');
  const run = await import('../localstack/deploy/run.js');

  const config = run.platformConfig(root, args.stage);
  const names = stackNames(config.stage);
  const steps = deploySteps({ ...args, stage: config.stage, tier }, names);
  const deploysApi = TIER_STACKS[tier].includes('api');
  const payload = trainingPayload(config);

  console.log(
    `LocalStack image ${image}, tier ${tier}: stacks ${TIER_STACKS[tier].map((k) => names[k]).join(', ')}`,
  );
  if (!deploysApi) {
    console.log(
      `Tier ${tier} has no API Gateway v2 (HTTP APIs need a paid plan): the api and schedule stacks are ` +
        'skipped; serve the API with npm start.',
    );
  }

  if (args.dryRun) {
    console.log('\nDry run; would run:');
    for (const step of steps) console.log(`  # ${step.title}\n  ${formatStep(step)}`);
    if (deploysApi) {
      console.log(
        `  # then: read ${API_OUTPUTS.apiUrl} of ${names.api} from ${OUTPUTS_FILE}, write ${SCHEDULE_FILE}`,
      );
      if (args.train) console.log(`  # then: invoke the train function with ${JSON.stringify(payload)}`);
      console.log(
        args.smoke ? '  npm run smoke -- --url <api url>' : '  # smoke test skipped (--skip-smoke)',
      );
    }
    return;
  }

  await run.checkLocalstackDns(args.endpoint);
  const [first, ...rest] = steps;
  if (args.compose && first) run.runStep(first, root);
  await run.waitForLocalstack(args.endpoint);
  mkdirSync(join(root, dirname(OUTPUTS_FILE)), { recursive: true });
  for (const step of args.compose ? rest : steps) run.runStep(step, root);

  if (!deploysApi) {
    console.log('\nDeployed. No API on this tier: run npm start for the API (see docs/localstack.md).');
    return;
  }

  const outputs = readOutputs(join(root, OUTPUTS_FILE));
  const apiUrl = localApiUrl(requireOutput(outputs, names.api, API_OUTPUTS.apiUrl), args.endpoint);
  const schedule: ScheduleFile = {
    region: args.region,
    functionName: await run.functionPhysicalName(args, names.api, TRAIN_FUNCTION_ID),
    expression: config.trainingSchedule,
    payload,
  };
  writeFileSync(join(root, SCHEDULE_FILE), `${JSON.stringify(schedule, null, 2)}\n`);

  if (args.train) {
    // What the schedule would do at its next run, now and synchronously: the smoke test needs a model.
    console.log(`\n▶ train a first model: ${schedule.functionName} ${JSON.stringify(payload)}`);
    const summary = (await run.invokeAndWait(args, schedule.functionName, payload)) as Record<
      string,
      unknown
    >;
    console.log(
      `  registered ${String(summary['modelName'])} v${String(summary['version'])} (${String(summary['alias'])})`,
    );
  }

  console.log(`\nAPI        ${apiUrl}`);
  console.log(`Schedule   ${schedule.expression} → ${schedule.functionName} (scheduler container)`);
  console.log('Grafana    http://127.0.0.1:3000   Prometheus http://127.0.0.1:9090');
  console.log('Alerts     http://127.0.0.1:9093   Mail       http://127.0.0.1:8025');

  if (!args.smoke) return;
  if (!run.hasNpmScript(root, 'smoke')) {
    console.error('\nSKIPPED smoke test: package.json has no "smoke" script (npm run smoke -- --url <url>).');
    process.exitCode = 1;
    return;
  }
  run.runStep({ title: 'smoke test', command: 'npm', args: ['run', 'smoke', '--', '--url', apiUrl] }, root);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const failedStep = (error as { step?: { args: readonly string[] } }).step;
  const known = error instanceof UsageError || error instanceof PrerequisiteError || failedStep !== undefined;
  console.error(`local:deploy: ${(error as Error).message ?? String(error)}`);
  if (failedStep?.args.includes('bootstrap')) {
    console.error(
      "  hint: a free plan may refuse the toolkit stack's ECR repository; see docs/localstack.md",
    );
  }
  if (failedStep?.args.includes('deploy')) {
    console.error('  hint: on a Hobby (free) plan rerun with --tier hobby; HTTP APIs need a paid plan');
  }
  if (!known && process.env['DEBUG']) console.error(error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
