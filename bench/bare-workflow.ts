import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { bareActivities } from './bare-worker';

const { httpCall } = proxyActivities<typeof bareActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});

/** The baseline: the same HTTP call in a one-activity workflow, with no mirror and no bookkeeping. */
export async function bareCall(url: string): Promise<void> {
  await httpCall(url);
}

/**
 * The retry policy of every system in `npm run bench:peers`: 3 attempts, 1 s then 2 s apart (ours: the job's
 * `retry`; BullMQ: `attempts` + exponential `backoff`).
 */
const PEER_RETRY = { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 } as const;

const { httpCall: scheduledHttpCall } = proxyActivities<typeof bareActivities>({
  startToCloseTimeout: '30s',
  retry: PEER_RETRY,
});

/**
 * The floor of our architecture for a scheduled run (`npm run bench:peers`): a bare schedule's one-activity workflow
 * making the call the scheduler makes, with the headers the bench target reads: the job, the nominal time (the
 * `TemporalScheduledStartTime` search attribute the schedule sets on each run, reference/temporal-notes.md §2) and
 * the workflow id as the idempotency key.
 */
export async function bareScheduledCall(input: { url: string; job: string }): Promise<void> {
  const info = workflowInfo();
  const nominal = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  await scheduledHttpCall(input.url, {
    'Idempotency-Key': info.workflowId,
    'X-Scheduler-Job': input.job,
    'X-Scheduler-Scheduled-At': nominal instanceof Date ? nominal.toISOString() : String(nominal),
  });
}
