#!/usr/bin/env node
import { App, Token, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../lib/config.js';
import { createApp } from '../lib/platform.js';
import { checkRegion, servicesFor } from '../lib/regions.js';

/**
 * The CDK app: reads and validates the context once, refuses a region that lacks a service the
 * configuration needs (lib/regions.ts), instantiates the six stacks (lib/platform.ts createApp:
 * storage, secrets, alerting, api, schedule, monitoring) and runs cdk-nag's AWS Solutions checks
 * over all of them (any unacknowledged finding fails the synth).
 */
const app = new App();
const config = loadConfig(app);
const env = { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] };
const region = env.region;
if (region && !Token.isUnresolved(region)) {
  const check = checkRegion(region, servicesFor(config));
  if (check.missing.length > 0) {
    console.error(`Cannot deploy to ${region}:\n${check.missing.map((m) => `  - ${m.message}`).join('\n')}`);
    process.exit(1);
  }
  if (check.unknown)
    console.warn(`Warning: region ${region} is not in lib/regions.ts; service support unchecked.`);
}
const stackEnv = env.account || env.region ? env : undefined;
createApp(app, config, stackEnv);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
