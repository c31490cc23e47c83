import path from 'node:path';
import Database from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import { scheduleIdOf } from '../jobs/ids';
import { describeSchedule } from '../temporal/schedules';
import { DISABLED_NOTE } from '../temporal/schedule-options';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { sharedMirrorEnv } from './support/stack';
import { startTarget, type Target } from './support/target';

const SMILE = '😀'; // four bytes of UTF-8, two UTF-16 units
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The mirror's stored bytes of a run's text, checked as UTF-8 (a split character would throw), and its counters. */
type Raw = { response: string | null; error: string | null; dropped: unknown; counters: number[] };

const stores: [string, () => Record<string, string>, (s: TestScheduler, id: string, job: string) => Promise<Raw>][] = [
  [
    'SQLite',
    () => ({}),
    async (scheduler, id, job) => {
      const db = new Database(path.join(scheduler.dataDir, 'scheduler.db'), { readonly: true });
      try {
        const row = db
          .prepare<[string], { response: Buffer | null; error: Buffer | null; dropped_fields: string | null }>(
            'SELECT CAST(response AS BLOB) AS response, CAST(error AS BLOB) AS error, dropped_fields FROM scheduled_jobs WHERE id = ?',
          )
          .get(id)!;
        const counts = db
          .prepare<{ job: string }, Record<string, number>>(
            `SELECT total_runs, successful_runs, failed_runs,
              (SELECT count(*) FROM scheduled_jobs WHERE job_name = @job) AS rows
             FROM job_schedules WHERE job_name = @job`,
          )
          .get({ job })!;
        return {
          response: row.response && strictUtf8.decode(row.response),
          error: row.error && strictUtf8.decode(row.error),
          dropped: row.dropped_fields,
          counters: [counts.total_runs!, counts.successful_runs!, counts.failed_runs!, counts.rows!],
        };
      } finally {
        db.close();
      }
    },
  ],
  [
    'Supabase (real PostgREST)',
    sharedMirrorEnv,
    async (_scheduler, id, job) => {
      const pg = new PgClient({ connectionString: process.env.SUPABASE_TEST_DB_URL });
      await pg.connect();
      try {
        // convert_to() re-encodes the stored text as UTF-8 bytes: PostgreSQL holds nothing it could not encode
        const row = (
          await pg.query(
            `SELECT convert_to(response, 'UTF8') AS response, convert_to(error, 'UTF8') AS error, dropped_fields
             FROM scheduled_jobs WHERE id = $1`,
            [id],
          )
        ).rows[0] as { response: Buffer | null; error: Buffer | null; dropped_fields: unknown };
        const counts = (
          await pg.query(
            `SELECT total_runs, successful_runs, failed_runs,
              (SELECT count(*)::int FROM scheduled_jobs WHERE job_name = $1) AS rows
             FROM job_schedules WHERE job_name = $1`,
            [job],
          )
        ).rows[0] as Record<string, number>;
        return {
          response: row.response && strictUtf8.decode(row.response),
          error: row.error && strictUtf8.decode(row.error),
          dropped: row.dropped_fields,
          counters: [counts.total_runs!, counts.successful_runs!, counts.failed_runs!, counts.rows!],
        };
      } finally {
        await pg.end();
      }
    },
  ],
];

/**
 * Text from outside, end to end on each store: a target answering characters beyond U+FFFF (its excerpt and error cut
 * on whole characters, the run recorded and ended), and requests holding lone surrogates in every text field of every
 * route (a 400 naming the field, nothing changed in Temporal or the mirror).
 */
