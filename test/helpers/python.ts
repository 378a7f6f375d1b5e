import { spawnSync } from 'node:child_process';

/** Debian's interpreter: the one apt's python3-onnx / python3-sklearn install into (not a pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3';
const INSTALL = 'apt-get install python3-onnx python3-sklearn (as .ci/run does)';

/** Whether /usr/bin/python3 can import every module named. */
export function pythonHas(...modules: string[]): boolean {
  const probe = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * `test` when /usr/bin/python3 has the modules; otherwise, under CI (which installs them), a test that
 * fails saying what is missing, and elsewhere `test.skip` with a warning naming the install step.
 */
export function withPython(...modules: string[]): jest.It {
  if (pythonHas(...modules)) return test;
  const missing = `${PYTHON} cannot import ${modules.join(', ')}`;
  if (process.env['CI']) {
    return ((name: string) =>
      test(name, () => {
        throw new Error(`${missing}; CI installs them: ${INSTALL}`);
      })) as unknown as jest.It;
  }
  console.warn(`[python] ${missing}: these checks are SKIPPED. Install: ${INSTALL}`);
  return test.skip;
}

/** Runs a Python script with /usr/bin/python3 and returns its stdout parsed as JSON. */
export function runPythonJson<T>(args: string[], input?: string): T {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', input, maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`${PYTHON} ${args[0]} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
