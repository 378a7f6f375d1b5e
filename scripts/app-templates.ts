import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { loadConfig, type PlatformConfig } from '../lib/config.js';
import { createApp, STACK_KEYS, type StackKey } from '../lib/platform.js';

/**
 * The app's templates as `cdk synth` makes them (cdk.json context, then overrides), built in
 * process without bundling the functions: the preflight and the cost command read resources and
 * settings, never code. Shared so both see exactly what the deploy would create.
 */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON; readers narrow the fields they use.
export type TemplateJson = Record<string, any>;

export interface SynthesizedApp {
  readonly config: PlatformConfig;
  readonly stacks: readonly { key: StackKey; stackName: string; template: TemplateJson }[];
  readonly qualifier?: string;
}

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export function synthesizeApp(overrides: Record<string, unknown> = {}, region?: string): SynthesizedApp {
  const context = { ...cdkJsonContext(), ...overrides };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, outdir: undefined });
  const config = loadConfig(app);
  const built = createApp(app, config, region ? { region } : undefined);
  const assembly = app.synth();
  const qualifier = context['@aws-cdk/core:bootstrapQualifier'];
  return {
    config,
    // The console's stacks are absent with console=false.
    stacks: STACK_KEYS.flatMap((key) => {
      const stack = built[key];
      return stack
        ? [{ key, stackName: stack.stackName, template: assembly.getStackByName(stack.stackName).template }]
        : [];
    }),
    ...(typeof qualifier === 'string' ? { qualifier } : {}),
  };
}

/** `-c key=value` pairs and `--flag value` options from argv. */
export function parseArgs(argv: readonly string[]): {
  context: Record<string, string>;
  options: Record<string, string>;
} {
  const context: Record<string, string> = {};
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-c' || arg === '--context') {
      const [key, ...rest] = (argv[++i] ?? '').split('=');
      if (key) context[key] = rest.join('=');
    } else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=');
      options[name!] = inline ?? (argv[i + 1] && !argv[i + 1]!.startsWith('-') ? argv[++i]! : 'true');
    }
  }
  return { context, options };
}
