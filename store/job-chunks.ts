import type { JobQuery, JobRow } from './job-store';

/**
 * `JobStore.listJobs` for a store that reads at most `chunkRows` job rows at a time: every job of `filter` (up to its
 * `limit`), in name order, read chunk after chunk by `readChunk` (one statement or request, the name keyset: `after`
 * the last name read). `between` runs between two chunks (the SQLite store lets the event loop turn there). A job
 * written while the chunks are read may or may not be listed.
 */
export async function jobsInChunks(
  filter: JobQuery,
  chunkRows: number,
  readChunk: (chunk: JobQuery & { limit: number }) => Promise<JobRow[]>,
  between: () => Promise<unknown> = async () => undefined,
): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  for (let after = filter.after; ; await between()) {
    const limit = Math.min(chunkRows, (filter.limit ?? Infinity) - rows.length);
    const chunk = await readChunk({ ...filter, after, limit });
    rows.push(...chunk);
    if (chunk.length < limit || rows.length === filter.limit) return rows;
    after = chunk[chunk.length - 1]!.definition.name;
  }
}
