import { InvalidJobError } from '../../jobs/validate';

/**
 * A concurrency limit: `limit(fn)` starts `fn` once fewer than `concurrency` of its calls are running, in the order
 * asked, and answers what `fn` answers. Hand-written on purpose: p-limit, the usual library, is ESM-only since 4.0,
 * and this is the service's one limiter (lists below, the schedule times' refreshes).
 */
export function concurrencyLimit(concurrency: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const startNext = () => {
    if (running < concurrency) waiting.shift()?.();
  };
  return (fn) =>
    new Promise((resolve, reject) => {
      waiting.push(() => {
        running++;
        (async () => fn())()
          .then(resolve, reject)
          .finally(() => {
            running--;
            startNext();
          });
      });
      startNext();
    });
}

/** Runs `fn` on every item, at most `limit` at a time (one describe per job must not flood the frontend). */
export function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 8): Promise<R[]> {
  const limited = concurrencyLimit(limit);
  return Promise.all(items.map((item) => limited(() => fn(item))));
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
