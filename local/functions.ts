import type { FunctionId } from '../core/api/routes.js';
import type { HttpEvent, HttpResult } from '../lambdas/shared/http.js';

export type HttpFunction = (event: HttpEvent) => Promise<HttpResult>;

/**
 * The same handler modules the CDK stacks deploy, imported lazily like a cold start, keyed by
 * the function ids of core/api/routes.ts.
 */
export const FUNCTIONS: Record<FunctionId, () => Promise<HttpFunction>> = {
  auth: async () => (await import('../lambdas/auth/handler.js')).handler,
  predict: async () => (await import('../lambdas/predict/handler.js')).handler,
  admin: async () => (await import('../lambdas/admin/handler.js')).handler,
  docs: async () => (await import('../lambdas/docs/handler.js')).handler,
};
