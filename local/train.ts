import { handler as train } from '../lambdas/train/handler.js';
import { startLocalRuntime } from './runtime.js';

/** `npm run train [-- --dataset builtin:wine --target cultivar --model wine]`: the train Lambda handler against the local emulators. */
async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runtime = await startLocalRuntime();
  try {
    const dataset = flag('dataset') ?? flag('data');
    const target = flag('target');
    const modelName = flag('model') ?? flag('model-name');
    const summary = await train({
      ...(dataset ? { dataset } : {}),
      ...(target ? { target } : {}),
      ...(modelName ? { modelName } : {}),
    });
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await runtime.stop();
  }
}

main().catch((error) => {
  console.error(`train: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
