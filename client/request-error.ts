/**
 * How the scheduler says no: every refusal is `{error: {code, message, field}}` (its docs/errors.md). Browser-safe:
 * nothing here needs Node.
 */

/**
 * Thrown by the client when the scheduler refused a request: `status` is the HTTP status, `code` and `field` are the
 * scheduler's (`field` names the part of the request at fault, such as `jobs.0.cron` or `limit`; null when no single
 * part is). `code` is `unknown` when the answer was not the scheduler's (a proxy's error page).
 */
export class SchedulerRequestError extends Error {
  override readonly name: string = 'SchedulerRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(`scheduler answered ${status}: ${message}`);
  }
}

/**
 * Thrown by `heartbeat` and `complete` when the scheduler answered `409` (`execution_conflict`): the execution no
 * longer waits for this attempt. It ended otherwise (its message names how), waits to call again, or is on another
 * attempt (`field` is `attempt`).
 */
export class ExecutionConflictError extends SchedulerRequestError {
  override readonly name: string = 'ExecutionConflictError';
}

/** The scheduler's `{error}` in an answer's text; for any other text, `unknown` and its first 200 characters. */
export function errorOf(text: string): { code: string; message: string; field: string | null } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; field?: string | null } };
    return {
      code: parsed.error?.code ?? 'unknown',
      message: parsed.error?.message ?? excerpt(text),
      field: parsed.error?.field ?? null,
    };
  } catch {
    return { code: 'unknown', message: excerpt(text), field: null };
  }
}

/** The error an answer's status and text make. */
export function requestErrorOf(status: number, text: string): SchedulerRequestError {
  const error = errorOf(text);
  return new SchedulerRequestError(status, error.code, error.message, error.field);
}

const EXCERPT_CHARS = 200;

/** The first 200 characters of a body that is no error of ours (a proxy's page), never half a character. */
function excerpt(text: string): string {
  // 200 characters are at most 400 UTF-16 units: only those are split into characters (a pair cut by the first
  // slice ends past the 200th, so it is dropped)
  return Array.from(text.slice(0, 2 * EXCERPT_CHARS))
    .slice(0, EXCERPT_CHARS)
    .join('');
}
