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
