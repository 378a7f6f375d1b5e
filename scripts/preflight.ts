/**
 * Checks an account and region before `cdk deploy --all`: credentials, region support, CDK
 * bootstrap version, IAM Identity Center (with grafana=true), the alert email subscription and Lambda
 * concurrency; then lists what the deploy creates, from the synthesized templates. Read-only.
 *
 * Usage: npm run preflight -- --stage dev [--region eu-west-1] [-c alertEmail=you@example.com ...]
 */
import { parseArgs, synthesizeApp } from './app-templates.js';
import { defaultClients, formatReport, runPreflight } from './preflight-checks.js';

const { context, options } = parseArgs(process.argv.slice(2));
if (options['stage']) context['stage'] = options['stage'];
const region = options['region'] ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
if (!region) {
  console.error('No region: pass --region <region> or set AWS_REGION (the region you will deploy to).');
  process.exit(2);
}
try {
  const app = synthesizeApp(context, region);
  const report = await runPreflight({
    config: app.config,
    region,
    clients: defaultClients(region),
    stacks: app.stacks,
    ...(app.qualifier ? { qualifier: app.qualifier } : {}),
  });
  console.log(
    `Preflight for stage ${app.config.stage} in ${region}${report.account ? `, account ${report.account}` : ''}\n`,
  );
  console.log(formatReport(report));
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
