import type { RouteContractMap } from './contract.js';

/**
 * Contracts of the admin routes (owned by the registry/CLI engineer; this stub only lets the
 * OpenAPI generator import it until they fill it in). See RouteContract in ./contract.ts.
 */
export const ADMIN_ROUTE_SCHEMAS: RouteContractMap = {};
