import { setTimeout as sleep } from 'node:timers/promises';
import { sharedReads } from './shared-reads';

describe('sharedReads', () => {
  test('identical queries within the time share one load; another query, or a later one, loads again', async () => {
    const loads: string[] = [];
    const reads = sharedReads(async (q: { page: number }) => loads.push(JSON.stringify(q)), { ttlMs: 50 });
    const [a, b] = await Promise.all([reads.read({ page: 1 }), reads.read({ page: 1 })]);
    expect(a).toBe(b); // concurrent ones share the one query too
    await reads.read({ page: 2 });
    expect(loads).toHaveLength(2);
    await sleep(60);
    await reads.read({ page: 1 });
    expect(loads).toHaveLength(3);
  });

  test('forget() makes the next read load, and a failed load is not kept', async () => {
    let n = 0;
    const reads = sharedReads(async () => {
      n += 1;
      if (n === 2) throw new Error('store down');
      return n;
    });
    expect(await reads.read({})).toBe(1);
    reads.forget();
    await expect(reads.read({})).rejects.toThrow('store down');
    expect(await reads.read({})).toBe(3);
  });
});
