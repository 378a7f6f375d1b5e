import { createInterface } from 'node:readline';
import { Password, Username } from '../../core/api/schemas.js';
import { validate } from '../../core/api/validate.js';
import { OPERATOR } from '../../core/auth/service.js';
import { authService } from '../../core/services/index.js';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

const PASSWORD_ENV = 'MLOPS_ADMIN_PASSWORD';

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    output._writeToOutput = () => {}; // no echo while typing
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export const createAdmin: Command = {
  name: 'create-admin',
  summary: 'Create an admin user (the first one, or more) directly in the users table',
  usage: `create-admin --username <name> [--password <pw>]   (or ${PASSWORD_ENV}, or a prompt)`,
  options: {
    username: { type: 'string', help: 'the admin user name' },
    password: {
      type: 'string',
      help: `the password (prefer ${PASSWORD_ENV} or the prompt: flags end up in shell history)`,
    },
  },
  async run({ values, json }) {
    const username = str(values['username']);
    if (!username) throw new UsageError(`missing --username; usage: mlops ${this.usage}`);
    let password = str(values['password']) ?? process.env[PASSWORD_ENV];
    if (password === undefined) {
      if (!process.stdin.isTTY)
        throw new UsageError(`no password: pass --password, set ${PASSWORD_ENV}, or run in a terminal`);
      password = await promptHidden(`password for ${username}: `);
    }
    validate(Username, username, 'username');
    validate(Password, password, 'password');
    // The CLI holds the stage's credentials, so it acts as an admin would through POST /users.
    const user = await authService().register({ username, password, role: 'admin' }, OPERATOR);
    if (json) process.stdout.write(`${JSON.stringify(user)}\n`);
    else process.stdout.write(`created admin user "${user.username}"\n`);
  },
};
