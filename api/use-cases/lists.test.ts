import { setTimeout as sleep } from 'node:timers/promises';
import { concurrencyLimit, mapLimited } from './lists';

/** A task that stays running until `release` is called, recording how many ran at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const task = (value: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return value;
  };
  return { task, releases, peak: () => peak, running: () => running };
}

describe('concurrencyLimit', () => {
  test('runs at most `concurrency` at once, starts the rest in order as others end, and answers each result', async () => {
    const { task, releases, peak, running } = gate();
    const limited = concurrencyLimit(2);
    const results = [1, 2, 3, 4, 5].map((n) => limited(task(n)));
    await Promise.resolve();
    expect(running()).toBe(2);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(peak()).toBe(2);
  });

  test('a task that throws rejects its own call only; the next one still starts', async () => {
    const limited = concurrencyLimit(1);
    const failing = limited(() => {
      throw new Error('refused');
    });
    const next = limited(() => Promise.resolve('ran'));
    await expect(failing).rejects.toThrow('refused');
    await expect(next).resolves.toBe('ran');
  });
});

describe('mapLimited', () => {
  test('answers the results in the items’ order, at most `limit` at a time', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimited(
      [30, 10, 20, 5],
      async (ms) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(ms);
        running--;
        return ms * 2;
      },
      2,
    );
    expect(results).toEqual([60, 20, 40, 10]);
    expect(peak).toBe(2);
  });
});
