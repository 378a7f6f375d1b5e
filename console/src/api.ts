import createClient, { type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './api-types';
import { session } from './session';

/**
 * The typed API client: openapi-fetch over the types generated from /openapi.json, plus the
 * console's error model. Every failure becomes an ApiError saying what happened and what to do.
 */
export type Schemas = components['schemas'];

/** The JSON body an operation answers with `status`, e.g. `Answer<'getModelInfo'>`. */
export type Answer<O extends keyof operations, S extends number = 200> =
  operations[O]['responses'] extends Record<S, { content: { 'application/json': infer T } }> ? T : never;
export type ModelInfo = Answer<'getModelInfo'>;
export type Run = Answer<'getRunsId'>['run'];
export type RunDetail = Answer<'getRunsId'>;
export type Model = Answer<'getModels'>['models'][number];
export type Version = Answer<'getModelsNameVersions'>['versions'][number];
export type Health = Answer<'getHealth'>;
export type Dataset = Answer<'getDatasets'>['datasets'][number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly { field?: string; message: string }[] = [],
    readonly requestId?: string,
  ) {
    super(message);
  }

  /** One sentence on how to recover, for the page to show under the message. */
  get hint(): string {
    if (this.code === 'NETWORK')
      return 'Check that the API is running (npm start locally) and your connection, then retry.';
    if (this.status === 401) return 'Sign in again; the page you were on is kept.';
    if (this.status === 403) return 'This needs the admin role: ask an admin, or sign in as one.';
    if (this.status === 429) return 'Too many attempts: wait a few minutes, then retry.';
    if (this.code === 'NO_MODEL')
      return 'No model is in production yet: train one (Train) or promote a version.';
    if (this.status >= 500)
      return `The server failed; retry, and quote request id ${this.requestId ?? '(none)'} if it persists.`;
    return '';
  }
}

let baseUrl = '';
let onExpired: (() => void) | undefined;

/** The API base URL (config.json `apiUrl`; empty: same origin, as `npm start` serves it). */
export async function configure(): Promise<void> {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (res.ok) baseUrl = (((await res.json()) as { apiUrl?: string }).apiUrl ?? '').replace(/\/$/, '');
  } catch {
    // No config: same origin.
  }
}

export const apiBase = () => baseUrl || window.location.origin;

/** Called when a signed-in request answers 401: the token expired or was revoked. */
export function onSessionExpired(callback: () => void): void {
  onExpired = callback;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token && !request.headers.has('authorization'))
      request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
};

function client() {
  const c = createClient<paths>({ baseUrl: apiBase() });
  c.use(auth);
  return c;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call: the data, or an ApiError (network failures included). */
export async function call<T>(request: (api: ReturnType<typeof client>) => Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request(client());
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, 'NETWORK', `Cannot reach the API at ${apiBase()}.`);
  }
  if (result.response.ok) return result.data as T;
  throw await toApiError(result.response, result.error);
}

async function toApiError(response: Response, body: unknown): Promise<ApiError> {
  const envelope = (body ?? {}) as Partial<Schemas['Error']>;
  const error = new ApiError(
    response.status,
    envelope.error?.code ?? `HTTP_${response.status}`,
    envelope.error?.message ?? `${response.status} ${response.statusText}`,
    envelope.error?.details ?? [],
    envelope.request_id ?? response.headers.get('x-request-id') ?? undefined,
  );
  if (response.status === 401 && session.token()) {
    session.clear();
    onExpired?.();
  }
  return error;
}

/** A run artifact as a Blob (SVG, JSON, ONNX), fetched with the token. */
export async function artifact(runId: string, name: string): Promise<Blob> {
  return call((api) =>
    api.GET('/runs/{id}/artifacts/{name}', { params: { path: { id: runId, name } }, parseAs: 'blob' }),
  ) as Promise<unknown> as Promise<Blob>;
}

export async function artifactJson<T>(runId: string, name: string): Promise<T> {
  return JSON.parse(await (await artifact(runId, name)).text()) as T;
}

/** OAuth2 password grant, form-encoded as /token takes it. */
export async function signIn(username: string, password: string) {
  return call((api) =>
    api.POST('/token', {
      body: { username, password },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  );
}

/** PUT to a presigned URL; S3's XML errors become an ApiError. */
export async function putUpload(upload: { url: string; headers: Record<string, string> }, file: Blob) {
  let res: Response;
  try {
    res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: file });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The upload to storage failed before it got an answer.');
  }
  if (!res.ok) {
    const text = await res.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP_${res.status}`;
    const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? res.statusText;
    throw new ApiError(res.status, code, `Storage refused the upload: ${message}`);
  }
}

/** GET /health with its status: 503 (live, not ready) is a report too, not a failure. */
export async function healthReport(): Promise<{ status: number; report: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${apiBase()}/health`);
  } catch {
    throw new ApiError(0, 'NETWORK', `Cannot reach the API at ${apiBase()}.`);
  }
  return { status: res.status, report: await res.json().catch(() => undefined) };
}
