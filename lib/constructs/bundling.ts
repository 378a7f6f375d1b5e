import type { BuildOptions } from 'esbuild';
import type { FunctionId as RouteFunctionId } from '../../core/api/routes.js';

/**
 * How every function is bundled, as plain data with no CDK import, so that the construct
 * (lib/constructs/project-function.ts) and scripts/bundle-size.ts use the very same options.
 */

/** ESM output cannot `require()`; some bundled CJS dependencies still do. Alias avoids clashes. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);";

export const FUNCTION_BUNDLING = {
  /** Matches the Lambda runtime (NODEJS_24_X, lib/constructs/project-function.ts). */
  target: 'node24',
  platform: 'node',
  format: 'esm',
  /** ESM on Lambda needs the .mjs extension (the package.json "type" is not shipped). */
  outFile: 'index.mjs',
  minify: true,
  sourceMap: true,
  /** Stack traces need only the mappings; sources would double the zip for nothing. */
  sourcesContent: false,
  /** Prefer ESM entry points so esbuild can tree-shake. */
  mainFields: ['module', 'main'],
  /**
   * Nothing external: the AWS SDK is bundled from its ESM builds and tree-shaken to the commands
   * a function uses, rather than loaded from the runtime's copy. Measured on the predict bundle
   * (node 20, this machine): importing it took ~700 ms with `@aws-sdk/*` external (the runtime's
   * CommonJS clients evaluate every command) and ~340 ms bundled, for +490 KB of JS. It also pins
   * the SDK version the tests ran against.
   */
  externalModules: [],
  banner: ESM_REQUIRE_BANNER,
} as const;

/**
 * Budget for predict's index.mjs (the wasm aside): its size is most of the import time at cold
 * start (V8 compiles the whole module before evaluating it). Checked by scripts/bundle-size.ts and
 * test/infra/bundling.test.ts.
 */
export const PREDICT_JS_BUDGET_BYTES = 1024 * 1024;

/** Every function: those the route table names (core/api/routes.ts), plus the train function. */
export type FunctionId = RouteFunctionId | 'train';

/**
 * Every function id, once. The type check below fails when core/api/routes.ts gains a function
 * that is missing here, so a new route function cannot be silently left undeployed.
 */
export const FUNCTION_IDS = [
  'auth',
  'predict',
  'admin',
  'docs',
  'train',
] as const satisfies readonly FunctionId[];
type MissingFunctionIds = Exclude<FunctionId, (typeof FUNCTION_IDS)[number]>;
const everyFunctionListed: [MissingFunctionIds] extends [never] ? true : MissingFunctionIds = true;
void everyFunctionListed;

/** @example functionIds(); // ['auth', 'predict', 'admin', 'docs', 'train'] */
export function functionIds(): FunctionId[] {
  return [...FUNCTION_IDS];
}

/**
 * One entry per function, `lambdas/<id>/handler.ts` exporting `handler`; each is bundled alone,
 * so a function only carries what its own imports reach.
 */
export function functionEntry(id: FunctionId): string {
  return `lambdas/${id}/handler.ts`;
}

/** A file or glob (relative to the project root) copied next to index.mjs after bundling. */
export interface BundledFile {
  readonly from: string;
  /** Directory inside the bundle; '' is the bundle root. */
  readonly to: string;
}

/**
 * Runtime files esbuild cannot see through imports.
 * - predict: onnxruntime-web's wasm backend fetches `ort-wasm-simd-threaded.wasm` (and, with the
 *   non-inlined build, imports the `.mjs` Emscripten loader) relative to `import.meta.url`, i.e.
 *   from the bundle root. The jsep/jspi/asyncify variants are WebGPU/JSPI builds we do not use.
 * - train: `builtin:<name>` datasets are read from `data/<name>.csv` in the bundle; it also scores the
 *   production model on a candidate's test rows through the same ONNX runtime as predict, so it
 *   ships the same wasm files.
 * - docs: the Swagger UI files are resolved through `swagger-ui-dist/package.json`; only the
 *   files the page loads are shipped (the whole package is 12 MB), not via `nodeModules`, which
 *   would run `npm install` during synth.
 */
const ONNX_RUNTIME_FILES: readonly BundledFile[] = [
  { from: 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm', to: '' },
  { from: 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', to: '' },
];

export const BUNDLED_FILES: Readonly<Partial<Record<FunctionId, readonly BundledFile[]>>> = {
  predict: ONNX_RUNTIME_FILES,
  train: [{ from: 'training/data/*.csv', to: 'data' }, ...ONNX_RUNTIME_FILES],
  docs: ['package.json', 'swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'].map((file) => ({
    from: `node_modules/swagger-ui-dist/${file}`,
    to: 'node_modules/swagger-ui-dist',
  })),
};

/**
 * Shell commands that copy {@link BundledFile}s into the bundle (CDK `afterBundling` hook).
 * `set -e` semantics: a missing file fails the synth rather than shipping a broken function.
 */
export function copyCommands(files: readonly BundledFile[], inputDir: string, outputDir: string): string[] {
  return files.map((file) => {
    const target = file.to === '' ? outputDir : `${outputDir}/${file.to}`;
    // The glob stays unquoted so the shell expands it; paths have no spaces (project layout).
    return `mkdir -p "${target}" && cp ${inputDir}/${file.from} "${target}/"`;
  });
}

/**
 * The same options for esbuild's JS API (scripts/bundle-size.ts).
 *
 * @example
 * await esbuild.build(esbuildOptions('lambdas/predict/handler.ts', 'cdk.out/size/predict'));
 */
export function esbuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    outfile: `${outdir}/${FUNCTION_BUNDLING.outFile}`,
    target: FUNCTION_BUNDLING.target,
    platform: FUNCTION_BUNDLING.platform,
    format: FUNCTION_BUNDLING.format,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.externalModules],
    banner: { js: FUNCTION_BUNDLING.banner },
    metafile: true,
    logLevel: 'warning',
  };
}
