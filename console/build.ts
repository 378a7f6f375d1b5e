import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

/**
 * Builds the web console (console/src, Preact + TSX) into console/dist with esbuild, the bundler
 * the project already uses for its Lambda functions. The output is not committed: `npm start`,
 * the browser tests and `cdk synth` call `ensureConsoleBuilt()`, which rebuilds only when the
 * sources' hash differs from the one recorded in dist/build.json (~0.2 s when it does).
 */
export const CONSOLE_DIR = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

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
  const stamp = join(CONSOLE_DIST, 'build.json');
  if (!options.force && existsSync(stamp)) {
    const built = JSON.parse(readFileSync(stamp, 'utf8')) as { hash?: string };
    if (built.hash === hash) return { dir: CONSOLE_DIST, rebuilt: false, hash };
  }
  rmSync(CONSOLE_DIST, { recursive: true, force: true });
  mkdirSync(CONSOLE_DIST, { recursive: true });
  buildSync({
    entryPoints: { app: join(CONSOLE_DIR, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: CONSOLE_DIST,
    loader: { '.css': 'css' },
    legalComments: 'none',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  writeFileSync(join(CONSOLE_DIST, 'index.html'), readFileSync(join(CONSOLE_DIR, 'index.html')));
  writeFileSync(stamp, JSON.stringify({ hash, builtAt: new Date().toISOString() }));
  return { dir: CONSOLE_DIST, rebuilt: true, hash };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const build = ensureConsoleBuilt({ force: process.argv.includes('--force') });
  console.log(`console ${build.rebuilt ? 'built' : 'up to date'} in ${build.dir} (${build.hash})`);
}