describe.each(stores)('text on the %s mirror', (_store, storeEnv, rawRow) => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const names: string[] = [];

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ TEXT_SERVICE_URL: target.url, ...storeEnv() });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, names);
    await scheduler.stop();
    await target.close();
  });

  const register = async (extra: Record<string, unknown> = {}) => {
    const name = uniqueName('text');
    names.push(name);
    const endpoint = `/${name}`;
    const reg = await api.register({
      name,
      service: 'text-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: { maxAttempts: 1 },
      ...extra,
    });
    expect(reg.status).toBe(201);
    return { name, endpoint };
  };

  test.each([
    ['a', 200],
    ['bb', 200],
    ['a', 500],
    ['bb', 500],
  ])(
    'a target answering %s + 3,000 × 😀 with %i: the run ends, its text cut on whole characters',
    async (prefix, status) => {
      const { name, endpoint } = await register();
      target.answer(endpoint, [{ status, body: prefix + SMILE.repeat(3000) }]);
      const id = (await api.trigger(name)).body.execution.id;
      const run = await api.finished(id, 30_000);

      const excerpt = prefix + SMILE.repeat(Math.floor((2048 - prefix.length) / 4));
      const quoted = `POST ${endpoint} answered HTTP 500: ${prefix}${SMILE.repeat(200 - prefix.length)}`;
      if (status === 200) {
        expect(run).toMatchObject({ status: 'succeeded', httpStatus: 200, response: excerpt, error: null });
      } else {
        expect(run).toMatchObject({ status: 'failed', httpStatus: 500, error: quoted });
      }
      expect(run.droppedFields).toBeNull();
      const raw = await rawRow(scheduler, id, name);
      expect(raw).toMatchObject(status === 200 ? { response: excerpt, error: null } : { error: quoted });
      expect(Buffer.byteLength(raw.response ?? '')).toBeLessThanOrEqual(2048);
      expect(raw.dropped).toBeNull();
      expect(raw.counters).toEqual(status === 200 ? [1, 1, 0, 1] : [1, 0, 1, 1]);
    },
  );

  test('lone surrogates in every text field of every route: a 400 naming the field, nothing changed', async () => {
    const { name, endpoint } = await register({ description: `${SMILE} kept`, payload: { [SMILE]: SMILE } });
    // the job as its definition and state stand (next run times are refreshed in the background meanwhile)
    const jobNow = async () => {
      const { job } = (await api.call<{ job: Record<string, unknown> }>('GET', `/api/jobs/${name}`)).body;
      return { ...job, nextRunTimes: undefined, updatedAt: undefined };
    };
    const before = await jobNow();
    const fresh = uniqueName('text-no');
    names.push(fresh);
    const job = { name: fresh, service: 'text-service', endpoint: '/x', cron: '0 0 1 1 *' };
    const send = async (method: string, url: string, body: string) => {
      const res = await fetch(`${scheduler.url}${url}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string; field?: string } } };
    };
    const json = (value: unknown) =>
      JSON.stringify(value).replaceAll('LONE_HIGH', '\\ud83d').replaceAll('LONE_LOW', '\\ude00');
    const cases: [string, string, string, string][] = [
      ['POST', '/api/jobs/register', json({ ...job, payload: { greeting: 'hi LONE_HIGH' } }), 'payload.greeting'],
      ['POST', '/api/jobs/register', json({ ...job, payload: { keyLONE_LOW: 1 } }), 'payload.key\ufffd'],
      ['POST', '/api/jobs/register', json({ ...job, description: `${SMILE}LONE_LOW` }), 'description'],
      ['POST', '/api/jobs/register', json({ ...job, name, description: 'LONE_HIGH' }), 'description'],
      [
        'PUT',
        '/api/services/text-service/jobs',
        json({ jobs: [job, { ...job, name: `${fresh}-2`, payload: { a: ['LONE_LOW'] } }] }),
        'jobs.1.payload.a.0',
      ],
      ['POST', `/api/jobs/${name}/pause`, json({ note: `maintenance ${SMILE}LONE_HIGH` }), 'note'],
      ['POST', `/api/jobs/${name}/resume`, json({ note: 'LONE_LOW' }), 'note'],
      ['POST', `/api/jobs/${name}/trigger`, json({ payload: { x: 'LONE_HIGH' } }), 'payload.x'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await send(method, url, body);
      expect({ url, ...res }).toEqual({
        url,
        status: 400,
        body: { error: { code: 'invalid_request', field, message: expect.stringContaining(`${field}: `) } },
      });
    }
    // nothing new in Temporal or the mirror, and the existing job exactly as it was in both
    for (const absent of [fresh, `${fresh}-2`]) {
      expect(await describeSchedule(scheduler.client, scheduleIdOf(absent))).toBeNull();
      expect((await api.call('GET', `/api/jobs/${absent}`)).status).toBe(404);
    }
    const schedule = await describeSchedule(scheduler.client, scheduleIdOf(name));
    expect(schedule?.state).toMatchObject({ paused: true, note: DISABLED_NOTE });
    expect(await jobNow()).toEqual(before);
    expect(before).toMatchObject({ description: `${SMILE} kept`, payload: { [SMILE]: SMILE } });
    expect(target.calls(endpoint)).toEqual([]);
    const runs = await api.call<{ executions: unknown[] }>('GET', `/api/jobs/${name}/executions`);
    expect(runs.body.executions).toEqual([]);
  });
});
