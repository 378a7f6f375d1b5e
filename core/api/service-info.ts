/** Name and version that GET / and the OpenAPI document report. */
export const SERVICE = { name: 'serverless-mlops', version: '0.1.0' } as const;
