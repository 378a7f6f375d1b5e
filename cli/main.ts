import './quiet.js';
import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import type { COMMANDS as CommandList } from './commands/index.js';
import { describeFailure, UsageError } from './errors.js';

const GLOBAL_OPTIONS = {
  stage: { type: 'string', help: 'a deployed stage (CloudFormation outputs) instead of the local emulators' },
  json: { type: 'boolean', help: 'machine-readable output' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const;

let COMMANDS: typeof CommandList = [];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mlops: train, track, register and serve tabular models',
    '',
    'usage: mlops <command> [options]   (mlops <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Local emulators by default (attaches to a running "npm start"); --stage <name> for a deployed stack.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const options = { ...(command.options ?? {}), ...GLOBAL_OPTIONS };
  const lines = Object.entries(options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(24)}  ${'help' in spec ? (spec.help ?? '') : ''}`;
  });
  return [`usage: mlops ${command.usage}`, '', command.summary, '', 'options:', ...lines].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  ({ COMMANDS } = await import('./commands/index.js'));
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"; run "mlops --help" for the list`);
  const { values, positionals } = parseArgs({
    args: [...rest],
    options: { ...(command.options ?? {}), ...GLOBAL_OPTIONS } as never,
    allowPositionals: true,
    strict: true,
  });
  const flags = values as Record<string, string | boolean | string[] | undefined>;
  if (flags['help']) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  // Loaded on demand: the emulators and SDK are not needed for --help or a usage error.
  const backend =
    command.needsBackend === false
      ? undefined
      : await (await import('./backend.js')).connect(flags['stage'] as string | undefined);
  try {
    await command.run({ values: flags, positionals, json: flags['json'] === true });
  } finally {
    await backend?.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  // Explicit exit: warm ONNX sessions and SDK keep-alive sockets would otherwise hold the process
  // open. stdout/stderr writes are synchronous on Linux for files, pipes and TTYs, so nothing is lost.
  (status) => process.exit(status),
  (error: unknown) => {
    const { message, status } = describeFailure(error);
    process.stderr.write(`mlops: ${message}\n`);
    process.exit(status);
  },
);
