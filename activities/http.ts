import { cutUtf8 } from '../jobs/text';

/**
 * What the activities that POST to someone else's server (a job's service, an alert's destination) share: which
 * answers are worth retrying, `Retry-After`, and reading the start of an answer without reading all of it.
 */

const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/** 408, 425, 429 and 5xx are worth another attempt (SPEC §5); any other non-2xx is the receiver's final word. */
export const isRetryableStatus = (status: number) => status >= 500 || RETRYABLE_STATUSES.has(status);

/**
 * The first `maxBytes` of the body, without reading more of it than that: UTF-8 cut on a whole character. Bytes that
 * are not UTF-8 read as U+FFFD, so the text is well-formed. Null for an empty body.
 */
export async function readStart(res: Response, maxBytes: number): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // 4 bytes past the budget: a character cut by the end of what was read starts after the budget, so it is dropped
    while (size < maxBytes + 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined); // the rest of the body is not wanted
  }
  const read = Buffer.concat(chunks);
  const text = cutUtf8(read.subarray(0, maxBytes + 4).toString('utf8'), maxBytes);
  return text.length > 0 ? text : null;
}

/** `Retry-After` (seconds or an HTTP date) in ms, capped by `maxSeconds`; undefined when absent, unreadable or 0. */
export function retryAfterMs(res: Response, maxSeconds: number): number | undefined {
  const header = res.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.round(Math.min(Math.max(seconds, 0), maxSeconds) * 1000) || undefined;
}
