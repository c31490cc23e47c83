import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api';

/**
 * How often a view asks the API again while its tab is visible. Each view makes one request per poll (the job page
 * two: the job and a page of its runs; its occurrence ledger every 30 s), and none while the tab is hidden;
 * docs/console.md gives the cost.
 */
const POLL_MS = 5000;

export interface Polled<T> {
  data: T | undefined;
  error: ApiFailure | null;
  /** Asks again now (after an action), whatever the timer. */
  reload: () => void;
}

/**
 * `load()` now, whenever `key` changes (with `keepPrevious`, a list keeps showing the previous key's answer until the
 * new one arrives, instead of flashing empty on each filter change), and every `everyMs` ({@link POLL_MS} unless
 * given) while the document is visible; at most one request
 * in flight, and an answer for an older `key` is dropped. Paused on `visibilitychange` to hidden; asks at once when
 * the tab is shown again.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  key: string,
  { keepPrevious = false, everyMs = POLL_MS } = {},
): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error: ApiFailure | null }>({ key, error: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  const inFlight = useRef(false);
  const again = useRef(false);
  const generation = useRef(0);

  const run = useCallback(() => {
    if (inFlight.current) {
      again.current = true; // an action's reload must not be answered by a request sent before it
      return;
    }
    inFlight.current = true;
    const mine = generation.current;
    loadRef
      .current()
      .then(
        (data) => mine === generation.current && setState({ key, data, error: null }),
        (err: unknown) =>
          mine === generation.current &&
          setState((s) => ({
            key,
            data: s.key === key ? s.data : undefined,
            error: err instanceof ApiFailure ? err : new ApiFailure(0, String(err)),
          })),
      )
      .finally(() => {
        if (mine !== generation.current) return;
        inFlight.current = false;
        if (again.current) {
          again.current = false;
          run();
        }
      });
  }, [key]);

  useEffect(() => {
    generation.current += 1;
    inFlight.current = false;
    again.current = false;
    run();
    const timer = setInterval(() => document.visibilityState === 'visible' && run(), everyMs);
    const onVisible = () => document.visibilityState === 'visible' && run();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [run, everyMs]);

  const current = state.key === key;
  return {
    data: current || keepPrevious ? state.data : undefined,
    error: current ? state.error : null,
    reload: run,
  };
}
