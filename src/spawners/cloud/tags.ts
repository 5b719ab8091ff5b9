/** Tags on every instance DistZero launches, so teardown and sweeps can find them. */
import { ownerId } from '../docker/labels.ts';

export const APPLICATION_TAG = { Key: 'Application', Value: 'dist_zero' } as const;
export const SYSTEM_TAG = 'distzero:system';
export const MACHINE_TAG = 'distzero:machine';
export const OWNER_TAG = 'distzero:owner';

export function systemTags(systemId: string): { Key: string; Value: string }[] {
  return [{ ...APPLICATION_TAG }, { Key: SYSTEM_TAG, Value: systemId }, { Key: OWNER_TAG, Value: ownerId() }];
}
