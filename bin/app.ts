#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../lib/config.js';
import { createMonitoring } from '../lib/monitoring-stack.js';
import { createPlatform } from '../lib/platform.js';

/**
 * The CDK app: reads and validates the context once, instantiates the stacks, and runs cdk-nag's
 * AWS Solutions checks over all of them (any unacknowledged finding fails the synth).
 *
 * Stacks, by lifecycle: storage (tables, bucket) → secrets (JWT key) → api (functions, HTTP API)
 * → schedule (training schedule + DLQ).
 *
 * Monitoring plug-in point: `createMonitoring` (lib/monitoring-stack.ts) takes the platform's
 * public resources as props: `platform.api.functions` ({ auth, predict, admin, docs, train }),
 * `platform.api.httpApi` / `apiStage`, `platform.storage.tables`, and
 * `platform.schedule.deadLetterQueue`.
 */
const app = new App();
const config = loadConfig(app);
const env = { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] };
const stackEnv = env.account || env.region ? env : undefined;
createMonitoring(app, config, createPlatform(app, config, stackEnv), stackEnv);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
