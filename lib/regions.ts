/**
 * Where the platform can be deployed: the AWS commercial regions and, for the services that are
 * not in every one of them, the regions that have them. Read by the CDK app (bin/app.ts refuses an
 * unsupported region at synth) and by the preflight (scripts/preflight.ts), so both answer alike.
 *
 * Source: the AWS SDK's endpoint table (botocore 1.43.11 `endpoints.json`, partition `aws`,
 * 2026-05-20). Every other service used here (Lambda, API Gateway, DynamoDB, S3, SQS, SNS, KMS,
 * Secrets Manager, EventBridge Scheduler, CloudWatch, CloudWatch Logs, X-Ray, SSM) is in all of them.
 * No data file is read at run time, so the CDK app and the preflight stay offline.
 */
export const COMMERCIAL_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

/** A service some stack needs, with the context that makes it needed. */
export type RegionalService = 'core' | 'prometheus' | 'grafana';

export const SERVICE_NAMES: Readonly<Record<RegionalService, string>> = {
  core: 'Lambda, API Gateway, DynamoDB, S3, SQS, SNS, KMS, Secrets Manager, EventBridge Scheduler, CloudWatch',
  prometheus: 'Amazon Managed Service for Prometheus',
  grafana: 'Amazon Managed Grafana',
};

const PARTIAL: Readonly<Record<Exclude<RegionalService, 'core'>, readonly string[]>> = {
  prometheus: COMMERCIAL_REGIONS.filter((region) => region !== 'ap-southeast-6'),
  grafana: [
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'eu-central-1',
    'eu-west-1',
    'eu-west-2',
    'us-east-1',
    'us-east-2',
    'us-west-2',
  ],
};

/** What turns a service on (for the message): the context key and its value. */
const REASON: Readonly<Record<Exclude<RegionalService, 'core'>, { needed: string; off: string }>> = {
  prometheus: { needed: 'metricsRemoteWrite=amp (the default)', off: '-c metricsRemoteWrite=off' },
  grafana: { needed: 'grafana=true', off: 'leave out -c grafana=true' },
};

/** The regions that have a service. */
export function regionsWith(service: RegionalService): readonly string[] {
  return service === 'core' ? COMMERCIAL_REGIONS : PARTIAL[service];
}

export interface RegionCheck {
  /** Services the region lacks, each with the message that says what to do. */
  readonly missing: readonly { service: RegionalService; message: string }[];
  /** The region is not in the table at all (another partition, or newer than the table). */
  readonly unknown: boolean;
}

/**
 * Checks a region against the services a configuration needs.
 *
 * @example
 * checkRegion('ap-southeast-6', ['core', 'prometheus']).missing[0].message;
 * // 'ap-southeast-6 has no Amazon Managed Service for Prometheus (needed because metricsRemoteWrite=amp ...'
 */
export function checkRegion(region: string, services: readonly RegionalService[]): RegionCheck {
  if (!(COMMERCIAL_REGIONS as readonly string[]).includes(region)) return { missing: [], unknown: true };
  const missing = services
    .filter((service) => service !== 'core' && !regionsWith(service).includes(region))
    .map((service) => {
      const s = service as Exclude<RegionalService, 'core'>;
      return {
        service,
        message:
          `${region} has no ${SERVICE_NAMES[s]} (needed because ${REASON[s].needed}). ` +
          `Deploy to one of ${PARTIAL[s].join(', ')}, or ${REASON[s].off}.`,
      };
    });
  return { missing, unknown: false };
}

/** The services a configuration needs, from the context keys that turn the optional ones on. */
export function servicesFor(config: {
  readonly metricsRemoteWrite: string;
  readonly grafana: boolean;
}): RegionalService[] {
  return [
    'core',
    ...(config.metricsRemoteWrite === 'amp' ? (['prometheus'] as const) : []),
    ...(config.grafana ? (['grafana'] as const) : []),
  ];
}
