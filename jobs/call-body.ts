import type { Trigger } from './execution';
import type { JobDefinition } from './job';

/** What one call of a run says of it (SPEC §5). */
export interface CallOf {
  job: Pick<JobDefinition, 'name' | 'method' | 'payload'>;
  executionId: string;
  scheduledAt: string;
  trigger: Trigger;
}

/**
 * The body of attempt `attempt` of a call (SPEC §5): `{job, executionId, scheduledAt, trigger, attempt, payload}` as
 * JSON, in that order, or undefined for a GET (its fields travel as headers). What the call's signature signs (an
 * empty body for a GET), so the scheduler can rebuild it to check a signature it gave (api/use-cases/reports.ts).
 */
export function callBodyOf({ job, executionId, scheduledAt, trigger }: CallOf, attempt: number): string | undefined {
  if (job.method === 'GET') return undefined;
  return JSON.stringify({ job: job.name, executionId, scheduledAt, trigger, attempt, payload: job.payload });
}
