/*
 * The note an admin's pause or resume leaves on a job's schedule (`paused by alice: upstream migration`), written by
 * the API and read back by the pause history, which takes who paused or resumed from it.
 */

/** The schedule note of an admin's pause (`paused` true) or resume, with the admin's own note when there is one. */
export const adminPauseNote = (paused: boolean, admin: string, note = ''): string =>
  `${paused ? 'paused' : 'resumed'} by ${admin}${note ? `: ${note}` : ''}`;

const ADMIN_NOTE = /^(?:paused|resumed) by (.+?)(?:: |$)/su;

/**
 * The admin named in a note {@link adminPauseNote} wrote; null for any other note (a pause made in Temporal itself,
 * a service's `enabled: false`) or none. A name holding `: ` is read up to it.
 */
export function adminOfNote(note: string | null): string | null {
  return note === null ? null : (ADMIN_NOTE.exec(note)?.[1] ?? null);
}
