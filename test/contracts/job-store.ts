/** The behaviour every JobStore shares (SPEC §6), run against the memory fake, SQLite and real PostgREST. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILED_STATUSES, type ExecutionRecord, type ExecutionStatus } from '../../jobs/execution';
import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../../jobs/job';
import type { MirrorRefusal } from '../../jobs/execution-events';
import type { AlertRecord } from '../../jobs/alert';
import {
  NO_RUN_HEALTH,
  NO_TIMES,
  PAUSE_CHANGES_KEPT,
  StoreError,
  type ExecutionQuery,
  type JobQuery,
  type JobRecord,
  type JobRow,
  type JobStore,
  type PauseChange,
} from '../../store/job-store';
import { keepRefusedRows } from '../../store/refused-writes';

export interface ContractSubject {
  store: JobStore;
  /** Plain SQL against the database under the store, to run the seed's queries unchanged. */
  rawQuery?: (sql: string) => Promise<Record<string, unknown>[]>;
}

/**
 * Each store under the contract refuses, for its content, an execution row whose `response` or `error` holds this
 * text, as its database would refuse a row (SQLite: a trigger's RAISE(ABORT); PostgreSQL: a trigger raising SQLSTATE
 * 22P05, what it raises for a lone surrogate; the memory fake: its `refusesExecution` rule).
 */
export const REFUSED_TEXT = 'refused-by-the-contract-rule';

export interface ContractOptions {
  /** False for a store without SQL underneath (the in-memory fake): the seed-query cases are not defined at all. */
  sql: boolean;
}

/** The columns SPEC §6 names; the seed's `SELECT *` queries must show them. */
const JOB_SCHEDULES_COLUMNS = [
  'job_name',
  'service',
  'endpoint',
  'cron_expression',
  'timezone',
  'enabled',
  'paused',
  'description',
  'payload',
  'total_runs',
  'successful_runs',
  'failed_runs',
  'last_run_at',
  'last_status',
  'created_at',
  'updated_at',
];
const SCHEDULED_JOBS_COLUMNS = [
  'id',
  'job_name',
  'status',
  'trigger',
  'triggered_by',
  'retry_of',
  'scheduled_at',
  'started_at',
  'completed_at',
  'duration_ms',
  'attempts',
  'http_status',
  'error',
  'response',
  'workflow_id',
  'run_id',
];

/** Stores may share one database across tests and runs, so every test names its own jobs and services. */
const runTag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let sequence = 0;
const uniqueName = (label: string) => `${label}-${runTag}-${(sequence++).toString(36)}`;

/** Second `n` of a fixed minute, so tests control order and ties exactly. */
const at = (n: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, 0) + n * 1000).toISOString();

function definition(name: string, service: string, overrides: Partial<JobDefinition> = {}): JobDefinition {
  return {
    ...JOB_DEFAULTS,
    name,
    service,
    endpoint: `/api/jobs/${name}`,
    cron: '0 8 * * 1',
    payload: { batch: 50, nested: { tags: ['a', 'b'], flag: true } },
    retry: { ...DEFAULT_RETRY },
    ...overrides,
  };
}

/** A job's record as a registration writes it, with the contract's definition (a weekly cron, a nested payload). */
export function jobRecord(name: string, service: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    definition: definition(name, service),
    paused: false,
    pauseNote: null,
    scheduleNote: null,
    times: NO_TIMES,
    createdAt: at(0),
    updatedAt: at(0),
    scheduleUpdatedAt: null,
    ...overrides,
  };
}

function execution(
  id: string,
  job: { name: string; service: string },
  overrides: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  return {
    id,
    jobName: job.name,
    service: job.service,
    status: 'running',
    trigger: 'schedule',
    triggeredBy: null,
    retryOf: null,
    scheduledAt: at(0),
    startedAt: at(1),
    completedAt: null,
    durationMs: null,
    attempts: 0,
    httpStatus: null,
    error: null,
    response: null,
    workflowId: id,
    runId: `run-${id}`,
    ...overrides,
  };
}

/** An execution in its final state, as the workflow's end write records it. */
function finished(e: ExecutionRecord, status: ExecutionStatus, overrides: Partial<ExecutionRecord> = {}) {
  return {
    ...e,
    status,
    completedAt: at(30),
    durationMs: 29_000,
    attempts: 1,
    httpStatus: status === 'succeeded' ? 200 : status === 'failed' ? 500 : null,
    error: status === 'succeeded' ? null : `${status} on purpose`,
    response: status === 'succeeded' ? '{"ok":true}' : null,
    ...overrides,
  };
}

function freshJob(store: JobStore, label = 'job') {
  const job = { name: uniqueName(label), service: uniqueName('svc') };
  return {
    ...job,
    upsert: (overrides: Partial<JobRecord> = {}) => store.upsertJob(jobRecord(job.name, job.service, overrides)),
  };
}

/** Every page of a query, following the `before` cursor from each page's last row. */
async function allPages(store: JobStore, query: Omit<ExecutionQuery, 'before'>): Promise<ExecutionRecord[][]> {
  const pages: ExecutionRecord[][] = [];
  let before: ExecutionQuery['before'];
  for (;;) {
    const page = await store.listExecutions({ ...query, before });
    pages.push(page);
    const last = page.at(-1);
    if (page.length < query.limit || !last) return pages;
    before = { startedAt: last.startedAt, id: last.id };
    if (pages.length > 100) throw new Error('the cursor does not advance');
  }
}

const ids = (executions: ExecutionRecord[]) => executions.map((e) => e.id);

/** An open episode of `job`'s rule, opened at second `n`, decided at second `n` (override to move it on). */
function alertRecord(
  id: string,
  job: { name: string; service: string },
  n: number,
  overrides: Partial<AlertRecord> = {},
): AlertRecord {
  return {
    id,
    jobName: job.name,
    service: job.service,
    rule: { type: 'consecutive_failures', count: 3 },
    state: 'open',
    summary: `${job.name}: 3 failed runs in a row`,
    openedAt: at(n),
    resolvedAt: null,
    runs: [
      {
        executionId: `${id}-run`,
        status: 'failed',
        scheduledAt: at(n - 1),
        startedAt: at(n - 1),
        error: 'HTTP 500: boom',
        httpStatus: 500,
      },
    ],
    deliveries: [{ destination: 'ops', kind: 'firing', status: 'pending', at: at(n), detail: null }],
    updatedAt: at(n),
    ...overrides,
  };
}

