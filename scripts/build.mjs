// Builds the CLI and `npm start` into compiled JavaScript once, so no command pays a TypeScript
// transpile at start-up. Plain JavaScript (not TypeScript) because it runs before anything is built.
//
//   node scripts/build.mjs             build now
//   node scripts/build.mjs --if-stale  build only when a source file changed since the last build
//   node scripts/build.mjs run <entry> build if stale, then run dist's <entry> (cli | start)
//
// Each build goes to its own dist/<id>/ and dist/current.json is swapped in by a rename, so
// processes that start while another one builds never see a half-written bundle.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CURRENT = join(DIST, 'current.json');
/** Bundled entry points (name → source). Everything else keeps running under tsx. */
const ENTRIES = { cli: 'cli/main.ts', start: 'local/start.ts' };
/**
 * Left to node_modules: the emulators (native LevelDB bindings, files they serve), onnxruntime-web (it
 * finds its wasm beside its own files), the CDK (only `--stage` loads it) and esbuild itself.
 * Everything else is bundled: resolving and compiling hundreds of small CommonJS files of the SDK was
 * most of a command's start-up (the same finding as the Lambda bundles, lib/constructs/bundling.ts).
 */
const EXTERNAL = [
  'dynalite',
  's3rver',
  'onnxruntime-web',
  'aws-cdk-lib',
  'aws-cdk-lib/*',
  'constructs',
  'cdk-nag',
  'esbuild',
  'swagger-ui-dist',
];
/** ESM output cannot `require()`; bundled CommonJS dependencies still do. */
const REQUIRE_BANNER =
  "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);";
/** Builds older than this are removed (a long-running `npm start` may still import chunks of its own). */
const KEEP_MS = 24 * 3600 * 1000;

function readCurrent() {
  try {
    return JSON.parse(readFileSync(CURRENT, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether there is no build, or a source it was built from changed after the build started. */
export function isStale(manifest = readCurrent()) {
  if (!manifest) return true;
  for (const input of manifest.inputs) {
    try {
      if (statSync(join(ROOT, input)).mtimeMs > manifest.builtAt) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export async function build() {
  const { build: esbuild } = await import('esbuild');
  const builtAt = Date.now();
  const id = `${builtAt.toString(36)}-${process.pid}`;
  const result = await esbuild({
    entryPoints: ENTRIES,
    absWorkingDir: ROOT,
    outdir: join(DIST, id),
    bundle: true,
    // Lazily imported modules (commands, emulators, handlers) become chunks loaded only when used.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const manifest = {
    id,
    builtAt,
    entries: Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, `${id}/${name}.js`])),
    // Our sources only: dependencies change with package.json (listed), not file by file.
    inputs: [
      ...Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/')),
      'scripts/build.mjs',
      'package.json',
      'package-lock.json',
    ],
  };
  // Which sources and dependencies each output file holds (esbuild's metafile): for size questions,
  // and for the test that --help loads no dependency.
  writeFileSync(join(DIST, id, 'meta.json'), JSON.stringify(result.metafile));
  mkdirSync(DIST, { recursive: true });
  const temp = `${CURRENT}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(manifest));
  renameSync(temp, CURRENT);
  for (const entry of readdirSync(DIST, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === id) continue;
    const stamp = Number.parseInt(entry.name.split('-')[0], 36);
    if (!(builtAt - stamp < KEEP_MS)) rmSync(join(DIST, entry.name), { recursive: true, force: true });
  }
  return manifest;
}

export async function ensureBuilt() {
  const manifest = readCurrent();
  return isStale(manifest) ? build() : manifest;
}

/** Builds if stale, then runs a bundled entry in this process (its process.argv as given to node). */
export async function launch(entry) {
  const manifest = await ensureBuilt();
  await import(pathToFileURL(join(DIST, manifest.entries[entry])).href);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [command, entry] = process.argv.slice(2);
  if (command === 'run') {
    process.argv.splice(2, 2);
    await launch(entry);
  } else if (command === '--if-stale') await ensureBuilt();
  else await build();
}
