import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for every function: JSON lines, never bodies or credentials. */
export const logger = new Logger({ serviceName: 'mlops' });
