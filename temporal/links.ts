import type { AlertLinks } from '../jobs/alert';
import { scheduleIdOf } from '../jobs/ids';

/** Deep links into Temporal Web (UI 2.x routes). */
export interface TemporalLinks {
  schedule(scheduleId: string): string;
  workflow(workflowId: string, runId?: string | null): string;
}

export function createTemporalLinks(uiUrl: string, namespace: string): TemporalLinks {
  const ns = `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}`;
  return {
    schedule: (id) => `${ns}/schedules/${encodeURIComponent(id)}`,
    workflow: (id, runId) =>
      `${ns}/workflows/${encodeURIComponent(id)}${runId ? `/${encodeURIComponent(runId)}` : ''}/history`,
  };
}

/**
 * A job's pages, as alerts link to them: its page in the admin console (`consoleUrl` is the console's address, `…/admin/`
 * with its slash) and its schedule in Temporal Web.
 */
export function jobPagesOf(consoleUrl: string, temporal: TemporalLinks, jobName: string): AlertLinks {
  return {
    console: `${consoleUrl}#/jobs/${encodeURIComponent(jobName)}`,
    temporalWeb: temporal.schedule(scheduleIdOf(jobName)),
  };
}
