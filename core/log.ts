import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './metrics/catalog.js';

/**
 * The one structured logger (Powertools: JSON lines, LOG_LEVEL), shared by the handlers
 * (lambdas/shared/logger.ts re-exports it) and the core services that report what they do
 * (model cache, run leases). Never given bodies or credentials.
 */
export const logger = new Logger({ serviceName: SERVICE_NAME });