export function describeJobStoreContract(
  name: string,
  open: () => Promise<ContractSubject>,
  options: ContractOptions = { sql: true },
): void {
  describe(`${name} fulfils the JobStore contract`, () => {
    let subject: ContractSubject | undefined;
    const store = () => {
      if (!subject) throw new Error('open() did not run');
      return subject.store;
    };

    beforeAll(async () => {
      subject = await open();
    });
    afterAll(async () => {
      await subject?.store.close();
    });

    describe('jobs', () => {
      it('returns an upserted job with zero counters', async () => {
        const job = freshJob(store());
        const record = jobRecord(job.name, job.service, { createdAt: at(5), updatedAt: at(6) });
        await store().upsertJob(record);

        expect(await store().getJob(job.name)).toEqual({
          ...record,
          stats: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
          pruned: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
          lastExecution: null,
          health: NO_RUN_HEALTH,
        });
      });

      it('returns null for an unknown job', async () => {
        expect(await store().getJob(uniqueName('missing'))).toBeNull();
      });

      it('lists jobs by name and filters them by service', async () => {
        const service = uniqueName('svc');
        const other = uniqueName('svc');
        const [first, second, third] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
        await store().upsertJob(jobRecord(second, service));
        await store().upsertJob(jobRecord(first, service, { paused: true, pauseNote: 'paused by ops' }));
        await store().upsertJob(jobRecord(third, other));

        const listed = await store().listJobs({ service });
        expect(listed.map((j) => j.definition.name)).toEqual([first, second]);
        expect(listed.map((j) => j.paused)).toEqual([true, false]);
        const all = (await store().listJobs({})).map((j) => j.definition.name);
        expect(all).toEqual(expect.arrayContaining([first, second, third]));
        expect(all).toEqual([...all].sort());
      });

      it('lists every job of a filter however many, past what one read answers (PostgREST: at most 1000 rows)', async () => {
        const service = uniqueName('many');
        const names = Array.from({ length: 1010 }, (_, i) => `${service}-${String(i).padStart(4, '0')}`);
        for (let i = 0; i < names.length; i += 50) {
          await Promise.all(names.slice(i, i + 50).map((name) => store().upsertJob(jobRecord(name, service))));
        }
        const namesOf = (rows: JobRow[]) => rows.map((row) => row.definition.name);
        expect(namesOf(await store().listJobs({ service }))).toEqual(names);
        expect(namesOf(await store().listJobs({ service, limit: 1005 }))).toEqual(names.slice(0, 1005));
        expect(namesOf(await store().listJobs({ service, after: names[2] }))).toEqual(names.slice(3));
      }, 120_000);

      it("keeps a job's pause note and schedule times", async () => {
        const service = uniqueName('svc');
        const name = uniqueName('times');
        const times = { nextRunTimes: [at(100), at(200)], skipped: 3, missed: 1 };
        const record = jobRecord(name, service, {
          paused: true,
          pauseNote: 'paused by ops: migration',
          times,
          scheduleUpdatedAt: at(5),
        });
        await store().upsertJob(record);
        expect(await store().getJob(name)).toMatchObject(record);
      });

      it('orders racing writes of one job by the Temporal state they were read from', async () => {
        const service = uniqueName('svc');
        const name = uniqueName('race');
        const version = (n: number, scheduleUpdatedAt: string | null) =>
          jobRecord(name, service, {
            definition: definition(name, service, { description: `v${n}` }),
            scheduleUpdatedAt,
          });
        const description = async () => (await store().getJob(name))?.definition.description;
        await store().upsertJob(version(1, null)); // written at creation
        await store().upsertJob(version(3, at(30))); // read from Temporal: replaces it
        expect(await description()).toBe('v3');
        await store().upsertJob(version(2, at(20))); // read earlier, landed later: ignored
        await store().upsertJob(version(0, null)); // a creation's write landing after a read: ignored
        expect(await description()).toBe('v3');
        await store().upsertJob(version(4, at(30))); // as recent: replaces (a refresh of the same state)
        expect(await description()).toBe('v4');
        await store().upsertJob(version(5, at(40)));
        expect(await description()).toBe('v5');
        await store().deleteJob(name);
        await store().upsertJob(version(6, null)); // created again
        expect(await description()).toBe('v6');
      });

      it('pages jobs in name order, after a name, and filters them by paused', async () => {
        const service = uniqueName('svc');
        const names = [uniqueName('p'), uniqueName('p'), uniqueName('p'), uniqueName('p'), uniqueName('p')].sort();
        for (const [i, name] of names.entries()) {
          await store().upsertJob(jobRecord(name, service, { paused: i % 2 === 1 }));
        }
        const page = async (filter: { after?: string; limit?: number; paused?: boolean }) =>
          (await store().listJobs({ service, ...filter })).map((j) => j.definition.name);
        expect(await page({ limit: 2 })).toEqual(names.slice(0, 2));
        expect(await page({ limit: 2, after: names[1] })).toEqual(names.slice(2, 4));
        expect(await page({ limit: 2, after: names[3] })).toEqual(names.slice(4));
        expect(await page({ after: names[4] })).toEqual([]);
        expect(await page({ paused: false })).toEqual([names[0], names[2], names[4]]);
        expect(await page({ paused: true, after: names[0], limit: 1 })).toEqual([names[1]]);
      });

      it('filters jobs by a case-insensitive part of the name and by failing, with the other filters and paging', async () => {
        const service = uniqueName('svc');
        const alpha = { name: uniqueName('hq-alpha'), service };
        const beta = { name: uniqueName('hq-beta'), service };
        const alphabet = { name: uniqueName('hq-alphabet'), service };
        for (const j of [alpha, beta, alphabet]) await store().upsertJob(jobRecord(j.name, service));
        await store().recordExecution(finished(execution(uniqueName('e'), alpha), 'failed'));
        await store().recordExecution(finished(execution(uniqueName('e'), beta), 'succeeded'));
        const names = async (q: Omit<JobQuery, 'service'>) =>
          (await store().listJobs({ service, ...q })).map((j) => j.definition.name);

        expect(await names({ nameContains: 'ALPHA' })).toEqual([alpha.name, alphabet.name]);
        expect(await names({ nameContains: 'Alpha', limit: 1 })).toEqual([alpha.name]);
        expect(await names({ nameContains: 'alpha', after: alpha.name })).toEqual([alphabet.name]);
        expect(await names({ failing: true })).toEqual([alpha.name]);
        expect(await names({ failing: false })).toEqual([alphabet.name, beta.name]);
        expect(await names({ nameContains: 'alpha', failing: false })).toEqual([alphabet.name]);
        expect(await names({ nameContains: 'hq-', failing: false, paused: false, limit: 1 })).toEqual([alphabet.name]);
        // characters LIKE and regular expressions reserve match only themselves
        for (const text of ['.', '.*', '%', '_', '*', '\\', '(', '['])
          expect(await names({ nameContains: text })).toEqual([]);
      });

      it('replaces the definition on a second upsert and keeps the counters and createdAt', async () => {
        const job = freshJob(store());
        await job.upsert({ createdAt: at(1), updatedAt: at(1) });
        await store().recordExecution(finished(execution(uniqueName('e'), job), 'succeeded'));
        await store().recordExecution(finished(execution(uniqueName('e'), job, { startedAt: at(2) }), 'failed'));

        const changed = definition(job.name, job.service, {
          cron: '*/5 * * * *',
          payload: { v: 2 },
          description: 'v2',
          enabled: false,
        });
        await store().upsertJob(
          jobRecord(job.name, job.service, {
            definition: changed,
            paused: true,
            createdAt: at(50),
            updatedAt: at(51),
          }),
        );

        const row = await store().getJob(job.name);
        expect(row).toMatchObject({ definition: changed, paused: true, createdAt: at(1), updatedAt: at(51) });
        expect(row?.stats).toEqual({ totalRuns: 2, successfulRuns: 1, failedRuns: 1 });
      });

      it('deletes a job but keeps its executions', async () => {
        const job = freshJob(store());
        await job.upsert();
        const e = finished(execution(uniqueName('e'), job), 'succeeded');
        await store().recordExecution(e);

        await store().deleteJob(job.name);

        expect(await store().getJob(job.name)).toBeNull();
        expect(await store().listJobs({ service: job.service })).toEqual([]);
        expect(await store().getExecution(e.id)).toEqual(e);
        expect(ids(await store().listExecutions({ jobName: job.name, limit: 10 }))).toEqual([e.id]);
      });

      it('stores a job whose description and payload hold NUL characters, without them', async () => {
        const job = freshJob(store());
        const withNul = definition(job.name, job.service, {
          description: 'weekly\u0000 digest\u0000',
          payload: {
            subject: '\u0000hello\u0000world',
            nested: { tags: ['a\u0000b', 'c'], 'key\u0000name': 'v\u0000' },
            count: 3,
            none: null,
          },
        });
        await store().upsertJob(
          jobRecord(job.name, job.service, { definition: withNul, createdAt: at(1), updatedAt: at(2) }),
        );

        const expected = definition(job.name, job.service, {
          description: 'weekly digest',
          payload: { subject: 'helloworld', nested: { tags: ['ab', 'c'], keyname: 'v' }, count: 3, none: null },
        });
        expect(await store().getJob(job.name)).toEqual({
          definition: expected,
          paused: false,
          pauseNote: null,
          scheduleNote: null,
          times: NO_TIMES,
          createdAt: at(1),
          updatedAt: at(2),
          scheduleUpdatedAt: null,
          stats: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
          pruned: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
          lastExecution: null,
          health: NO_RUN_HEALTH,
        });
        expect((await store().listJobs({ service: job.service })).map((j) => j.definition)).toEqual([expected]);
      });

      it('deletes an unknown job without complaint', async () => {
        await expect(store().deleteJob(uniqueName('missing'))).resolves.toBeUndefined();
      });
    });

    describe('executions and counters', () => {
      it('updates one row from running to succeeded and counts it once', async () => {
        const job = freshJob(store());
        await job.upsert();
        const started = execution(uniqueName('e'), job, { trigger: 'manual', triggeredBy: 'alice' });

        await store().recordExecution(started);
        expect(await store().getExecution(started.id)).toEqual(started);
        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 1, successfulRuns: 0, failedRuns: 0 },
          lastExecution: { id: started.id, status: 'running', startedAt: started.startedAt, completedAt: null },
        });

        const ended = finished(started, 'succeeded');
        await store().recordExecution(ended);
        expect(await store().getExecution(started.id)).toEqual(ended);
        expect(await store().listExecutions({ jobName: job.name, limit: 10 })).toEqual([ended]);
        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 1, successfulRuns: 1, failedRuns: 0 },
          lastExecution: {
            id: started.id,
            status: 'succeeded',
            startedAt: ended.startedAt,
            completedAt: ended.completedAt,
          },
        });
      });

      it('does not double count repeated identical writes', async () => {
        const job = freshJob(store());
        await job.upsert();
        const started = execution(uniqueName('e'), job);
        const ended = finished(started, 'succeeded');

        for (const write of [started, started, ended, ended, ended]) await store().recordExecution(write);

        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 1, successfulRuns: 1, failedRuns: 0 });
        expect(await store().listExecutions({ jobName: job.name, limit: 10 })).toEqual([ended]);
      });

      it('keeps a final status when a late running write arrives', async () => {
        const job = freshJob(store());
        await job.upsert();
        const started = execution(uniqueName('e'), job);
        const failed = finished(started, 'failed', { attempts: 5 });

        await store().recordExecution(started);
        await store().recordExecution(failed);
        await store().recordExecution({ ...started, attempts: 2 });

        expect(await store().getExecution(started.id)).toEqual(failed);
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 1, successfulRuns: 0, failedRuns: 1 });
      });

      it('lets a later final write replace an earlier one', async () => {
        const job = freshJob(store());
        await job.upsert();
        const e = execution(uniqueName('e'), job);
        await store().recordExecution(finished(e, 'failed'));
        await store().recordExecution(finished(e, 'terminated'));

        expect((await store().getExecution(e.id))?.status).toBe('terminated');
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 1, successfulRuns: 0, failedRuns: 0 });
      });

      it('counts failed and timed_out as failed runs, cancelled and terminated in the total only', async () => {
        const job = freshJob(store());
        await job.upsert();
        const statuses: ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'terminated', 'running'];
        for (const [i, status] of statuses.entries()) {
          const e = execution(uniqueName('e'), job, { startedAt: at(i) });
          await store().recordExecution(status === 'running' ? e : finished(e, status));
        }

        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 6, successfulRuns: 1, failedRuns: 2 });
      });

      it('keeps the counters equal to the row counts after a mixed sequence of writes', async () => {
        const job = freshJob(store());
        await job.upsert();
        const e = Array.from({ length: 6 }, (_, i) => execution(uniqueName('e'), job, { startedAt: at(i) }));
        const writes: ExecutionRecord[] = [
          e[0]!,
          e[1]!,
          finished(e[0]!, 'succeeded'),
          e[0]!, // a retried start write after the end
          e[2]!,
          finished(e[1]!, 'timed_out'),
          finished(e[2]!, 'failed'),
          finished(e[2]!, 'failed'),
          e[3]!,
          finished(e[3]!, 'cancelled'),
          finished(e[4]!, 'succeeded'), // the end write mirrored before the start write
          e[4]!,
          e[5]!,
        ];
        for (const write of writes) await store().recordExecution(write);

        const rows = await store().listExecutions({ jobName: job.name, limit: 100 });
        expect(rows.map((r) => [r.id, r.status])).toEqual([
          [e[5]!.id, 'running'],
          [e[4]!.id, 'succeeded'],
          [e[3]!.id, 'cancelled'],
          [e[2]!.id, 'failed'],
          [e[1]!.id, 'timed_out'],
          [e[0]!.id, 'succeeded'],
        ]);
        expect((await store().getJob(job.name))?.stats).toEqual({
          totalRuns: rows.length,
          successfulRuns: rows.filter((r) => r.status === 'succeeded').length,
          failedRuns: rows.filter((r) => r.status === 'failed' || r.status === 'timed_out').length,
        });
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 6, successfulRuns: 2, failedRuns: 2 });
      });

      it('counts executions recorded before their job row once the job is upserted', async () => {
        const job = freshJob(store());
        const early = finished(execution(uniqueName('e'), job), 'succeeded');
        await store().recordExecution(early);
        expect(await store().getJob(job.name)).toBeNull();
        expect(await store().getExecution(early.id)).toEqual(early);

        await job.upsert();

        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 1, successfulRuns: 1, failedRuns: 0 },
          lastExecution: { id: early.id, status: 'succeeded' },
        });
      });

      it('moves an execution written again under another job from one count to the other', async () => {
        const from = freshJob(store());
        const to = { ...freshJob(store()), service: from.service };
        await from.upsert();
        await to.upsert();
        const moved = execution(uniqueName('e'), from);
        await store().recordExecution(moved);
        await store().recordExecution(finished({ ...moved, jobName: to.name }, 'failed'));

        expect((await store().getJob(from.name))?.stats).toEqual({ totalRuns: 0, successfulRuns: 0, failedRuns: 0 });
        expect((await store().getJob(from.name))?.lastExecution).toBeNull();
        expect((await store().getJob(to.name))?.stats).toEqual({ totalRuns: 1, successfulRuns: 0, failedRuns: 1 });
      });

      it('recounts a job from its rows to the same counters and last execution', async () => {
        const job = freshJob(store());
        await job.upsert();
        const runs = [
          finished(execution(uniqueName('e'), job, { startedAt: at(1) }), 'succeeded'),
          finished(execution(uniqueName('e'), job, { startedAt: at(2) }), 'timed_out'),
          execution(uniqueName('e'), job, { startedAt: at(3) }),
        ];
        for (const run of runs) await store().recordExecution(run);
        const before = await store().getJob(job.name);

        await store().recountJob(job.name);

        expect(await store().getJob(job.name)).toEqual(before);
        expect(before).toMatchObject({
          stats: { totalRuns: 3, successfulRuns: 1, failedRuns: 1 },
          lastExecution: { id: runs[2]!.id, status: 'running' },
        });
      });

      it('counts everything when a job and its executions are written concurrently', async () => {
        const job = freshJob(store());
        const executions = Array.from({ length: 12 }, (_, i) =>
          finished(execution(uniqueName('e'), job, { startedAt: at(i) }), i % 3 === 0 ? 'failed' : 'succeeded'),
        );

        await Promise.all([job.upsert(), ...executions.map((e) => store().recordExecution(e))]);

        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 12, successfulRuns: 8, failedRuns: 4 });
      });

      it('reports the newest execution as the last one, by startedAt and then id', async () => {
        const job = freshJob(store());
        await job.upsert();
        const [a, b] = [`${uniqueName('e')}-a`, `${uniqueName('e')}-b`].sort();
        await store().recordExecution(finished(execution(b!, job, { startedAt: at(5) }), 'failed'));
        await store().recordExecution(execution(a!, job, { startedAt: at(5) }));
        await store().recordExecution(finished(execution(uniqueName('e'), job, { startedAt: at(4) }), 'succeeded'));

        expect((await store().getJob(job.name))?.lastExecution).toEqual({
          id: b,
          status: 'failed',
          startedAt: at(5),
          completedAt: at(30),
        });
      });

      it('records an execution whose response and error hold NUL characters, without them', async () => {
        const job = freshJob(store());
        await job.upsert();
        const started = execution(uniqueName('e'), job, {
          trigger: 'manual',
          triggeredBy: 'ali\u0000ce',
          runId: `run\u0000-${uniqueName('r')}`,
        });
        await store().recordExecution(started);
        const ended = finished(started, 'failed', {
          httpStatus: 500,
          error: 'POST /x answered HTTP 500: \u0000boom\u0000',
          response: '{"raw":"\u0000\u0000"}\u0000',
        });
        await store().recordExecution(ended);

        const expected = {
          ...ended,
          triggeredBy: 'alice',
          runId: ended.runId?.replace('\u0000', ''),
          error: 'POST /x answered HTTP 500: boom',
          response: '{"raw":""}',
        };
        expect(await store().getExecution(started.id)).toEqual(expected);
        expect(await store().listExecutions({ jobName: job.name, limit: 10 })).toEqual([expected]);
        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 1, successfulRuns: 0, failedRuns: 1 },
          lastExecution: { id: started.id, status: 'failed' },
        });
      });

      it('returns null for an unknown execution', async () => {
        expect(await store().getExecution(uniqueName('missing'))).toBeNull();
      });

      it('returns timestamps as ISO-8601 UTC whatever offset they were written with', async () => {
        const job = freshJob(store());
        const e = execution(uniqueName('e'), job, {
          scheduledAt: '2026-11-26T14:00:00+02:00',
          startedAt: '2026-11-26T14:00:01.5+02:00',
          completedAt: '2026-11-26T12:00:09Z',
        });
        await store().recordExecution(e);

        expect(await store().getExecution(e.id)).toMatchObject({
          scheduledAt: '2026-11-26T12:00:00.000Z',
          startedAt: '2026-11-26T12:00:01.500Z',
          completedAt: '2026-11-26T12:00:09.000Z',
        });
      });
    });

    describe('text', () => {
      const SMILE = '😀'; // beyond U+FFFF: a surrogate pair in UTF-16, 4 bytes in UTF-8
      /** Characters beyond U+FFFF at both parities of UTF-16 offset, and a combining sequence. */
      const astral = (label: string) => `${label} a${SMILE}bb${SMILE.repeat(3)} 👩‍👩‍👧 é 𝄞`;

      it('keeps characters beyond U+FFFF exactly, in every text field of a job and of an execution', async () => {
        const job = freshJob(store());
        const def = definition(job.name, job.service, {
          description: astral('description'),
          payload: { [astral('key')]: astral('value'), list: [SMILE, { [SMILE]: SMILE }] },
        });
        const record = jobRecord(job.name, job.service, { definition: def, pauseNote: astral('paused by ops') });
        await store().upsertJob(record);
        expect(await store().getJob(job.name)).toMatchObject(record);

        const started = execution(uniqueName('e'), job, { trigger: 'manual', triggeredBy: astral('admin') });
        await store().recordExecution(started);
        const ended = finished(started, 'failed', { error: astral('error'), response: astral('response') });
        await store().recordExecution(ended);
        expect(await store().getExecution(started.id)).toEqual(ended);
      });

      it('stores lone surrogates of either kind as U+FFFD, in every text field: never refused, never half a character', async () => {
        const job = freshJob(store());
        const bad = (label: string) => `${label} a\ud83d bb\ude00 ${SMILE}\ud800`;
        const good = (label: string) => `${label} a\ufffd bb\ufffd ${SMILE}\ufffd`;
        await store().upsertJob(
          jobRecord(job.name, job.service, {
            definition: definition(job.name, job.service, {
              description: bad('description'),
              payload: { [bad('key')]: bad('value'), list: ['\udbff', { k: '\udc00' }] },
            }),
            pauseNote: bad('note'),
          }),
        );
        expect(await store().getJob(job.name)).toMatchObject({
          definition: {
            description: good('description'),
            payload: { [good('key')]: good('value'), list: ['\ufffd', { k: '\ufffd' }] },
          },
          pauseNote: good('note'),
        });

        const started = execution(uniqueName('e'), job, { trigger: 'manual', triggeredBy: bad('admin') });
        await store().recordExecution(started);
        // the workflow's error and the response excerpt as an old worker cut them: in the middle of a pair
        const ended = finished(started, 'failed', {
          error: `POST /x answered HTTP 500: bb${SMILE.repeat(99)}\ud83d`,
          response: `a${SMILE.repeat(1023)}\ud83d`,
        });
        await store().recordExecution(ended);
        const stored = await store().getExecution(started.id);
        expect(stored).toEqual({
          ...ended,
          triggeredBy: good('admin'),
          error: `POST /x answered HTTP 500: bb${SMILE.repeat(99)}\ufffd`,
          response: `a${SMILE.repeat(1023)}\ufffd`,
        });
        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 1, successfulRuns: 0, failedRuns: 1 },
        });
      });

      it('refuses a row for its content as a refusal (not an outage), and leaves the row as it was', async () => {
        const job = freshJob(store());
        await job.upsert();
        const started = execution(uniqueName('e'), job);
        await store().recordExecution(started);
        const refusal = await store()
          .recordExecution(finished(started, 'succeeded', { response: `ok ${REFUSED_TEXT}` }))
          .catch((err: unknown) => err);
        expect(refusal).toBeInstanceOf(StoreError);
        expect(refusal).toMatchObject({ refused: true });
        expect(await store().getExecution(started.id)).toMatchObject({ status: 'running' }); // nothing half-written
      });

      it('with keepRefusedRows, writes a refused row without its free text, marked, counted once', async () => {
        const seen: MirrorRefusal[] = [];
        const keeping = keepRefusedRows(store(), (r) => seen.push(r));
        const job = freshJob(store());
        await job.upsert();
        const first = execution(uniqueName('e'), job, { startedAt: at(1) });
        const second = execution(uniqueName('e'), job, { startedAt: at(2) });
        for (const e of [first, second]) await keeping.recordExecution(e);
        const firstEnd = finished(first, 'succeeded', { response: `${SMILE} ${REFUSED_TEXT}` });
        const secondEnd = finished(second, 'failed', { error: REFUSED_TEXT, response: REFUSED_TEXT });
        await keeping.recordExecution(firstEnd);
        await keeping.recordExecution(secondEnd);
        await keeping.recordExecution(secondEnd); // a retried write: the same row, counted once

        expect(await store().getExecution(first.id)).toEqual({
          ...firstEnd,
          response: null,
          droppedFields: ['response'],
        });
        expect(await store().getExecution(second.id)).toEqual({
          ...secondEnd,
          error: null,
          response: null,
          droppedFields: ['response', 'error'],
        });
        expect(await store().getJob(job.name)).toMatchObject({
          stats: { totalRuns: 2, successfulRuns: 1, failedRuns: 1 },
          lastExecution: { id: second.id, status: 'failed' },
        });
        expect(seen.map(({ executionId, dropped, written }) => ({ executionId, dropped, written }))).toEqual([
          { executionId: first.id, dropped: ['response'], written: true },
          { executionId: second.id, dropped: ['response', 'error'], written: true },
          { executionId: second.id, dropped: ['response', 'error'], written: true },
        ]);
        // a later whole write (the reconciler's, say) clears the mark
        await keeping.recordExecution({ ...firstEnd, response: 'ok' });
        expect(await store().getExecution(first.id)).toEqual({ ...firstEnd, response: 'ok' });
      });
    });

    describe('listExecutions', () => {
      /** Two jobs of one service and one of another, with every status and a tie on startedAt. */
      async function history() {
        const service = uniqueName('svc');
        const first = { name: uniqueName('first'), service };
        const second = { name: uniqueName('second'), service };
        const elsewhere = { name: uniqueName('elsewhere'), service: uniqueName('svc') };
        const rows = [
          finished(execution(`${first.name}-1`, first, { startedAt: at(1) }), 'succeeded'),
          finished(execution(`${first.name}-2`, first, { startedAt: at(2) }), 'failed'),
          execution(`${first.name}-3`, first, { startedAt: at(3) }),
          finished(execution(`${second.name}-1`, second, { startedAt: at(2) }), 'succeeded'),
          finished(execution(`${elsewhere.name}-1`, elsewhere, { startedAt: at(2) }), 'failed'),
        ];
        for (const row of rows) await store().recordExecution(row);
        return { service, first, second, elsewhere, rows };
      }

      it('filters by job, service and status, newest first', async () => {
        const { service, first, second, elsewhere } = await history();

        expect(ids(await store().listExecutions({ jobName: first.name, limit: 10 }))).toEqual([
          `${first.name}-3`,
          `${first.name}-2`,
          `${first.name}-1`,
        ]);
        expect(ids(await store().listExecutions({ service, limit: 10 }))).toEqual([
          `${first.name}-3`,
          ...[`${first.name}-2`, `${second.name}-1`].sort().reverse(),
          `${first.name}-1`,
        ]);
        expect(ids(await store().listExecutions({ service, statuses: ['succeeded'], limit: 10 }))).toEqual([
          `${second.name}-1`,
          `${first.name}-1`,
        ]);
        expect(ids(await store().listExecutions({ jobName: first.name, statuses: ['failed'], limit: 10 }))).toEqual([
          `${first.name}-2`,
        ]);
        expect(ids(await store().listExecutions({ service: elsewhere.service, limit: 10 }))).toEqual([
          `${elsewhere.name}-1`,
        ]);
        expect(await store().listExecutions({ jobName: first.name, service: elsewhere.service, limit: 10 })).toEqual(
          [],
        );
      });

      it('filters by a list of statuses', async () => {
        const job = freshJob(store());
        const statuses: ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
        const rows = statuses.map((status, i) =>
          finished(execution(`${job.name}-${i}`, job, { startedAt: at(i) }), status),
        );
        const running = execution(`${job.name}-r`, job, { startedAt: at(9) });
        for (const r of [...rows, running]) await store().recordExecution(r);
        const list = async (s: ExecutionStatus[]) =>
          ids(await store().listExecutions({ jobName: job.name, statuses: s, limit: 10 }));

        expect(await list(['failed', 'timed_out', 'cancelled', 'terminated'])).toEqual(
          ids([rows[3]!, rows[2]!, rows[1]!]),
        );
        expect(await list(['running', 'succeeded'])).toEqual(ids([running, rows[0]!]));
        expect(await list(['terminated'])).toEqual([]);
      });

      it('returns whole records and honours the limit', async () => {
        const { first, rows } = await history();

        expect(await store().listExecutions({ jobName: first.name, limit: 2 })).toEqual([rows[2], rows[1]]);
        const newest = await store().listExecutions({ limit: 1 });
        expect(newest).toHaveLength(1);
      });

      it('pages through everything exactly once with the before cursor, ties broken by id', async () => {
        const job = freshJob(store(), 'paged');
        // Workflow ids carry ':' and '.', which PostgREST's filter syntax reserves, so the cursor must quote them.
        const suffixes = ['a', 'b', 'c,d', 'e(f)', 'g"h', 'i\\j', '2026-11-30T08:00:00.000Z', 'k.l:m'];
        const executions = suffixes.map((suffix, i) =>
          execution(`${job.name}-${suffix}`, job, { startedAt: at(i < 5 ? 7 : i) }),
        );
        for (const e of [...executions].reverse()) await store().recordExecution(e);
        const expected = [...executions].sort((x, y) =>
          x.startedAt === y.startedAt ? (x.id < y.id ? 1 : -1) : x.startedAt < y.startedAt ? 1 : -1,
        );

        expect(ids(await store().listExecutions({ jobName: job.name, limit: 100 }))).toEqual(ids(expected));
        for (const limit of [1, 2, 3, 8]) {
          const pages = await allPages(store(), { jobName: job.name, limit });
          expect(pages.flatMap(ids)).toEqual(ids(expected));
          expect(pages.every((page) => page.length <= limit)).toBe(true);
        }
      });

      it('accepts a cursor timestamp written with an offset', async () => {
        const job = freshJob(store());
        const executions = [1, 2, 3].map((n) => execution(`${job.name}-${n}`, job, { startedAt: at(n) }));
        for (const e of executions) await store().recordExecution(e);
        const offset = new Date(at(3)).toISOString().replace('Z', '+00:00');

        const page = await store().listExecutions({
          jobName: job.name,
          limit: 10,
          before: { startedAt: offset, id: '' },
        });
        expect(ids(page)).toEqual([`${job.name}-2`, `${job.name}-1`]);
      });

      /** One job's executions at seconds 1 to 5, two of them tied at second 3. */
      async function timeline() {
        const job = freshJob(store(), 'timeline');
        const rows = [
          finished(execution(`${job.name}-1`, job, { startedAt: at(1) }), 'succeeded'),
          finished(execution(`${job.name}-2`, job, { startedAt: at(2) }), 'failed'),
          finished(execution(`${job.name}-3a`, job, { startedAt: at(3) }), 'succeeded'),
          execution(`${job.name}-3b`, job, { startedAt: at(3) }),
          finished(execution(`${job.name}-4`, job, { startedAt: at(4) }), 'succeeded'),
          finished(execution(`${job.name}-5`, job, { startedAt: at(5) }), 'failed'),
        ];
        for (const row of rows) await store().recordExecution(row);
        const ms = (n: number, delta: number) => new Date(Date.parse(at(n)) + delta).toISOString();
        return { job, ms, named: (...suffixes: string[]) => suffixes.map((n) => `${job.name}-${n}`) };
      }

      it('bounds startedAt by startedAfter inclusively and startedBefore exclusively', async () => {
        const { job, ms, named } = await timeline();
        const list = (bounds: Pick<ExecutionQuery, 'startedAfter' | 'startedBefore'>) =>
          store()
            .listExecutions({ jobName: job.name, limit: 100, ...bounds })
            .then(ids);

        expect(await list({ startedAfter: at(2), startedBefore: at(4) })).toEqual(named('3b', '3a', '2'));
        expect(await list({ startedAfter: ms(2, 1), startedBefore: ms(4, 1) })).toEqual(named('4', '3b', '3a'));
        expect(await list({ startedAfter: ms(2, -1), startedBefore: ms(4, -1) })).toEqual(named('3b', '3a', '2'));
        expect(await list({ startedAfter: at(3) })).toEqual(named('5', '4', '3b', '3a'));
        expect(await list({ startedBefore: at(3) })).toEqual(named('2', '1'));
        expect(await list({ startedAfter: at(3), startedBefore: ms(3, 1) })).toEqual(named('3b', '3a'));
        expect(await list({ startedAfter: at(3), startedBefore: at(3) })).toEqual([]);
        expect(await list({ startedAfter: at(4), startedBefore: at(2) })).toEqual([]);
      });

      it('compares the bounds as instants whatever offset they are written with', async () => {
        const { job, named } = await timeline();
        // at(2) and at(4) are 12:00:02Z and 12:00:04Z
        const page = await store().listExecutions({
          jobName: job.name,
          limit: 100,
          startedAfter: '2026-11-26T14:00:02+02:00',
          startedBefore: '2026-11-26T07:00:04.000-05:00',
        });
        expect(ids(page)).toEqual(named('3b', '3a', '2'));
      });

      it('combines the bounds with status and service', async () => {
        const { job, named } = await timeline();

        const succeeded = await store().listExecutions({
          service: job.service,
          statuses: ['succeeded'],
          startedAfter: at(1),
          startedBefore: at(5),
          limit: 100,
        });
        expect(ids(succeeded)).toEqual(named('4', '3a', '1'));
        const failed = await store().listExecutions({
          jobName: job.name,
          statuses: ['failed'],
          startedAfter: at(3),
          limit: 100,
        });
        expect(ids(failed)).toEqual(named('5'));
        const running = await store().listExecutions({
          jobName: job.name,
          statuses: ['running'],
          startedBefore: at(3),
          limit: 100,
        });
        expect(running).toEqual([]);
      });

      it('pages within the bounds with the before cursor', async () => {
        const { job, named } = await timeline();
        const expected = named('4', '3b', '3a', '2');

        for (const limit of [1, 2, 3, 4]) {
          const pages = await allPages(store(), {
            jobName: job.name,
            startedAfter: at(2),
            startedBefore: at(5),
            limit,
          });
          expect(pages.flatMap(ids)).toEqual(expected);
          expect(pages.every((page) => page.length <= limit)).toBe(true);
        }
        const afterTie = await store().listExecutions({
          jobName: job.name,
          startedAfter: at(2),
          startedBefore: at(5),
          before: { startedAt: at(3), id: `${job.name}-3b` },
          limit: 100,
        });
        expect(ids(afterTie)).toEqual(named('3a', '2'));
        const succeededPage = await store().listExecutions({
          jobName: job.name,
          statuses: ['succeeded'],
          startedAfter: at(1),
          before: { startedAt: at(4), id: `${job.name}-4` },
          limit: 1,
        });
        expect(ids(succeededPage)).toEqual(named('3a'));
      });
    });

    describe('getExecutions', () => {
      const sortedIds = (executions: ExecutionRecord[]) => ids(executions).sort();

      it('returns the known executions among the ids, each once, and leaves out unknown ones', async () => {
        const job = freshJob(store());
        const known = [1, 2, 3].map((n) =>
          finished(execution(`${job.name}-${n}`, job, { startedAt: at(n) }), n === 2 ? 'failed' : 'succeeded'),
        );
        for (const e of known) await store().recordExecution(e);
        const missing = uniqueName('missing');

        const found = await store().getExecutions([missing, known[2]!.id, known[0]!.id, known[2]!.id, `${missing}-2`]);
        expect([...found].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([known[0], known[2]]);
        expect(await store().getExecutions([missing])).toEqual([]);
        expect(await store().getExecutions([])).toEqual([]);
      });

      it('finds ids with characters that PostgREST filters reserve', async () => {
        const job = freshJob(store());
        const suffixes = [
          'c,d',
          'e(f)',
          'g"h',
          'i\\j',
          'k.l:m',
          '2026-11-30T08:00:00.000Z',
          'in.(x,y)',
          ' spaced ',
          'a&b=c',
          'o(p"q\\r)',
        ];
        const executions = suffixes.map((suffix) => execution(`${job.name}-${suffix}`, job));
        for (const e of executions) await store().recordExecution(e);
        // Near misses: a quoting bug that dropped or kept the wrong character would match these instead.
        const decoys = [`${job.name}-c`, `${job.name}-d`, `${job.name}-gh`, `${job.name}-ij`, `${job.name}-i\\\\j`];

        const found = await store().getExecutions([...ids(executions), ...decoys]);
        expect(sortedIds(found)).toEqual(ids(executions).sort());
      });

      it('answers for more than 1000 ids, long ones included', async () => {
        const job = freshJob(store(), 'many');
        const known = Array.from({ length: 1100 }, (_, i) => execution(`${job.name}-${i}`, job, { startedAt: at(i) }));
        for (let i = 0; i < known.length; i += 50) {
          await Promise.all(known.slice(i, i + 50).map((e) => store().recordExecution(e)));
        }
        const long = (n: number) => `${job.name}-${n}:${'x,y(z)"\\'.repeat(40)}`;
        const unknown = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? long(i) : `${job.name}-missing-${i}`));

        const found = await store().getExecutions([...unknown, ...ids(known).reverse()]);
        expect(found).toHaveLength(known.length);
        expect(sortedIds(found)).toEqual(ids(known).sort());
        expect(found.find((e) => e.id === known[777]!.id)).toEqual(known[777]);
      });

      it('answers an empty list without a query, even when closed', async () => {
        const { store: closing } = await open();
        await closing.close();

        await expect(closing.getExecutions([])).resolves.toEqual([]);
        await expect(closing.getExecutions([uniqueName('e')])).rejects.toBeInstanceOf(StoreError);
      });
    });

    describe('listRetriesOf', () => {
      it('answers the runs retrying any of the ids, oldest first, each with the run it retried', async () => {
        const job = freshJob(store());
        const first = finished(execution(uniqueName('o'), job, { startedAt: at(1) }), 'failed');
        const second = finished(execution(uniqueName('o'), job, { startedAt: at(2) }), 'timed_out');
        const retry = (of: ExecutionRecord, n: number) =>
          execution(uniqueName('r'), job, { trigger: 'retry', retryOf: of.id, startedAt: at(n) });
        const late = retry(first, 5);
        const early = finished(retry(first, 3), 'failed');
        const other = retry(second, 4);
        const unrelated = retry(finished(execution(uniqueName('o'), job), 'failed'), 6);
        for (const e of [first, second, late, early, other, unrelated]) await store().recordExecution(e);

        expect(await store().listRetriesOf([first.id, second.id, uniqueName('unknown')])).toEqual([
          { id: early.id, status: 'failed', startedAt: at(3), retryOf: first.id },
          { id: other.id, status: 'running', startedAt: at(4), retryOf: second.id },
          { id: late.id, status: 'running', startedAt: at(5), retryOf: first.id },
        ]);
        expect(await store().listRetriesOf([late.id])).toEqual([]);
        expect(await store().listRetriesOf([])).toEqual([]);
      });
    });

    describe('listRunSpans', () => {
      it('answers every run of the job that started in [from, to), oldest first, without payload or free text', async () => {
        const job = freshJob(store());
        const other = freshJob(store());
        const retried = finished(execution(uniqueName('s'), job, { startedAt: at(2), scheduledAt: at(2) }), 'failed');
        const rows = [
          execution(uniqueName('s'), job, { startedAt: at(1) }), // before the window
          retried,
          execution(uniqueName('s'), job, {
            trigger: 'retry',
            retryOf: retried.id,
            triggeredBy: 'alice',
            scheduledAt: null,
            startedAt: at(3),
          }),
          execution(uniqueName('s'), job, { startedAt: at(4) }), // at `to`: outside
          execution(uniqueName('s'), other, { startedAt: at(3) }),
        ];
        for (const e of rows) await store().recordExecution(e);

        expect(await store().listRunSpans(job.name, { from: at(2), to: at(4) })).toEqual([
          {
            id: retried.id,
            trigger: 'schedule',
            triggeredBy: null,
            retryOf: null,
            status: 'failed',
            scheduledAt: at(2),
            startedAt: at(2),
            completedAt: retried.completedAt,
          },
          {
            id: rows[2]!.id,
            trigger: 'retry',
            triggeredBy: 'alice',
            retryOf: retried.id,
            status: 'running',
            scheduledAt: null,
            startedAt: at(3),
            completedAt: null,
          },
        ]);
      });

      it('answers all of a long window, past a page of 1000 rows, runs that started together included', async () => {
        const job = freshJob(store());
        // 1,010 runs, ten to a second: pages end between runs that started together
        const ids: string[] = [];
        for (let i = 0; i < 1010; i++) {
          const e = execution(`${uniqueName('p')}-${String(i % 10)}`, job, { startedAt: at(Math.floor(i / 10)) });
          await store().recordExecution(e);
          ids.push(e.id);
        }
        const spans = await store().listRunSpans(job.name, { from: at(0), to: at(1000) });
        expect(spans).toHaveLength(1010);
        expect(new Set(spans.map((s) => s.id)).size).toBe(1010);
        const starts = spans.map((s) => s.startedAt);
        expect(starts).toEqual([...starts].sort());
      });
    });

    describe('history retention', () => {
      /** Long before every other test's rows (2026 and later), so a cutoff here removes only this block's rows. */
      const old = (n: number) => new Date(Date.UTC(2001, 0, 1) + n * 1000).toISOString();
      const CUTOFF = old(10_000);

      /** A run that started at old(n) and ended a second later. */
      const oldRun = (job: { name: string; service: string }, n: number, status: ExecutionStatus) =>
        finished(execution(uniqueName('e'), job, { scheduledAt: old(n), startedAt: old(n) }), status, {
          completedAt: old(n + 1),
        });

      /** Calls pruneExecutions until it removes nothing; answers what each call removed. */
      async function pruneAll(limit: number, endedBefore = CUTOFF): Promise<number[]> {
        const calls: number[] = [];
        for (let removed = -1; removed !== 0 && calls.length < 1000;) {
          removed = await store().pruneExecutions(endedBefore, limit);
          calls.push(removed);
        }
        return calls;
      }

      async function rowsOf(name: string): Promise<ExecutionRecord[]> {
        return (await allPages(store(), { jobName: name, limit: 200 })).flat();
      }

      /** SPEC §6 with retention: each counter equals the job's rows plus what retention removed. */
      async function expectCountersEqualRowsPlusPruned(name: string): Promise<void> {
        const rows = await rowsOf(name);
        const job = await store().getJob(name);
        expect(job).not.toBeNull();
        const { stats, pruned } = job!;
        expect({
          totalRuns: stats.totalRuns - pruned.totalRuns,
          successfulRuns: stats.successfulRuns - pruned.successfulRuns,
          failedRuns: stats.failedRuns - pruned.failedRuns,
        }).toEqual({
          totalRuns: rows.length,
          successfulRuns: rows.filter((r) => r.status === 'succeeded').length,
          failedRuns: rows.filter((r) => FAILED_STATUSES.includes(r.status)).length,
        });
      }

      it("removes only ended rows older than the cutoff, never a running row nor the job's newest", async () => {
        const job = freshJob(store());
        await job.upsert();
        const succeeded = oldRun(job, 1, 'succeeded');
        const failed = oldRun(job, 3, 'failed');
        const timedOut = oldRun(job, 5, 'timed_out');
        const running = execution(uniqueName('e'), job, { scheduledAt: old(7), startedAt: old(7) }); // years on
        const endedAfter = oldRun(job, 9, 'cancelled');
        endedAfter.completedAt = old(20_000); // started before the cutoff, ended after it
        const newest = oldRun(job, 11, 'terminated');
        for (const e of [succeeded, failed, timedOut, running, endedAfter, newest]) await store().recordExecution(e);
        const before = await store().getJob(job.name);

        await pruneAll(100);

        expect(ids(await rowsOf(job.name)).sort()).toEqual(ids([running, endedAfter, newest]).sort());
        const after = await store().getJob(job.name);
        expect(after?.stats).toEqual(before?.stats);
        expect(after?.stats).toEqual({ totalRuns: 6, successfulRuns: 1, failedRuns: 2 });
        expect(after?.pruned).toEqual({ totalRuns: 3, successfulRuns: 1, failedRuns: 2 });
        expect(after?.lastExecution).toEqual(before?.lastExecution);
        await expectCountersEqualRowsPlusPruned(job.name);
      });

      it('leaves the run health as it was; a recount keeps the ends and the streak of the rows it removed', async () => {
        const job = freshJob(store());
        await job.upsert();
        const runs = [
          oldRun(job, 1, 'succeeded'),
          oldRun(job, 3, 'failed'),
          oldRun(job, 5, 'cancelled'),
          oldRun(job, 7, 'timed_out'),
          oldRun(job, 20_000, 'failed'), // ended after the cutoff: kept
        ];
        for (const r of runs) await store().recordExecution(r);
        const before = (await store().getJob(job.name))!.health;
        expect(before).toMatchObject({ lastSuccessAt: old(2), lastFailureAt: old(20_001), consecutiveFailures: 4 });

        await pruneAll(100);
        expect(ids(await rowsOf(job.name))).toEqual([runs[4]!.id]);
        expect((await store().getJob(job.name))!.health).toEqual(before);

        await store().recountJob(job.name);
        const recounted = (await store().getJob(job.name))!.health;
        expect(recounted).toMatchObject({ lastSuccessAt: old(2), lastFailureAt: old(20_001), consecutiveFailures: 4 });
        expect(recounted.recentRuns.map((r) => r.id)).toEqual([runs[4]!.id]);

        const next = execution(uniqueName('e'), job);
        await store().recordExecution(finished(next, 'succeeded'));
        expect((await store().getJob(job.name))!.health).toMatchObject({
          lastSuccessAt: at(30),
          consecutiveFailures: 0,
        });
        const failing = execution(uniqueName('e'), job, { startedAt: at(31) });
        await store().recordExecution(finished(failing, 'failed', { completedAt: at(32) }));
        await store().recountJob(job.name);
        expect((await store().getJob(job.name))!.health).toMatchObject({
          lastSuccessAt: at(30),
          lastFailureAt: at(32),
          consecutiveFailures: 1,
        });
      });

      it('removes in batches of at most the limit, until none is left', async () => {
        const job = freshJob(store());
        await job.upsert();
        for (let i = 0; i < 25; i++) await store().recordExecution(oldRun(job, 2 * i, i % 3 ? 'succeeded' : 'failed'));
        await store().recordExecution(execution(uniqueName('e'), job)); // the newest, running

        const calls = await pruneAll(10);

        expect(calls.every((n) => n <= 10)).toBe(true);
        expect(calls.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
        expect(await rowsOf(job.name)).toHaveLength(1);
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 26, successfulRuns: 16, failedRuns: 9 });
        expect((await store().getJob(job.name))?.pruned).toEqual({ totalRuns: 25, successfulRuns: 16, failedRuns: 9 });
      });

      it('keeps lifetime totals through a recount, a rewrite of the job and new runs', async () => {
        const job = freshJob(store());
        await job.upsert();
        for (let i = 0; i < 4; i++) await store().recordExecution(oldRun(job, 2 * i, 'succeeded'));
        await store().recordExecution(oldRun(job, 100, 'timed_out'));
        await pruneAll(3);
        expect((await store().getJob(job.name))?.pruned.totalRuns).toBe(4);

        await store().recountJob(job.name);
        await job.upsert({ updatedAt: at(99) });
        const later = execution(uniqueName('e'), job);
        await store().recordExecution(later);
        await store().recordExecution(finished(later, 'succeeded'));
        await store().recountJob(job.name);

        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 6, successfulRuns: 5, failedRuns: 1 });
        await expectCountersEqualRowsPlusPruned(job.name);
      });

      it('does not write back, nor count again, a late write of a row it removed', async () => {
        const job = freshJob(store());
        await job.upsert();
        const removed = oldRun(job, 1, 'succeeded');
        const stillRunning = execution(uniqueName('e'), job, { scheduledAt: old(2), startedAt: old(2) });
        await store().recordExecution(removed);
        await store().recordExecution(stillRunning);
        await pruneAll(10);
        expect(await store().getExecution(removed.id)).toBeNull();
        const before = (await store().getJob(job.name))?.stats;

        await store().recordExecution(removed); // its end write, repeated
        await store().recordExecution({ ...removed, status: 'running', completedAt: null }); // its start write, late
        expect(await store().getExecution(removed.id)).toBeNull();
        expect((await store().getJob(job.name))?.stats).toEqual(before);

        // the rows retention never had are written as ever: a run still running ends, a new run starts
        await store().recordExecution(finished(stillRunning, 'failed', { completedAt: old(50_000) }));
        const fresh = finished(execution(uniqueName('e'), job), 'succeeded');
        await store().recordExecution(fresh);
        expect(await store().getExecution(fresh.id)).toEqual(fresh);
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 3, successfulRuns: 2, failedRuns: 1 });
        await expectCountersEqualRowsPlusPruned(job.name);
      });

      it('loses no write racing it and counts none twice', async () => {
        const job = freshJob(store());
        await job.upsert();
        const ended = Array.from({ length: 30 }, (_, i) => oldRun(job, 2 * i, i % 4 ? 'succeeded' : 'failed'));
        const running = Array.from({ length: 10 }, (_, i) =>
          execution(uniqueName('e'), job, { scheduledAt: old(100 + i), startedAt: old(100 + i) }),
        );
        for (const e of [...ended, ...running]) await store().recordExecution(e);
        const fresh = Array.from({ length: 5 }, (_, i) => execution(uniqueName('e'), job, { startedAt: at(i) }));

        const writes = async () => {
          for (const [i, e] of running.entries()) {
            await store().recordExecution(finished(e, i % 2 ? 'succeeded' : 'timed_out', { completedAt: at(10) }));
            await store().recordExecution(ended[3 * i]!); // an old end write repeated, as retention removes it
            if (fresh[i]) await store().recordExecution(fresh[i]);
          }
        };
        await Promise.all([pruneAll(4), writes(), pruneAll(4)]);
        await pruneAll(4);

        const rows = await rowsOf(job.name);
        expect(ids(rows).sort()).toEqual(ids([...running, ...fresh]).sort());
        expect((await store().getJob(job.name))?.stats).toEqual({ totalRuns: 45, successfulRuns: 27, failedRuns: 13 });
        expect((await store().getJob(job.name))?.pruned.totalRuns).toBe(30);
        await expectCountersEqualRowsPlusPruned(job.name);
      });
    });

    describe('pause history', () => {
      /** A job's row as Temporal said it at second `n`: paused by an admin, disabled by its service, with a note. */
      const state = (n: number, s: { paused?: boolean; enabled?: boolean; note?: string | null }) => ({
        paused: s.paused ?? false,
        pauseNote: s.paused ? (s.note ?? '') : null,
        scheduleNote: s.note ?? null,
        scheduleUpdatedAt: at(n),
      });
      const everything = { from: at(0), to: at(1000) };

      /** An instant strictly between the writes before it and those after it. */
      const mark = async () => {
        await sleep(15);
        const instant = new Date().toISOString();
        await sleep(15);
        return instant;
      };
      const withoutTime = (changes: PauseChange[]) => changes.map(({ paused, by, note }) => ({ paused, by, note }));

      it('records each change of whether a job runs, when the mirror wrote it, with who and the note, from every kind of write', async () => {
        const job = freshJob(store());
        const disable = (n: number, note: string | null) =>
          job.upsert({ ...state(n, { note }), definition: { ...definition(job.name, job.service), enabled: false } });
        const start = await mark();
        await job.upsert(state(1, {}));
        await job.upsert(state(10, { paused: true, note: 'paused by alice: migration' }));
        await job.upsert({ ...state(11, { paused: true, note: 'paused by alice: migration' }), times: NO_TIMES });
        const paused = await mark();
        await job.upsert(state(20, { note: 'resumed by bob' }));
        const resumed = await mark();
        await disable(30, 'disabled by its service (enabled: false)');
        await disable(31, 'disabled by its service (enabled: false)');
        const disabled = await mark();
        await job.upsert(state(40, {}));
        const enabled = await mark();
        await job.upsert(state(50, { paused: true, note: 'from Temporal Web' }));
        const end = await mark();

        const changes = [
          { paused: true, by: 'alice', note: 'paused by alice: migration' },
          { paused: false, by: 'bob', note: 'resumed by bob' },
          { paused: true, by: 'service', note: 'disabled by its service (enabled: false)' },
          { paused: false, by: 'service', note: null },
          { paused: true, by: null, note: 'from Temporal Web' },
        ];
        const all = await store().listPauseChanges(job.name, { from: start, to: end });
        expect(withoutTime(all)).toEqual(changes);
        // each dated by the write that recorded it
        const marks = [start, paused, resumed, disabled, enabled, end];
        all.forEach((change, i) => expect([marks[i]! < change.at, change.at < marks[i + 1]!]).toEqual([true, true]));
        // the window opens with the state it starts in; its end is exclusive
        expect(await store().listPauseChanges(job.name, { from: resumed, to: enabled })).toEqual(all.slice(1, 4));
        expect(await store().listPauseChanges(job.name, { from: resumed, to: disabled })).toEqual(all.slice(1, 3));
        expect(await store().listPauseChanges(job.name, { from: at(0), to: start })).toEqual([]);
        expect(await store().listLatestPauseChanges(job.name, 2)).toEqual([all[4], all[3]]);
        expect(await store().listPauseChanges(uniqueName('unknown'), everything)).toEqual([]);
      });

      it('records a job that starts paused, not a write that lost the race, and keeps the history of a deleted job', async () => {
        const job = freshJob(store());
        await job.upsert(state(10, { paused: true, note: 'paused by ops' }));
        await job.upsert(state(5, {})); // older than the row: not written
        await store().deleteJob(job.name);
        expect(withoutTime(await store().listLatestPauseChanges(job.name, 5))).toEqual([
          { paused: true, by: 'ops', note: 'paused by ops' },
        ]);
        await job.upsert(state(20, {})); // registered again, running
        expect(withoutTime(await store().listLatestPauseChanges(job.name, 5))).toEqual([
          { paused: false, by: 'service', note: null },
          { paused: true, by: 'ops', note: 'paused by ops' },
        ]);
      });

      it("dates a change written before Temporal was asked at the write's time", async () => {
        const job = freshJob(store());
        const before = Date.now();
        await job.upsert({
          definition: { ...definition(job.name, job.service), enabled: false },
          scheduleNote: 'disabled by its service (enabled: false)',
        });
        const [change] = await store().listLatestPauseChanges(job.name, 1);
        expect(change).toMatchObject({ paused: true, by: 'service' });
        // the database's clock: within a few seconds of this process's
        expect(Math.abs(Date.parse(change!.at) - before)).toBeLessThan(5_000);
      });

      it(`keeps each job's newest ${PAUSE_CHANGES_KEPT} changes`, async () => {
        const job = freshJob(store());
        for (let n = 1; n <= PAUSE_CHANGES_KEPT + 2; n++) {
          await job.upsert(state(n, { paused: n % 2 === 1, note: `change ${n}` }));
        }
        const kept = await store().listLatestPauseChanges(job.name, PAUSE_CHANGES_KEPT + 2);
        expect(kept).toHaveLength(PAUSE_CHANGES_KEPT);
        expect([kept.at(-1)!.note, kept[0]!.note]).toEqual(['change 3', `change ${PAUSE_CHANGES_KEPT + 2}`]);
      });
    });

    describe('run health', () => {
      const healthOf = async (name: string) => (await store().getJob(name))!.health;

      /** The runs of one scenario under `job`: their start writes and end writes, in the order they happened. */
      function scenario(job: { name: string; service: string }) {
        const run = (n: number, startedAt: string) =>
          execution(`${job.name}-e${n}`, job, { scheduledAt: startedAt, startedAt });
        const e1 = run(1, at(1));
        const e2 = run(2, at(3));
        const e3 = run(3, at(5));
        const e4 = run(4, at(7));
        const writes = [
          e1,
          finished(e1, 'succeeded', { completedAt: at(2), durationMs: 1000 }),
          e2,
          finished(e2, 'failed', { completedAt: at(4), durationMs: 3000 }),
          e3,
          finished(e3, 'timed_out', { completedAt: at(6), durationMs: 2000 }),
          e4,
        ];
        return { e1, e2, e3, e4, writes };
      }

      /** What the scenario gives, whatever the order of its writes. */
      const expectedHealth = (job: { name: string }) => ({
        lastSuccessAt: at(2),
        lastFailureAt: at(6),
        consecutiveFailures: 2,
        durations: { p50Ms: 2000, p95Ms: 3000 },
        recentRuns: [
          { id: `${job.name}-e4`, status: 'running', startedAt: at(7) },
          { id: `${job.name}-e3`, status: 'timed_out', startedAt: at(5) },
          { id: `${job.name}-e2`, status: 'failed', startedAt: at(3) },
          { id: `${job.name}-e1`, status: 'succeeded', startedAt: at(1) },
        ],
      });

      it('derives the last success and failure, the streak, the percentiles and the newest runs', async () => {
        const job = freshJob(store());
        await job.upsert();
        const { e4, writes } = scenario(job);
        for (const w of writes) await store().recordExecution(w);
        expect(await healthOf(job.name)).toEqual(expectedHealth(job));

        await store().recordExecution(finished(e4, 'succeeded', { completedAt: at(8), durationMs: 500 }));
        expect(await healthOf(job.name)).toMatchObject({
          lastSuccessAt: at(8),
          lastFailureAt: at(6),
          consecutiveFailures: 0,
          durations: { p50Ms: 1000, p95Ms: 3000 },
        });

        const e5 = execution(`${job.name}-e5`, job, { startedAt: at(9) });
        await store().recordExecution(finished(e5, 'cancelled', { completedAt: at(10), durationMs: 100 }));
        const e6 = execution(`${job.name}-e6`, job, { startedAt: at(11) });
        await store().recordExecution(finished(e6, 'terminated', { completedAt: at(12), durationMs: null }));
        expect(await healthOf(job.name)).toMatchObject({
          lastSuccessAt: at(8),
          lastFailureAt: at(12),
          consecutiveFailures: 2,
          durations: { p50Ms: 1000, p95Ms: 3000 },
        });
        expect((await healthOf(job.name)).recentRuns.map((r) => r.status)).toEqual([
          'terminated',
          'cancelled',
          'succeeded',
          'timed_out',
          'failed',
          'succeeded',
        ]);
      });

      it('is the same whatever order the writes land in, and however often they are repeated', async () => {
        const job = freshJob(store());
        await job.upsert();
        const { writes } = scenario(job);
        // ends before starts, newest first, each twice: the late success still counts the failures after it
        for (const w of [...writes].reverse()) await store().recordExecution(w);
        for (const w of writes) await store().recordExecution(w);
        expect(await healthOf(job.name)).toEqual(expectedHealth(job));

        // a success that ended before the failures, landing last, leaves the streak at the failures after it
        const late = freshJob(store());
        await late.upsert();
        const { e1, e2, e3 } = scenario(late);
        await store().recordExecution(finished(e2, 'failed', { completedAt: at(4) }));
        await store().recordExecution(finished(e3, 'timed_out', { completedAt: at(6) }));
        expect((await healthOf(late.name)).consecutiveFailures).toBe(2);
        await store().recordExecution(finished(e1, 'succeeded', { completedAt: at(5) }));
        expect(await healthOf(late.name)).toMatchObject({ lastSuccessAt: at(5), consecutiveFailures: 1 });
        await store().recordExecution(finished(e1, 'succeeded', { completedAt: at(5) }));
        await store().recordExecution(e1);
        expect(await healthOf(late.name)).toMatchObject({ lastSuccessAt: at(5), consecutiveFailures: 1 });
      });

      it('is derived for executions recorded before their job row, and unchanged by a recount', async () => {
        const job = freshJob(store());
        const { writes } = scenario(job);
        for (const w of writes) await store().recordExecution(w);
        await job.upsert();
        expect(await healthOf(job.name)).toEqual(expectedHealth(job));

        await store().recountJob(job.name);
        await job.upsert({ updatedAt: at(99) });
        expect(await healthOf(job.name)).toEqual(expectedHealth(job));
      });

      it('recounts an end replaced by another', async () => {
        const job = freshJob(store());
        await job.upsert();
        const { e1, e2, writes } = scenario(job);
        for (const w of writes) await store().recordExecution(w);
        // e2's row, restored from Temporal as succeeded after all
        await store().recordExecution(finished(e2, 'succeeded', { completedAt: at(4), durationMs: 3000 }));
        expect(await healthOf(job.name)).toMatchObject({
          lastSuccessAt: at(4),
          lastFailureAt: at(6),
          consecutiveFailures: 1,
        });
        await store().recordExecution(finished(e1, 'failed', { completedAt: at(2), durationMs: 1000 }));
        expect(await healthOf(job.name)).toMatchObject({ lastSuccessAt: at(4), consecutiveFailures: 1 });
      });

      it('keeps the newest runs and the percentiles to the last 20', async () => {
        const job = freshJob(store());
        await job.upsert();
        const runs = Array.from({ length: 25 }, (_, i) =>
          finished(execution(`${job.name}-${String(i).padStart(2, '0')}`, job, { startedAt: at(2 * i) }), 'succeeded', {
            completedAt: at(2 * i + 1),
            durationMs: (i + 1) * 10, // 10 … 250 ms; the last 20 are 60 … 250
          }),
        );
        for (const r of runs) await store().recordExecution(r);
        const health = await healthOf(job.name);
        expect(health.recentRuns.map((r) => r.id)).toEqual(ids(runs.slice(5).reverse()));
        expect(health.durations).toEqual({ p50Ms: 150, p95Ms: 240 });
        expect(health).toMatchObject({ lastSuccessAt: at(49), lastFailureAt: null, consecutiveFailures: 0 });
      });
    });

    describe('alerts', () => {
      it('keeps an episode as written, and a later write replaces it', async () => {
        const job = freshJob(store());
        const id = uniqueName('alert');
        const opened = alertRecord(id, job, 100);
        await store().recordAlert(opened);
        expect(await store().listAlerts({ jobName: job.name, limit: 10 })).toEqual([opened]);

        const resolved = alertRecord(id, job, 100, {
          state: 'resolved',
          resolvedAt: at(160),
          summary: 'recovered',
          deliveries: [
            { destination: 'ops', kind: 'firing', status: 'delivered', at: at(101), detail: '200' },
            { destination: 'ops', kind: 'resolved', status: 'undeliverable', at: at(170), detail: 'older than 1h' },
          ],
          updatedAt: at(170),
        });
        await store().recordAlert(resolved);
        await store().recordAlert(resolved); // a retried write changes nothing
        expect(await store().listAlerts({ jobName: job.name, limit: 10 })).toEqual([resolved]);
      });

      it('leaves the latest state when an older write lands after it, and takes a write as recent', async () => {
        const job = freshJob(store());
        const id = uniqueName('alert');
        const latest = alertRecord(id, job, 100, { state: 'resolved', resolvedAt: at(150), updatedAt: at(150) });
        await store().recordAlert(latest);
        await store().recordAlert(alertRecord(id, job, 100, { updatedAt: at(120) }));
        expect(await store().listAlerts({ jobName: job.name, limit: 10 })).toEqual([latest]);

        const sameTime = { ...latest, summary: 'delivered meanwhile' };
        await store().recordAlert(sameTime);
        expect(await store().listAlerts({ jobName: job.name, limit: 10 })).toEqual([sameTime]);
      });

      it('lists newest opened first, by state, job and service, and pages with the cursor', async () => {
        const service = uniqueName('svc');
        const a = { name: uniqueName('job'), service };
        const b = { name: uniqueName('job'), service };
        const other = { name: uniqueName('job'), service: uniqueName('svc') };
        const x = uniqueName('x');
        const written = [
          alertRecord(`${x}-1`, a, 10),
          alertRecord(`${x}-2`, b, 20, { state: 'resolved', resolvedAt: at(25), updatedAt: at(25) }),
          // a tie on openedAt: the greater id first
          alertRecord(`${x}-3`, a, 30, { rule: { type: 'no_success_within', seconds: 3600 } }),
          alertRecord(`${x}-4`, b, 30),
          alertRecord(`${x}-5`, other, 40),
        ];
        for (const alert of written) await store().recordAlert(alert);
        const idsOf = (alerts: AlertRecord[]) => alerts.map((alert) => alert.id.slice(x.length + 1));

        expect(idsOf(await store().listAlerts({ service, limit: 10 }))).toEqual(['4', '3', '2', '1']);
        expect(idsOf(await store().listAlerts({ service, state: 'open', limit: 10 }))).toEqual(['4', '3', '1']);
        expect(idsOf(await store().listAlerts({ service, state: 'resolved', limit: 10 }))).toEqual(['2']);
        expect(idsOf(await store().listAlerts({ jobName: a.name, limit: 10 }))).toEqual(['3', '1']);
        expect(idsOf(await store().listAlerts({ jobName: other.name, state: 'open', limit: 10 }))).toEqual(['5']);
        expect((await store().listAlerts({ jobName: a.name, limit: 1 }))[0]?.rule).toEqual({
          type: 'no_success_within',
          seconds: 3600,
        });

        const pages: string[][] = [];
        let before: { openedAt: string; id: string } | undefined;
        for (;;) {
          const page = await store().listAlerts({ service, limit: 2, before });
          pages.push(idsOf(page));
          const last = page.at(-1);
          if (page.length < 2 || !last) break;
          before = { openedAt: last.openedAt, id: last.id };
        }
        expect(pages).toEqual([['4', '3'], ['2', '1'], []]);
        // a cursor in another offset names the same instant
        const offset = { openedAt: at(30).replace('Z', '+00:00'), id: `${x}-4` };
        expect(idsOf(await store().listAlerts({ service, limit: 10, before: offset }))).toEqual(['3', '2', '1']);
      });

      it('prunes resolved episodes resolved before the cutoff, oldest first, never an open one', async () => {
        const job = freshJob(store());
        const x = uniqueName('x');
        const resolved = (id: string, n: number) =>
          alertRecord(`${x}-${id}`, job, n - 5, { state: 'resolved', resolvedAt: at(n), updatedAt: at(n) });
        // the cutoff is far in the past of every other test's rows, so other jobs' episodes are not touched
        const old = (n: number) => new Date(Date.UTC(2020, 0, 1) + n * 1000).toISOString();
        const ancient = (id: string, n: number) => ({
          ...resolved(id, 0),
          openedAt: old(n - 5),
          resolvedAt: old(n),
          updatedAt: old(n),
        });
        await store().recordAlert(ancient('a', 20));
        await store().recordAlert(ancient('b', 10));
        await store().recordAlert({ ...alertRecord(`${x}-open`, job, 0), openedAt: old(1), updatedAt: old(1) });
        await store().recordAlert(resolved('recent', 200));
        const cutoff = old(100);

        expect(await store().pruneAlerts(cutoff, 1)).toBe(1);
        const left = async () => (await store().listAlerts({ jobName: job.name, limit: 10 })).map((a) => a.id);
        expect(await left()).toEqual([`${x}-recent`, `${x}-a`, `${x}-open`]);
        expect(await store().pruneAlerts(cutoff, 10)).toBeGreaterThanOrEqual(1);
        expect(await left()).toEqual([`${x}-recent`, `${x}-open`]);
        expect(await store().pruneAlerts(cutoff, 10)).toBe(0);
      });
    });

    it('answers ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    it('refuses use after close with a StoreError', async () => {
      const { store: closing } = await open();
      await closing.ping();
      await closing.close();

      await expect(closing.ping()).rejects.toBeInstanceOf(StoreError);
      await expect(closing.getJob(uniqueName('closed'))).rejects.toThrow(/store operation getJob failed/);
    });

    if (!options.sql) return;

    describe("the seed's queries, unchanged", () => {
      const rawQuery = (sql: string) => {
        if (!subject?.rawQuery) throw new Error(`${name}: open() must return rawQuery, or pass { sql: false }`);
        return subject.rawQuery(sql);
      };
      /** Far past the other tests' data, and later on every run, so these rows are the newest in a shared database. */
      const future = (n: number) => new Date(Date.UTC(2900, 0, 1) + Date.now() + n * 1000).toISOString();

      it('SELECT * FROM job_schedules shows every job with the counters the store reports', async () => {
        const job = freshJob(store());
        await job.upsert();
        await store().recordExecution(finished(execution(uniqueName('e'), job), 'failed'));
        await store().recordExecution(execution(uniqueName('e'), job, { startedAt: at(9) }));

        const rows = await rawQuery('SELECT * FROM job_schedules;');
        const row = rows.find((r) => r.job_name === job.name);
        expect(Object.keys(row ?? {})).toEqual(expect.arrayContaining(JOB_SCHEDULES_COLUMNS));
        const stored = await store().getJob(job.name);
        expect(stored).not.toBeNull();
        expect({
          service: row?.service,
          endpoint: row?.endpoint,
          cron: row?.cron_expression,
          timezone: row?.timezone,
          enabled: Boolean(row?.enabled),
          totalRuns: row?.total_runs,
          successfulRuns: row?.successful_runs,
          failedRuns: row?.failed_runs,
          lastStatus: row?.last_status,
          lastRunAt: new Date(row?.last_run_at as string).toISOString(),
        }).toEqual({
          service: job.service,
          endpoint: stored?.definition.endpoint,
          cron: stored?.definition.cron,
          timezone: stored?.definition.timezone,
          enabled: true,
          totalRuns: 2,
          successfulRuns: 0,
          failedRuns: 1,
          lastStatus: 'running',
          lastRunAt: at(9),
        });
        expect(stored?.stats).toEqual({ totalRuns: 2, successfulRuns: 0, failedRuns: 1 });
      });

      it('SELECT * FROM scheduled_jobs ORDER BY started_at DESC LIMIT 10 shows the newest executions', async () => {
        const job = freshJob(store());
        const executions = [0, 1, 2].map((n) =>
          finished(execution(uniqueName('e'), job, { startedAt: future(n) }), n === 1 ? 'failed' : 'succeeded'),
        );
        for (const e of executions) await store().recordExecution(e);

        const rows = await rawQuery('SELECT * FROM scheduled_jobs ORDER BY started_at DESC LIMIT 10;');
        expect(rows.length).toBeGreaterThanOrEqual(3);
        expect(rows.length).toBeLessThanOrEqual(10);
        expect(Object.keys(rows[0] ?? {})).toEqual(expect.arrayContaining(SCHEDULED_JOBS_COLUMNS));
        expect(rows.slice(0, 3).map((r) => [r.id, r.status, new Date(r.started_at as string).toISOString()])).toEqual(
          [...executions].reverse().map((e) => [e.id, e.status, e.startedAt]),
        );
        const listed = await store().listExecutions({ limit: 10 });
        expect(rows.map((r) => new Date(r.started_at as string).toISOString())).toEqual(listed.map((e) => e.startedAt));
      });

      it('SELECT job_name, total_runs, … WHERE enabled = true shows the jobs their services have enabled', async () => {
        const service = uniqueName('svc');
        const running = { name: uniqueName('active'), service };
        const paused = { name: uniqueName('paused'), service }; // enabled by its service, paused by an admin
        const disabled = { name: uniqueName('disabled'), service }; // registered with enabled: false
        await store().upsertJob(jobRecord(running.name, service));
        await store().upsertJob(jobRecord(paused.name, service, { paused: true, pauseNote: 'paused by ops' }));
        await store().upsertJob(
          jobRecord(disabled.name, service, { definition: definition(disabled.name, service, { enabled: false }) }),
        );
        for (const [i, status] of (['succeeded', 'succeeded', 'timed_out', 'cancelled'] as const).entries()) {
          for (const job of [running, paused, disabled]) {
            await store().recordExecution(finished(execution(uniqueName('e'), job, { startedAt: at(i) }), status));
          }
        }

        const ours = (rows: Record<string, unknown>[]) =>
          rows.filter((r) => [running.name, paused.name, disabled.name].includes(r.job_name as string));
        const rows = await rawQuery(
          'SELECT job_name, total_runs, successful_runs, failed_runs FROM job_schedules WHERE enabled = true;',
        );
        const counts = { total_runs: 4, successful_runs: 2, failed_runs: 1 };
        expect(ours(rows).sort((a, b) => (String(a.job_name) < String(b.job_name) ? -1 : 1))).toEqual(
          [running.name, paused.name].sort().map((job_name) => ({ job_name, ...counts })),
        );
        // the jobs that run: enabled by their service and not paused by an admin
        const live = await rawQuery('SELECT job_name FROM job_schedules WHERE enabled = true AND paused = false;');
        expect(ours(live)).toEqual([{ job_name: running.name }]);
        expect((await store().getJob(running.name))?.stats).toEqual({ totalRuns: 4, successfulRuns: 2, failedRuns: 1 });
        expect((await store().listJobs({ service, paused: true })).map((j) => j.definition.name)).toEqual([
          paused.name,
        ]);
      });
    });
  });
}
