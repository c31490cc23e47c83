import { InvalidRequestError } from '../errors';

/**
 * The opaque `before` cursor of a list ordered by an instant, then an id, newest first (runs by `startedAt`, alert
 * episodes by `openedAt`): the last row's position, as base64url JSON.
 */
export const encodeCursor = (at: string, id: string): string =>
  Buffer.from(JSON.stringify([at, id])).toString('base64url');

/**
 * The position a cursor from {@link encodeCursor} names; undefined for none.
 * @throws {@link InvalidRequestError} on `before` when it is not a cursor this API returned.
 */
export function decodeCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // falls through to the 400 below
  }
  throw new InvalidRequestError('before: not a cursor returned by this API');
}
