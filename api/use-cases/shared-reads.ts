import { LRUCache } from 'lru-cache';

/**
 * How long identical list reads share one answer, in ms. A console polls its view every 5 s; a hundred consoles on
 * the jobs list then cost the mirror about one page a second instead of twenty (docs/console.md, "What polling costs").
 */
const SHARED_READ_MS = 1000;

/**
 * How many answers are kept: the queries consoles poll are few (the first page, a filter or two), and a page of 50
 * job views is about 100 KiB of heap; 200 kept answers were 20 MiB of a 256 MiB pod under a flood of distinct pages,
 * all of it promoted to the old generation (more garbage collection) and none of it read again.
 */
const SHARED_READS_KEPT = 20;

/**
 * Identical reads within `ttlMs` share one answer (its promise, so concurrent ones share the query too); `forget()`
 * drops every answer, so a read that starts after a write through this process sees the write. A failed read is not
 * kept. Writes the process does not see (another replica's, the worker's run rows) show within `ttlMs`.
 * `lru-cache` keeps the answers: at most `max` (default {@link SHARED_READS_KEPT}), each for `ttlMs`.
 */
export function sharedReads<Q, R>(
  load: (query: Q) => Promise<R>,
  { ttlMs = SHARED_READ_MS, max = SHARED_READS_KEPT } = {},
) {
  const answers = new LRUCache<string, Promise<R>>({ max, ttl: ttlMs });
  return {
    /** `load(query)`, or the answer an identical query (by its JSON) got less than `ttlMs` ago. */
    read(query: Q): Promise<R> {
      const key = JSON.stringify(query);
      const kept = answers.get(key);
      if (kept) return kept;
      const answer = load(query);
      answers.set(key, answer);
      answer.catch(() => answers.get(key) === answer && answers.delete(key));
      return answer;
    },
    /** Drops every kept answer (after a write). */
    forget: () => answers.clear(),
  };
}
