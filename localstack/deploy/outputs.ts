import { readFileSync } from 'node:fs';

/** `cdk deploy --outputs-file`: stack name → output key → value. */
export type StackOutputs = Record<string, Record<string, string>>;

export function readOutputs(path: string): StackOutputs {
  return JSON.parse(readFileSync(path, 'utf8')) as StackOutputs;
}

/**
 * The URL to call a LocalStack HTTP API at. The stack output is built from AWS's host pattern
 * (`https://<id>.execute-api.<region>.amazonaws.com/`); LocalStack serves the same API at
 * `http://<id>.execute-api.localhost.localstack.cloud:<port>/`.
 *
 * @example
 * localApiUrl('https://abc123.execute-api.us-east-1.amazonaws.com/', 'http://localhost.localstack.cloud:4566');
 * // 'http://abc123.execute-api.localhost.localstack.cloud:4566/'
 */
export function localApiUrl(deployedUrl: string, endpoint: string): string {
  const match = /^https?:\/\/([a-z0-9]+)\.execute-api\./i.exec(deployedUrl);
  if (!match) throw new Error(`"${deployedUrl}" is not an API Gateway execute-api URL`);
  const port = new URL(endpoint).port || '4566';
  return `http://${match[1]!.toLowerCase()}.execute-api.localhost.localstack.cloud:${port}/`;
}

/** The output value, or an error naming the stack and key that are missing. */
export function requireOutput(outputs: StackOutputs, stack: string, key: string): string {
  const value = outputs[stack]?.[key];
  if (!value) {
    throw new Error(
      `stack ${stack} has no output ${key} in the outputs file (found: ${Object.keys(outputs[stack] ?? {}).join(', ') || 'none'})`,
    );
  }
  return value;
}
