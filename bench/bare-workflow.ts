import { proxyActivities } from '@temporalio/workflow';
import type { bareActivities } from './bare-worker';

const { httpCall } = proxyActivities<typeof bareActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});

/** The baseline: the same HTTP call in a one-activity workflow, with no mirror and no bookkeeping. */
export async function bareCall(url: string): Promise<void> {
  await httpCall(url);
}
