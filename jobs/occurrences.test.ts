import { buildLedger, type LedgerJob, type PauseSpan, type RunSpan } from './occurrences';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const minute = (n: number) => T0 + n * MIN;

/** A scheduled run of minute `n`, started `startDelayMs` after it and lasting `durationMs`. */
const scheduled = (n: number, durationMs = 2_000, startDelayMs = 300): RunSpan => ({
  id: `job-run-digest-${iso(minute(n))}`,
  trigger: 'schedule',
  triggeredBy: null,
  retryOf: null,
  status: 'succeeded',
  scheduledAt: iso(minute(n)),
  startedAt: iso(minute(n) + startDelayMs),
  completedAt: iso(minute(n) + startDelayMs + durationMs),
});

const job: LedgerJob = { overlap: 'skip', catchupWindowSeconds: 3600, jitterSeconds: 0, createdAt: iso(T0 - MIN) };
const everyMinute = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => minute(from + i));
const window = (from: number, to: number) => ({ from: minute(from), to: minute(to) });

describe('the occurrence ledger', () => {
  test('a time whose run the schedule started ran, with its run and status', () => {
    const runs = [scheduled(0), { ...scheduled(1), status: 'failed' as const }];
    const { occurrences, counts } = buildLedger(window(0, 2), everyMinute(0, 2), runs, [], job, minute(10));
    expect(occurrences.map((o) => [o.fate, o.executionId, o.status])).toEqual([
      ['ran', runs[0]!.id, 'succeeded'],
      ['ran', runs[1]!.id, 'failed'],
    ]);
    expect(counts).toMatchObject({ ran: 2, unexplained: 0 });
  });

  test('times that came while a run still held the job are skipped, naming that run', () => {
    const long = scheduled(0, 2.5 * MIN);
    const { occurrences } = buildLedger(window(0, 4), everyMinute(0, 4), [long, scheduled(3)], [], job, minute(10));
    expect(occurrences.map((o) => o.fate)).toEqual(['ran', 'skipped', 'skipped', 'ran']);
    expect(occurrences[1]).toMatchObject({
      executionId: long.id,
      reason: expect.stringContaining('overlap policy skip'),
    });
  });

  test('a time that came just after a run recorded its end is skipped by it (Temporal had not yet seen the close)', () => {
    const closing = scheduled(0, MIN - 300 - 1_200); // ended 1.2 s before minute 1
    const longGone = scheduled(2, MIN - 300 - 6_000); // ended 6 s before minute 3
    const runs = [closing, longGone, scheduled(4)];
    const { occurrences } = buildLedger(window(0, 5), everyMinute(0, 5), runs, [], job, minute(10));
    expect(occurrences.map((o) => o.fate)).toEqual(['ran', 'skipped', 'ran', 'unexplained', 'ran']);
    expect(occurrences[1]).toMatchObject({
      executionId: closing.id,
      reason: `skipped by the overlap policy skip: ${closing.id} had ended 1200 ms before, not yet seen by the scheduler`,
    });
    // Temporal down from just after a run: the times it then missed are missed, not held by that run
    const outage = buildLedger(
      window(0, 5),
      everyMinute(0, 5),
      [closing, { ...scheduled(4), startedAt: iso(minute(4) + 30_000) }],
      [],
      { ...job, catchupWindowSeconds: 60 },
      minute(10),
    );
    expect(outage.occurrences.map((o) => o.fate)).toEqual(['ran', 'missed', 'missed', 'missed', 'ran']);
    const allowAll = buildLedger(
      window(0, 5),
      everyMinute(0, 5),
      runs,
      [],
      { ...job, overlap: 'allow_all' },
      minute(10),
    );
    expect(allowAll.occurrences[1]!.fate).toBe('unexplained');
  });

  test('under allow_all or buffer_all nothing is skipped: a time with no run is unexplained', () => {
    const long = scheduled(0, 2.5 * MIN);
    for (const overlap of ['allow_all', 'buffer_all'] as const) {
      const runs = [long, scheduled(2)];
      const { counts } = buildLedger(window(0, 3), everyMinute(0, 3), runs, [], { ...job, overlap }, minute(10));
      expect(counts).toMatchObject({ ran: 2, skipped: 0, unexplained: 1 });
    }
  });

  test('times in a pause are paused, with who paused it and the note; the resume brings runs back', () => {
    const pauses: PauseSpan[] = [
      { at: iso(minute(1) - 5_000), paused: true, by: 'alice', note: 'paused by alice: migration' },
      { at: iso(minute(3) - 5_000), paused: false, by: 'alice', note: 'resumed by alice' },
    ];
    const runs = [scheduled(0), scheduled(3)];
    const { occurrences } = buildLedger(window(0, 4), everyMinute(0, 4), runs, pauses, job, minute(10));
    expect(occurrences.map((o) => o.fate)).toEqual(['ran', 'paused', 'paused', 'ran']);
    expect(occurrences[1]!.pause).toEqual({ at: pauses[0]!.at, by: 'alice', note: 'paused by alice: migration' });
  });

  test('a pause that began before the window covers its first times', () => {
    const pauses: PauseSpan[] = [{ at: iso(minute(-30)), paused: true, by: null, note: null }];
    const { counts } = buildLedger(window(0, 5), everyMinute(0, 5), [], pauses, job, minute(10));
    expect(counts.paused).toBe(5);
  });

  test('an outage longer than the catch-up window: older times missed, the pass after it runs one and skips the rest', () => {
    // Temporal down from 10:01 to 11:20; at 11:20 its scheduler takes 10:01..11:20 in one pass: what is more than
    // an hour late is missed, the first time within the hour starts, and the overlap policy skips the others.
    const resumed = minute(80);
    const first = { ...scheduled(20), startedAt: iso(resumed + 500), completedAt: iso(resumed + 2_500) };
    const runs = [scheduled(0), first, scheduled(81)];
    const { occurrences, counts } = buildLedger(window(0, 82), everyMinute(0, 82), runs, [], job, minute(90));
    const fate = (n: number) => occurrences[n]!.fate;
    expect([fate(1), fate(19)]).toEqual(['missed', 'missed']);
    expect([fate(20), fate(21), fate(80), fate(81)]).toEqual(['ran', 'skipped', 'skipped', 'ran']);
    expect(counts).toEqual({ ran: 3, missed: 19, skipped: 60, paused: 0, not_due: 0, unexplained: 0 });
  });

  test('a scheduler that has started nothing for longer than the catch-up window: the times since are missed', () => {
    const { occurrences } = buildLedger(
      window(0, 3),
      everyMinute(0, 3),
      [scheduled(0)],
      [],
      job,
      minute(0) + 2 * 3600_000,
    );
    expect(occurrences.map((o) => o.fate)).toEqual(['ran', 'missed', 'missed']);
  });

  test('times to come, just due, or before the job existed are not due; a due time with no run is not yet judged', () => {
    const created = { ...job, createdAt: iso(minute(1)) };
    const { occurrences } = buildLedger(
      window(0, 4),
      everyMinute(0, 4),
      [scheduled(1)],
      [],
      created,
      minute(2) + 30_000,
    );
    expect(occurrences.map((o) => [o.fate, o.reason])).toEqual([
      ['not_due', 'before the job was registered'],
      ['ran', expect.any(String)],
      ['not_due', 'due; not started yet'],
      ['not_due', 'not yet due'],
    ]);
  });

  test('a time with no run, no pause, no overlap and no outage is unexplained', () => {
    const { occurrences } = buildLedger(
      window(0, 3),
      everyMinute(0, 3),
      [scheduled(0), scheduled(2)],
      [],
      job,
      minute(10),
    );
    expect(occurrences.map((o) => o.fate)).toEqual(['ran', 'unexplained', 'ran']);
  });

  test('manual, retry and backfill runs are listed beside the occurrences; a backfill is noted on its time', () => {
    const pauses: PauseSpan[] = [{ at: iso(minute(0) + 10_000), paused: true, by: 'bob', note: null }];
    const backfill: RunSpan = { ...scheduled(1), trigger: 'backfill', triggeredBy: 'carol', startedAt: iso(minute(5)) };
    const manual: RunSpan = { ...scheduled(0), id: 'job-run-digest-manual-1', trigger: 'manual', scheduledAt: null };
    const retry: RunSpan = { ...manual, id: 'job-run-digest-retry-1', trigger: 'retry', startedAt: iso(minute(2)) };
    const runs = [scheduled(0), manual, retry, backfill];
    const ledger = buildLedger(window(0, 6), everyMinute(0, 3), runs, pauses, job, minute(10));
    expect(ledger.occurrences.map((o) => o.fate)).toEqual(['ran', 'paused', 'paused']);
    expect(ledger.occurrences[1]!.backfilledBy).toBe(backfill.id);
    expect(ledger.manual.map((r) => r.id)).toEqual([manual.id, retry.id, backfill.id]);
  });

  test('a due time with nothing started since, still within the catch-up window, is not judged yet', () => {
    const { occurrences } = buildLedger(window(0, 3), everyMinute(0, 3), [scheduled(0)], [], job, minute(30));
    expect(occurrences.map((o) => [o.fate, o.reason])).toEqual([
      ['ran', expect.any(String)],
      ['not_due', 'due; not started yet'],
      ['not_due', 'due; not started yet'],
    ]);
  });
});
