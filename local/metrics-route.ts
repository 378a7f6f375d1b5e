import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAppError } from '../core/errors.js';
import { platformMetrics } from '../core/metrics/index.js';
import type { RegistryService } from '../core/registry/service.js';
import { registryService } from '../core/services/index.js';

export interface MetricsRouteOptions {
  /** @default the process's registry service (core/services/storage.ts) */
  readonly registry?: () => RegistryService;
  /** Give up on the registry after this long; the scrape still answers. @default 2000 */
  readonly registryTimeoutMs?: number;
  /** Read the registry at most this often (Prometheus scrapes every few seconds). @default 15000 */
  readonly registryRefreshMs?: number;
}

/**
 * `GET /metrics` for the local server, in Prometheus text format. The local server is one process
 * running every handler, so its prom-client registry holds every series the Lambda functions
 * would remote-write. Before answering it reads each production alias from the registry, so the
 * model age and accuracy gauges are right even before the first prediction.
 *
 * @example
 * await startLocalServer({ localRoutes: { 'GET /metrics': metricsRoute() } });
 */
export function metricsRoute(options: MetricsRouteOptions = {}) {
  const registry = options.registry ?? registryService;
  const timeoutMs = options.registryTimeoutMs ?? 2000;
  const refreshMs = options.registryRefreshMs ?? 15_000;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const metrics = platformMetrics();
    if (Date.now() - refreshedAt >= refreshMs) {
      refreshedAt = Date.now();
      await withTimeout(reportProductionModels(registry()), timeoutMs).catch(() => {
        // Registry unreachable: the scrape still answers with what the process has counted.
      });
    }
    const body = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
    res.end(body);
  };
}

async function reportProductionModels(registry: RegistryService): Promise<void> {
  const models = (await registry.store.listModels()).filter((m) => m.aliases['production'] !== undefined);
  platformMetrics().retainProductionModels(models.map((m) => m.name));
  await Promise.all(
    models.map(async (model) => {
      try {
        platformMetrics().productionModel(await registry.resolve(model.name));
      } catch (error) {
        if (!isAppError(error)) throw error;
      }
    }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
