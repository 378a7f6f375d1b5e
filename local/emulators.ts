import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/**
 * The embedded AWS-API-compatible emulators: dynalite speaks the DynamoDB JSON protocol,
 * s3rver the S3 REST protocol. Both bind to loopback only and persist under `directory`
 * (or keep state in memory when it is omitted, for tests).
 */
export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Persist state here; in-memory (DynamoDB) / a temp dir (S3) when absent. */
  readonly directory?: string;
  readonly dynamodbPort?: number;
  readonly s3Port?: number;
}

/** s3rver checks SigV4 signatures against these fixed credentials. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export async function startEmulators(options: EmulatorOptions & { s3Directory: string }): Promise<Emulators> {
  const dynamoDir = options.directory ? join(options.directory, 'dynamodb') : undefined;
  if (dynamoDir) mkdirSync(dynamoDir, { recursive: true, mode: 0o700 });
  mkdirSync(options.s3Directory, { recursive: true, mode: 0o700 });

  const dynamoServer: Server = dynalite({
    ...(dynamoDir ? { path: dynamoDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    dynamoServer.once('error', reject);
    dynamoServer.listen(options.dynamodbPort ?? 0, '127.0.0.1', () => resolve());
  });
  const dynamoPort = (dynamoServer.address() as AddressInfo).port;

  const s3 = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    silent: true,
    directory: options.s3Directory,
  });
  let s3Address: AddressInfo;
  try {
    s3Address = await s3.run();
  } catch (error) {
    await closeServer(dynamoServer);
    throw error;
  }

  return {
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    async stop() {
      await Promise.allSettled([s3.close(), closeServer(dynamoServer)]);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** The environment that points the SDK (and so every handler) at these emulators. */
export function emulatorEnvironment(emulators: Emulators): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
    MLOPS_S3_FORCE_PATH_STYLE: 'true',
  };
}
