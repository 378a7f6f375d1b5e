import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Platform } from '../../lib/platform.js';
import { buildPlatform, nagFindings } from './builders.js';

/**
 * cdk-nag (v3, AWS Solutions pack) over every stack: no error and no warning may be left
 * unacknowledged. Acknowledgments live on the specific construct, with a reason (lib/nag.ts).
 */
describe('cdk-nag AwsSolutions', () => {
  let platform: Platform;
  beforeAll(() => {
    platform = buildPlatform().platform;
  });

  describe.each(['storage', 'secrets', 'api', 'schedule', 'console', 'consoleContent'] as const)(
    '%s stack',
    (name) => {
      it('has no unacknowledged errors', () => {
        expect(nagFindings(platform[name]!).errors).toEqual([]);
      });

      it('has no unacknowledged warnings', () => {
        expect(nagFindings(platform[name]!).warnings).toEqual([]);
      });
    },
  );

  it('does report a finding when there is one (the check is not vacuous)', () => {
    const stack = new Stack(new App(), 'Bad');
    new s3.Bucket(stack, 'Plain');
    expect(nagFindings(stack).errors).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 at Bad/Plain/Resource',
        'AwsSolutions-S10 at Bad/Plain/Resource',
      ]),
    );
  });
});
