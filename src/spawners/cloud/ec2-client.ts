import { EC2Client } from '@aws-sdk/client-ec2';
import type { Settings } from '../../settings.ts';

/**
 * An EC2 client from settings: explicit keys when set, else the SDK's default chain (or AWS_PROFILE);
 * AWS_ENDPOINT_URL points it elsewhere (the local EC2 endpoint in tests).
 */
export function ec2ClientFrom(
  settings: Settings,
  overrides: { endpoint?: string; maxAttempts?: number; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): EC2Client {
  const endpoint = overrides.endpoint ?? settings.AWS_ENDPOINT_URL;
  return new EC2Client({
    region: settings.AWS_REGION,
    ...(endpoint ? { endpoint } : {}),
    ...(overrides.maxAttempts ? { maxAttempts: overrides.maxAttempts } : {}),
    ...(settings.AWS_PROFILE ? { profile: settings.AWS_PROFILE } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
    ...(!overrides.credentials && settings.AWS_ACCESS_KEY_ID && settings.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: settings.AWS_ACCESS_KEY_ID,
            secretAccessKey: settings.AWS_SECRET_ACCESS_KEY,
            ...(settings.AWS_SESSION_TOKEN ? { sessionToken: settings.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  });
}
