import type { Client } from '@temporalio/client';
import type { ExecutionView, JobView } from '../../jobs/schema';
import { apiClient } from './api';
import type { Target } from './target';

/** What the fault table counts for one job after a fault (issue: misses, duplicates, lost rows, counters). */
export interface Ledger {
  /** Runs Temporal knows of for the job (visibility: `JobName = "<job>"`). */
  runs: string[];
  /** The job's rows in the mirror. */
  rows: ExecutionView[];
  /** Idempotency-Keys the service answered 2xx more than once. */
  duplicateDeliveries: string[];
  /** Runs of Temporal with no row, and rows of no run. */
  lostRows: string[];
  extraRows: string[];
  /** The job's counters equal its rows (all, succeeded, failed or timed out). */
  countersEqualRows: boolean;
}

/** Reads Temporal, the mirror (through the API) and the target's own record for `job`. */
export async function ledgerOf(
  client: Client,
  apiUrl: string,
  target: Target,
  job: string,
  token?: string,
): Promise<Ledger> {
  const runs: string[] = [];
  for await (const run of client.workflow.list({ query: `JobName = "${job}"` })) runs.push(run.workflowId);
  const api = apiClient(apiUrl, token);
  const rows: ExecutionView[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { executions: ExecutionView[]; nextCursor: string | null } } = await api.call(
      'GET',
      `/api/jobs/${job}/executions?limit=200${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (page.status !== 200) throw new Error(`executions of ${job}: HTTP ${page.status}`);
    rows.push(...page.body.executions);
    cursor = page.body.nextCursor;
  } while (cursor);
  const delivered = new Map<string, number>();
  for (const call of target.calls()) {
    const key = String(call.headers['idempotency-key'] ?? '');
    if (call.headers['x-scheduler-job'] === job && call.status >= 200 && call.status < 300) {
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
    }
  }
  const rowIds = new Set(rows.map((r) => r.id));
  const runIds = new Set(runs);
  const view = await api.call<{ job: JobView }>('GET', `/api/jobs/${job}`);
  const stats = view.status === 200 ? view.body.job.stats : null;
  return {
    runs,
    rows,
    duplicateDeliveries: [...delivered].filter(([, n]) => n > 1).map(([key]) => key),
    lostRows: runs.filter((id) => !rowIds.has(id)),
    extraRows: rows.filter((r) => !runIds.has(r.id)).map((r) => r.id),
    countersEqualRows:
      stats !== null &&
      // as refresh_job_stats counts: every row; succeeded; failed or timed out
      stats.totalRuns === rows.length &&
      stats.successfulRuns === rows.filter((r) => r.status === 'succeeded').length &&
      stats.failedRuns === rows.filter((r) => r.status === 'failed' || r.status === 'timed_out').length,
  };
}
