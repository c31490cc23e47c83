import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../jobs/job';
import { createBatches, createHandOvers } from './watch';

const job = (name: string, endpoint = `/jobs/${name}`): JobDefinition => ({
  ...JOB_DEFAULTS,
  name,
  service: 'email-service',
  endpoint,
  cron: '@daily',
  payload: {},
  retry: DEFAULT_RETRY,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The rules hand-overs a registration leaves behind it (temporal/watch.ts). */
describe('createHandOvers', () => {
  function handOvers(options: { quietMs: number; maxWaitMs: number; intervalMs?: number }, fail?: string) {
    const sent: { name: string; endpoint: string; at: number }[] = [];
    const failed: string[] = [];
    const send = async (d: JobDefinition) => {
      if (d.name === fail) throw new Error('Temporal unavailable');
      sent.push({ name: d.name, endpoint: d.endpoint, at: Date.now() });
    };
    return { sent, failed, queue: createHandOvers(send, (name) => void failed.push(name), options) };
  }

  it('waits until registrations pause, then makes each once, in the order they came', async () => {
    const { sent, queue } = handOvers({ quietMs: 300, maxWaitMs: 10_000, intervalMs: 100 });
    for (const name of ['a', 'b', 'c']) queue.add(job(name));
    const lastAdded = Date.now();
    await sleep(0);
    expect(sent).toEqual([]);
    while (sent.length < 3) await sleep(20);
    expect(sent.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(sent[0]!.at - lastAdded).toBeGreaterThanOrEqual(300 - 5); // a timer may fire a millisecond early
    // then at their pace
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(100 - 5);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(100 - 5);
  });

  it('sends a job queued twice once, with its latest definition, in its first place', async () => {
    const { sent, queue } = handOvers({ quietMs: 50, maxWaitMs: 10_000 });
    queue.add(job('a', '/v1'));
    queue.add(job('b'));
    queue.add(job('a', '/v2'));
    await queue.flush();
    expect(sent.map(({ name, endpoint }) => [name, endpoint])).toEqual([
      ['a', '/v2'],
      ['b', '/jobs/b'],
    ]);
  });

  it('makes none wait longer than the maximum while registrations go on', async () => {
    const { sent, queue } = handOvers({ quietMs: 1_000, maxWaitMs: 300 });
    const started = Date.now();
    queue.add(job('first'));
    const added = [started];
    for (let i = 0; sent.length === 0; i++) {
      await sleep(50);
      queue.add(job(`busy-${i}`));
      added.push(Date.now());
    }
    expect(sent[0]!.name).toBe('first');
    expect(sent[0]!.at - started).toBeGreaterThanOrEqual(300 - 5);
    // registrations were still coming (well within the quiet spell) when it went
    expect(sent[0]!.at - Math.max(...added.filter((t) => t <= sent[0]!.at))).toBeLessThan(1_000);
    await queue.flush();
  });

  it('a flush makes every pending one at once; a failure is told and does not stop the rest', async () => {
    const { sent, failed, queue } = handOvers({ quietMs: 60_000, maxWaitMs: 60_000 }, 'b');
    for (const name of ['a', 'b', 'c']) queue.add(job(name));
    const started = Date.now();
    await queue.flush();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sent.map((s) => s.name)).toEqual(['a', 'c']);
    expect(failed).toEqual(['b']);
  });
});

/** The ends of a job's runs told to its watch (temporal/watch.ts): a burst in a few signals, none lost. */
describe('createBatches', () => {
  /** A send that each test releases by hand: `sends` holds what went, in order, with its release. */
  function batches(maxItems?: number) {
    const sends: { key: string; items: number[]; done: (err?: Error) => void }[] = [];
    const queue = createBatches<number>(
      (key, items) =>
        new Promise<void>((resolve, reject) => {
          sends.push({ key, items, done: (err) => (err ? reject(err) : resolve()) });
        }),
      maxItems,
    );
    return { sends, queue };
  }
  const settled = (p: Promise<void>) =>
    p.then(
      () => 'taken',
      (err: Error) => err.message,
    );

  it('sends a lone item at once, and what comes while it is in flight together next, in order', async () => {
    const { sends, queue } = batches();
    const first = settled(queue.add('job', 1));
    await sleep(0);
    expect(sends.map((s) => s.items)).toEqual([[1]]);
    const later = [2, 3, 4].map((i) => settled(queue.add('job', i)));
    await sleep(0);
    expect(sends).toHaveLength(1); // nothing more while the first is in flight
    sends[0]!.done();
    expect(await first).toBe('taken');
    await sleep(0);
    expect(sends.map((s) => s.items)).toEqual([[1], [2, 3, 4]]);
    sends[1]!.done();
    expect(await Promise.all(later)).toEqual(['taken', 'taken', 'taken']);
  });

  it('keeps keys apart: one job in flight holds no other', async () => {
    const { sends, queue } = batches();
    void queue.add('a', 1);
    void queue.add('b', 2);
    await sleep(0);
    expect(sends.map((s) => [s.key, s.items])).toEqual([
      ['a', [1]],
      ['b', [2]],
    ]);
  });

  it('rejects the items of a send that failed, and still sends the next batch', async () => {
    const { sends, queue } = batches();
    const failed = settled(queue.add('job', 1));
    await sleep(0);
    const next = settled(queue.add('job', 2));
    sends[0]!.done(new Error('Temporal unavailable'));
    expect(await failed).toBe('Temporal unavailable');
    await sleep(0);
    expect(sends.map((s) => s.items)).toEqual([[1], [2]]);
    sends[1]!.done();
    expect(await next).toBe('taken');
  });

  it('holds at most maxItems a batch: the rest go in the batches after, in order', async () => {
    const { sends, queue } = batches(2);
    void queue.add('job', 1);
    await sleep(0);
    const later = [2, 3, 4, 5, 6].map((i) => settled(queue.add('job', i)));
    for (let i = 0; i < 4; i++) {
      sends[i]!.done();
      await sleep(0);
    }
    expect(sends.map((s) => s.items)).toEqual([[1], [2, 3], [4, 5], [6]]);
    expect(await Promise.all(later)).toEqual(['taken', 'taken', 'taken', 'taken', 'taken']);
  });
});
