/**
 * Bundles every function's entry with esbuild using exactly the options of the CDK construct
 * (lib/constructs/bundling.ts), prints each bundle's JS size and the files shipped beside it, and
 * the five largest inputs of the predict bundle (from esbuild's metafile). Exits 1 when predict's
 * JS (wasm aside) reaches its budget (PREDICT_JS_BUDGET_BYTES).
 *
 * Usage: npx tsx scripts/bundle-size.ts [--json]
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { CONSOLE_JS_BUDGET_GZIP_BYTES, consoleJsSizes } from '../console/build.js';
import {
  BUNDLED_FILES,
  esbuildOptions,
  FUNCTION_BUNDLING,
  type FunctionId,
  functionEntry,
  functionIds,
  PREDICT_JS_BUDGET_BYTES,
} from '../lib/constructs/bundling.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'cdk.out', 'bundle-size');

interface FunctionSize {
  readonly id: FunctionId;
  readonly jsBytes: number;
  readonly mapBytes: number;
  /** Files copied beside the bundle (wasm, datasets, Swagger UI), by path. */
  readonly shipped: Record<string, number>;
  readonly topInputs: { path: string; bytes: number }[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function measure(id: FunctionId): Promise<FunctionSize> {
  const outdir = join(OUT, id);
  const result = await esbuild.build({
    ...esbuildOptions(join(ROOT, functionEntry(id)), outdir),
    absWorkingDir: ROOT,
  });
  const js = join(outdir, FUNCTION_BUNDLING.outFile);
  const output =
    result.metafile!.outputs[Object.keys(result.metafile!.outputs).find((o) => o.endsWith('.mjs'))!]!;
  const topInputs = Object.entries(output.inputs)
    .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  const shipped: Record<string, number> = {};
  for (const file of BUNDLED_FILES[id] ?? []) {
    for (const path of expand(file.from)) shipped[path] = statSync(join(ROOT, path)).size;
  }
  return { id, jsBytes: statSync(js).size, mapBytes: statSync(`${js}.map`).size, shipped, topInputs };
}

/** Expands the only glob form BUNDLED_FILES uses, `dir/*.ext` (Node 20 has no fs.globSync). */
function expand(pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const name = new RegExp(
    `^${pattern
      .slice(dir.length + 1)
      .replace(/[.]/g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  return readdirSync(join(ROOT, dir))
    .filter((file) => name.test(file))
    .map((file) => `${dir}/${file}`);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const sizes = await Promise.all(functionIds().map(measure));

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(sizes, null, 2));
} else {
  console.log(
    `Function bundles (esbuild ${esbuild.version}, ${FUNCTION_BUNDLING.format}, minify, target ${FUNCTION_BUNDLING.target}, external: ${FUNCTION_BUNDLING.externalModules.join(' ') || 'none'})\n`,
  );
  console.log('| function | index.mjs | source map | shipped beside it |');
  console.log('|---|---:|---:|---|');
  for (const size of sizes) {
    const shipped = Object.entries(size.shipped);
    const extra =
      shipped.length === 0
        ? '-'
        : shipped.length <= 2
          ? shipped.map(([path, bytes]) => `${path.split('/').pop()} ${mb(bytes)}`).join(', ')
          : `${shipped.length} files, ${mb(shipped.reduce((sum, [, bytes]) => sum + bytes, 0))}`;
    console.log(`| ${size.id} | ${kb(size.jsBytes)} | ${kb(size.mapBytes)} | ${extra} |`);
  }
  const predict = sizes.find((size) => size.id === 'predict')!;
  console.log('\nTop 5 inputs of predict by bytes in output:\n');
  console.log('| input | bytes |');
  console.log('|---|---:|');
  for (const input of predict.topInputs) console.log(`| ${input.path} | ${kb(input.bytes)} |`);
  const web = consoleJsSizes();
  console.log(
    `\nWeb console app.js: ${kb(web.minified)} minified, ${kb(web.gzipped)} gzipped (budget ${kb(CONSOLE_JS_BUDGET_GZIP_BYTES)} gzipped)`,
  );
}

if (consoleJsSizes().gzipped >= CONSOLE_JS_BUDGET_GZIP_BYTES) {
  console.error(`\nthe console's app.js is over its ${kb(CONSOLE_JS_BUDGET_GZIP_BYTES)} gzipped budget`);
  process.exit(1);
}
const predict = sizes.find((size) => size.id === 'predict')!;
if (predict.jsBytes >= PREDICT_JS_BUDGET_BYTES) {
  console.error(
    `\npredict index.mjs is ${kb(predict.jsBytes)}, over its ${kb(PREDICT_JS_BUDGET_BYTES)} budget (wasm aside)`,
  );
  process.exit(1);
}
