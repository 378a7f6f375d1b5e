import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

/**
 * Builds the web console (console/src, Preact + TSX) with esbuild, the bundler the project
 * already uses for its Lambda functions. The output is not committed: `npm start`, the browser
 * tests and `cdk synth` call `ensureConsoleBuilt()`, which builds only when no build of the
 * current sources exists (~0.3 s when it does not). Builds are content-addressed,
 * `console/dist/<sources hash>/`, and appear by an atomic rename, so parallel test workers and a
 * running `npm start` never see a half-written one.
 */
export const CONSOLE_DIR = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');
/** Builds kept besides the current one (a running `npm start` may still serve an older one). */
const KEEP_BUILDS = 3;

/** The console's JavaScript budget, gzipped (test/console/build.test.ts, npm run bundle-size). */
export const CONSOLE_JS_BUDGET_GZIP_BYTES = 150 * 1024;

/** The built app.js, minified and gzipped (level 9), in bytes. */
export function consoleJsSizes(): { minified: number; gzipped: number } {
  const js = readFileSync(join(ensureConsoleBuilt().dir, 'app.js'));
  return { minified: js.length, gzipped: gzipSync(js, { level: 9 }).length };
}

export interface ConsoleBuild {
  readonly dir: string;
  readonly rebuilt: boolean;
  readonly hash: string;
}

function sourceFiles(dir = join(CONSOLE_DIR, 'src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : [path];
  });
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [...sourceFiles(), join(CONSOLE_DIR, 'index.html'), fileURLToPath(import.meta.url)].sort();
  for (const file of files) hash.update(file.slice(CONSOLE_DIR.length)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

export function ensureConsoleBuilt(options: { force?: boolean } = {}): ConsoleBuild {
  const hash = sourceHash();
  const dir = join(CONSOLE_DIST, hash);
  if (!options.force && existsSync(join(dir, 'index.html'))) return { dir, rebuilt: false, hash };
  mkdirSync(CONSOLE_DIST, { recursive: true });
  const tmp = mkdtempSync(join(CONSOLE_DIST, '.building-'));
  chmodSync(tmp, 0o755);
  try {
    buildSync({
      entryPoints: { app: join(CONSOLE_DIR, 'src', 'main.tsx') },
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      outdir: tmp,
      loader: { '.css': 'css' },
      legalComments: 'none',
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    writeFileSync(join(tmp, 'index.html'), readFileSync(join(CONSOLE_DIR, 'index.html')));
    if (options.force) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another process built the same sources first: theirs is identical.
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneOldBuilds(hash);
  return { dir, rebuilt: true, hash };
}

function pruneOldBuilds(current: string): void {
  const builds = readdirSync(CONSOLE_DIST, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== current)
    .map((e) => ({ path: join(CONSOLE_DIST, e.name), mtime: statSync(join(CONSOLE_DIST, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS - 1)) rmSync(old.path, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const build = ensureConsoleBuilt({ force: process.argv.includes('--force') });
  console.log(`console ${build.rebuilt ? 'built' : 'up to date'} in ${build.dir} (${build.hash})`);
}
