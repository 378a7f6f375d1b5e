/**
 * The README's curl session as a checklist, against any deployment: health, create user (where
 * self-registration is on), token, predict, model-info. Used by `npm run smoke` and its tests.
 */
export interface SmokeOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly features: readonly number[];
  readonly timeoutMs?: number;
}

export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly skipped?: boolean;
}

export async function runSmoke(
  options: SmokeOptions,
  report: (r: StepResult) => void = () => {},
): Promise<StepResult[]> {
  const base = options.url.replace(/\/+$/, '');
  const results: StepResult[] = [];
  const record = (r: StepResult) => {
    results.push(r);
    report(r);
    return r;
  };
  const call = async (
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...init,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // keep the raw text in the detail below
    }
    return { status: res.status, body, text };
  };
  const step = async (name: string, run: () => Promise<Omit<StepResult, 'step'>>) => {
    try {
      return record({ step: name, ...(await run()) });
    } catch (error) {
      return record({
        step: name,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const json = { 'content-type': 'application/json' };

  await step('health', async () => {
    const res = await call('GET', '/health');
    return {
      ok: res.status === 200,
      detail: `${res.status} ${String(res.body['status'] ?? res.text.slice(0, 80))}`,
    };
  });

  await step('create user', async () => {
    const res = await call('POST', '/users', {
      headers: json,
      body: JSON.stringify({ username: options.username, password: options.password }),
    });
    if (res.status === 201) return { ok: true, detail: `201 created ${options.username}` };
    if (res.status === 409) return { ok: true, detail: `409 ${options.username} exists already` };
    if (res.status === 403)
      return { ok: true, skipped: true, detail: '403 self-registration is off; using the given user' };
    return { ok: false, detail: `${res.status} ${res.text.slice(0, 200)}` };
  });

  let token = '';
  await step('token', async () => {
    const res = await call('POST', '/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: options.username, password: options.password }).toString(),
    });
    token = typeof res.body['access_token'] === 'string' ? res.body['access_token'] : '';
    return {
      ok: res.status === 200 && token !== '',
      detail: `${res.status} ${token ? 'bearer token issued' : res.text.slice(0, 200)}`,
    };
  });

  await step('predict', async () => {
    const res = await call('POST', '/predict', {
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ features: options.features }),
    });
    const ok = res.status === 200 && typeof res.body['prediction'] === 'string';
    return {
      ok,
      detail: ok
        ? `200 ${String(res.body['prediction'])} from ${String(res.body['model_name'])} v${String(res.body['model_version'])}`
        : `${res.status} ${res.text.slice(0, 200)}`,
    };
  });

  await step('model-info', async () => {
    const res = await call('GET', '/model-info', { headers: { authorization: `Bearer ${token}` } });
    const ok = res.status === 200 && typeof res.body['version'] === 'number';
    return {
      ok,
      detail: ok
        ? `200 ${String(res.body['name'])} v${String(res.body['version'])}`
        : `${res.status} ${res.text.slice(0, 200)}`,
    };
  });

  return results;
}
