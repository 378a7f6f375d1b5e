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
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CURRENT = join(DIST, 'current.json');
/** Bundled entry points (name → source). Everything else keeps running under tsx. */
const ENTRIES = {
  cli: 'cli/main.ts',
  start: 'local/start.ts',
  // Started by local/worker-launcher.ts from beside itself: every output shares one directory.
  'training-worker': 'local/training-worker.ts',
};
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
/**
 * Our modules find files relative to themselves (`new URL('./x', import.meta.url)`: the console's sources,
 * the alert rules, the project root of the CDK helpers). In a bundle that would be relative to
 * dist/<build>/, so each of our sources sees its own location instead: `import.meta.url`, `.dirname` and
 * `.filename` in code (not in strings, comments or regular expressions) become the source file's.
 * Dependencies are left alone.
 */
const sourceImportMeta = {
  name: 'source-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.')) return undefined;
      const values = {
        url: JSON.stringify(pathToFileURL(args.path).href),
        dirname: JSON.stringify(dirname(args.path)),
        filename: JSON.stringify(args.path),
      };
      const loader = args.path.endsWith('.tsx') ? 'tsx' : args.path.endsWith('.ts') ? 'ts' : 'js';
      return { contents: replaceImportMeta(text, values), loader };
    });
  },
};

/** Replaces import.meta.<key> in code, skipping strings, template literals, comments and regex literals. */
export function replaceImportMeta(text, values) {
  let out = '';
  let i = 0;
  let last = '';
  const n = text.length;
  const skipTo = (end) => {
    out += text.slice(i, end);
    i = end;
  };
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      skipTo(end < 0 ? n : end);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      skipTo(end < 0 ? n : end + 2);
      continue;
    }
    // A slash after an operator or bracket starts a regular expression, not a division.
    if (c === '"' || c === "'" || c === '`' || (c === '/' && /^$|[(,=:[!&|?{};+\-*%<>~^]$/.test(last))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && (text[j] !== c || inClass)) {
        if (text[j] === '\\') j++;
        else if (c === '/' && text[j] === '[') inClass = true;
        else if (c === '/' && text[j] === ']') inClass = false;
        else if (c === '/' && text[j] === '\n') break;
        j++;
      }
      skipTo(Math.min(j + 1, n));
      last = c;
      continue;
    }
    if (text.startsWith('import.meta.', i)) {
      const key = Object.keys(values).find(
        (k) => text.startsWith(k, i + 12) && !/[\w$]/.test(text[i + 12 + k.length] ?? ''),
      );
      if (key) {
        out += values[key];
        i += 12 + key.length;
        last = 'x';
        continue;
      }
    }
    out += c;
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return out;
}

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
  if (!manifest || manifest.root !== ROOT) return true;
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
    minify: true,
    banner: { js: REQUIRE_BANNER },
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    plugins: [sourceImportMeta],
    // Where this build's files are, for the one module that starts another of them (the training worker).
    define: { __MLOPS_BUNDLE_DIR__: JSON.stringify(join(DIST, id)) },
    logLevel: 'warning',
  });
  const manifest = {
    id,
    builtAt,
    // Paths of the sources are in the bundle: a moved checkout needs a new build.
    root: ROOT,
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
