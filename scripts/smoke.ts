import { parseArgs } from 'node:util';
import { runSmoke } from './smoke-steps.js';

/** `npm run smoke -- --url <api url> [--username u --password p] [--features 5.1,3.5,1.4,0.2]` */
async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env['MLOPS_API_URL'] ?? 'http://127.0.0.1:8000' },
      username: { type: 'string', default: process.env['MLOPS_SMOKE_USER'] ?? 'smoke-test' },
      password: { type: 'string', default: process.env['MLOPS_SMOKE_PASSWORD'] ?? 'ready-to-serve-42' },
      features: { type: 'string', default: '5.1,3.5,1.4,0.2' },
    },
  });
  const features = values.features.split(',').map(Number);
  if (features.some((f) => !Number.isFinite(f)))
    throw new Error(`--features must be comma-separated numbers, got "${values.features}"`);
  console.log(`smoke test against ${values.url}`);
  const results = await runSmoke(
    { url: values.url, username: values.username, password: values.password, features },
    (r) => console.log(`  ${r.skipped ? 'SKIP' : r.ok ? 'PASS' : 'FAIL'}  ${r.step.padEnd(12)} ${r.detail}`),
  );
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed === 0 ? 'smoke: all steps passed' : `smoke: ${failed} step(s) failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
