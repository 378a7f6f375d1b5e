/** What every `mlops` subcommand exports; cli/commands/index.ts lists them. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** One line for `mlops <command> --help`. */
  readonly help?: string;
}

export interface CommandArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** `--json`: machine-readable output instead of tables. */
  readonly json: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Synopsis after `mlops `, e.g. `promote <model> <version>`. */
  readonly usage: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** False for commands that need no tables or bucket (default true: main connects first). */
  readonly needsBackend?: boolean;
  run(args: CommandArgs): Promise<void>;
}
