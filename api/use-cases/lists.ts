import { InvalidJobError } from '../../jobs/validate';

/** Runs `fn` on every item, at most `limit` at a time (one describe per job must not flood the frontend). */
export async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 8): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Runs `fn` for one item of a list; an {@link InvalidJobError} it throws names its field under `prefix`
 * (`jobs.3.cron`). Other errors pass unchanged.
 */
export async function nested<T>(prefix: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof InvalidJobError ? err.within(prefix) : err;
  }
}
