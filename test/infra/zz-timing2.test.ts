import { App } from 'aws-cdk-lib';
import { loadConfig } from '../../lib/config.js';
import { createPlatform } from '../../lib/platform.js';
import { DEFAULT_CONTEXT } from './builders.js';
test('t', () => {
  let t = performance.now();
  const lap = (l: string) => { const n = performance.now(); console.log(l, Math.round(n - t)); t = n; };
  const app = new App({ context: { ...DEFAULT_CONTEXT, stage: 'prod', alertEmail: 'a@b.co', 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig(app);
  createPlatform(app, config); lap('platform');
  app.synth(); lap('synth');
});
