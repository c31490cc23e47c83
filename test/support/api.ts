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

/**
 * Sends a request, and again while the process sheds it: a 503 `overloaded` (a freshly started in-process
 * scheduler's event-loop lag on a busy machine) did nothing and asks to come back, so a client does, a few times,
 * and then reports what it got. `onShed` is told of each shed answer sent again.
 * @returns the last answer's status and body text.
 */
export async function sentUnlessShed(
  send: () => Promise<Response>,
  onShed: () => void = () => undefined,
): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    const text = await res.text();
    if (res.status !== 503 || !isOverloaded(text) || attempt === SHED_ATTEMPTS) return { status: res.status, text };
    onShed();
    await sleep(SHED_RETRY_MS);
  }
}

function isOverloaded(text: string): boolean {
  try {
    return (JSON.parse(text) as { error?: { code?: string } } | null)?.error?.code === 'overloaded';
  } catch {
    return false;
  }
}

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
    const { status, text } = await sentUnlessShed(() =>
      fetch(`${baseUrl}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
    );
    return { status, body: (text ? JSON.parse(text) : null) as T };
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
