import { type LocalRuntime, type RuntimeOptions, startLocalRuntime } from '../../local/runtime.js';
import { type LocalServer, startLocalServer } from '../../local/server.js';

/**
 * A whole local stage for a test file: fresh emulators on free loopback ports and the local
 * API server on a free port, both torn down by `stop()`.
 */
export interface LocalApi {
  readonly runtime: LocalRuntime;
  readonly server: LocalServer;
  readonly url: string;
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface CallOptions {
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  readonly raw?: string;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for JSON bodies
  readonly body: any;
  readonly text: string;
}

export async function startLocalApi(options: RuntimeOptions = {}): Promise<LocalApi> {
  const runtime = await startLocalRuntime({ ephemeral: true, ...options });
  const server = await startLocalServer({ port: 0 });
  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.raw !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = opts.raw;
    }
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. the docs page)
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    runtime,
    server,
    url: server.url,
    call,
    async stop() {
      await server.close();
      await runtime.stop();
    },
  };
}

/** Creates a user and returns a bearer token for it. */
export async function userToken(
  api: LocalApi,
  username = 'tester',
  password = 'correct-horse',
): Promise<string> {
  const created = await api.call('POST', '/users', { json: { username, password } });
  if (created.status !== 201 && created.status !== 409)
    throw new Error(`create user: ${created.status} ${created.text}`);
  const token = await api.call('POST', '/token', { form: { username, password } });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
  return token.body.access_token as string;
}

/** Creates an admin user as the CLI does (operator) and returns a token from POST /token. */
export async function adminToken(
  api: LocalApi,
  username = 'root',
  password = 'keys-to-the-kingdom',
): Promise<string> {
  const { authService } = await import('../../core/services/index.js');
  const { OPERATOR } = await import('../../core/auth/service.js');
  await authService()
    .register({ username, password, role: 'admin' }, OPERATOR)
    .catch((error: { code?: string }) => {
      if (error.code !== 'USER_EXISTS') throw error;
    });
  const token = await api.call('POST', '/token', { form: { username, password } });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
  return token.body.access_token as string;
}
