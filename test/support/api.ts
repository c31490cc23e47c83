import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionView } from '../../api/schemas/executions';
import type { JobView } from '../../api/schemas/jobs';
import { eventually } from './target';

export interface ApiResult<T> {
  status: number;
  body: T;
}

const SHED_ATTEMPTS = 4;
const SHED_RETRY_MS = 2000;

/** A small JSON client for the scheduler's REST API, as a service or admin would use it. */
export function apiClient(baseUrl: string, token?: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    // A request the process shed (503 `overloaded`: a freshly started in-process scheduler's event-loop lag on a busy
    // machine) did nothing and asks to come back: a client does, a few times, and then reports what it got.
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${baseUrl}${url}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const result = { status: res.status, body: (text ? JSON.parse(text) : null) as T };
      const shed =
        res.status === 503 && (result.body as { error?: { code?: string } } | null)?.error?.code === 'overloaded';
      if (!shed || attempt === SHED_ATTEMPTS) return result;
      await sleep(SHED_RETRY_MS);
    }
  };
  return {
    call,
    register: (job: Record<string, unknown>) =>
      call<{ status: string; job: JobView }>('POST', '/api/jobs/register', job),
    trigger: (name: string, body: unknown = {}) =>
      call<{ execution: ExecutionView }>('POST', `/api/jobs/${name}/trigger`, body),
    execution: (id: string) => call<{ execution: ExecutionView }>('GET', `/api/executions/${id}`),
    /** Waits until `/ready` answers 200. */
    ready: (timeoutMs = 60_000) =>
      eventually(
        () => call('GET', '/ready'),
        (r) => r.status === 200,
        timeoutMs,
      ),
    /** Waits until the execution has ended, as the API reports it. */
    finished: async (id: string, timeoutMs = 60_000) =>
      (
        await eventually(
          () => call<{ execution: ExecutionView }>('GET', `/api/executions/${id}`),
          (r) => r.status === 200 && r.body.execution.status !== 'running' && r.body.execution.completedAt !== null,
          timeoutMs,
        )
      ).body.execution,
  };
}

export const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
