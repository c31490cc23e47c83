import type { Static } from '@sinclair/typebox';
import type { AlertPageSchema, AlertView as ApiAlertView } from '../api/schemas/alerts';
import type { ExecutionView as ApiExecutionView } from '../api/schemas/executions';
import type { FleetFiresSchema } from '../api/schemas/fleet';
import type { LedgerReply } from '../api/schemas/occurrences';
import type { JobDetailView as ApiJobDetailView, JobView as ApiJobView } from '../api/schemas/jobs';

/** Who the token is (`GET /api/identity`). */
export interface Caller {
  kind: 'admin' | 'service';
  name: string;
}

/** A job as the API shows it (`GET /api/jobs`, `GET /api/jobs/:name`). */
export type JobView = ApiJobView;

/** One job (`GET /api/jobs/:name`), with its latest pauses and resumes (`pauseHistory`, newest first). */
export type JobDetailView = ApiJobDetailView;

/** One of a job's newest runs (`recentRuns`, newest first). */
export type RecentRun = JobView['recentRuns'][number];

/** A run as the API shows it, with `retriedBy`: the runs that retried it, oldest first. */
export type ExecutionView = ApiExecutionView;

export type ExecutionStatus = ApiExecutionView['status'];

/** An alert episode (`GET /api/alerts`, a job's `openAlerts`): its rule in words, its deliveries, the job's links. */
export type AlertView = ApiAlertView;

/** `GET /api/alerts`: episodes, newest opened first. */
export type AlertPage = Static<typeof AlertPageSchema>;

/** A job's occurrence ledger (`GET /api/jobs/:name/occurrences`): each nominal time in the window with its fate. */
export type Ledger = Static<typeof LedgerReply>;

/** One nominal time of the ledger. */
export type Occurrence = Ledger['occurrences'][number];

/** What became of a nominal time, in the ledger's words (docs/ledger.md). */
export type Fate = Occurrence['fate'];

/** `GET /api/fleet/fires`: how many jobs fire in each second of the next hour, and the herds. */
export type FleetFires = Static<typeof FleetFiresSchema>;

/** Statuses a run may be retried from (the API's RETRYABLE_STATUSES). */
export const RETRYABLE: readonly ExecutionStatus[] = ['failed', 'timed_out', 'cancelled', 'terminated'];

export const STATUSES: readonly ExecutionStatus[] = [
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'terminated',
];

/** A refusal of the API, as a sentence a person can act on; `status` 0 when the service could not be reached. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'scheduler-console-token';

/**
 * The bearer token of this tab: in sessionStorage only (gone when the tab closes; never in a URL or a cookie).
 * Null when none was given (open mode needs none).
 */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** The API's root relative to the page (`/admin/` or `/scheduler/admin/`): every URL stays under the same prefix. */
const API_ROOT = '../api';

/**
 * One call to the API with the tab's token. Resolves to the parsed JSON (undefined for a 204).
 * @throws {@link ApiFailure} with a plain sentence for every refusal (401, 403, 4xx, 5xx) and for no answer at all.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_ROOT}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiFailure(0, 'The scheduler did not answer. Check your connection; the page tries again by itself.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json as T;
  const error = (json as { error?: { message?: string; field?: string | null } } | null)?.error;
  throw new ApiFailure(res.status, sentenceFor(res.status, error?.message), error?.field ?? null);
}

function sentenceFor(status: number, message: string | undefined): string {
  const detail = message ? ` (${message})` : '';
  if (status === 401) return `The scheduler did not accept your token${detail}. Sign in again.`;
  if (status === 403) return `Your token is not allowed to do this${detail}.`;
  if (status === 404) return `Not found${detail}.`;
  if (status === 429) return `Too many requests${detail}. Wait a moment.`;
  if (status >= 500) return `The scheduler could not do this right now${detail}. Try again shortly.`;
  return message ?? `The scheduler refused this (HTTP ${status}).`;
}

/** `?a=1&b=2` from the defined, non-empty values; '' when none. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface JobPage {
  jobs: JobView[];
  nextCursor: string | null;
}

export interface ExecutionPage {
  executions: ExecutionView[];
  nextCursor: string | null;
}
