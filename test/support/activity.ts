import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { startedExecution, type ExecutionRecord } from '../../jobs/execution';

/** A MockActivityEnvironment's options for attempts that fail on purpose: their warnings would only be noise. */
export const QUIET_ACTIVITY = { logger: new DefaultLogger('ERROR') };

/** The ApplicationFailure an activity attempt threw; anything else (or no failure) fails the test. */
export async function failureOf(attempt: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await attempt;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('the attempt did not fail');
}

/** The `running` record of `id`, a scheduled run of `digest` (email-service) at 2026-11-30T08:00Z; its run id `<id>-run`. */
export const digestStart = (id: string): ExecutionRecord =>
  startedExecution({
    id,
    jobName: 'digest',
    service: 'email-service',
    trigger: 'schedule',
    triggeredBy: null,
    retryOf: null,
    scheduledAt: '2026-11-30T08:00:00.000Z',
    startedAt: '2026-11-30T08:00:00.000Z',
    runId: `${id}-run`,
  });
