import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { withClient } from '../support/postgres';
import { startOwnMirror, type OwnMirror } from '../support/stack';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { eventually, startTarget, type Target } from '../support/target';

const SECONDS = Number(process.env.FAULT_REFUSAL_SECONDS ?? 9);
/** Text the database refuses, as PostgreSQL refuses a lone surrogate (SQLSTATE 22P05). */
const REFUSED = 'refused-by-the-database';

/**
 * Fault table: PostgreSQL refuses, for their content, the rows of some runs (a trigger raising 22P05 on a response or
 * error holding {@link REFUSED}, as it raises for text it cannot hold), while a job runs every second through the
 * Supabase store. Every run is recorded and ends: a refused row is written without the refused text, marked in
 * `droppedFields`, logged and counted; no row stays `running`, no mirror write is retried without end, counters equal
 * rows. A database, PostgREST and gateway of this test's own, so the rule touches no other test.
 */
describe('fault: mirror writes refused for their content', () => {
  let mirror: OwnMirror;
  let target: Target;
  let scheduler: TestScheduler;
  const name = uniqueName('refusal');

  beforeAll(async () => {
    mirror = await startOwnMirror((url) =>
      withClient(url, (pg) =>
        pg.query(`
        CREATE SCHEMA fault;
        CREATE FUNCTION fault.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF strpos(coalesce(NEW.response, '') || coalesce(NEW.error, ''), '${REFUSED}') > 0 THEN
            RAISE EXCEPTION 'untranslatable character' USING ERRCODE = '22P05';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON public.scheduled_jobs
          FOR EACH ROW EXECUTE FUNCTION fault.refuse();`),
      ),
    );
    target = await startTarget();
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, ...mirror.env() });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await target.close();
    await mirror.stop();
  });

  test(`a job every second for ${SECONDS} s, a third of its rows refused: every run recorded, degraded and marked, nothing wedged`, async () => {
    const api = apiClient(scheduler.url);
    // by turns: a 2xx whose response the database refuses, a 500 whose response and error (quoting the body) it
    // refuses, a clean 2xx
    const turn = [
      { status: 200, body: `ok ${REFUSED} 😀` },
      { status: 500, body: `${REFUSED} 😀` },
      { status: 200, body: 'ok 😀' },
    ];
    target.answer(
      '/tick',
      Array.from({ length: 100 }, (_, i) => turn[i % 3]!),
    );
    const reg = await api.register({
      name,
      service: 'email-service',
      endpoint: '/tick',
      cron: '@every 1s',
      retry: { maxAttempts: 1 },
    });
    expect(reg.status).toBe(201);
    await target.waitForCalls('/tick', SECONDS, SECONDS * 1000 + 30_000);
    expect((await api.call('POST', `/api/jobs/${name}/pause`, { note: 'fault table' })).status).toBe(200);

    const ledger = await eventually(
      () => fetchLedger(scheduler.client, scheduler.url, target, name),
      (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
      60_000,
    );
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    const kinds = { refusedResponse: 0, refusedError: 0, whole: 0 };
    for (const row of ledger.rows) {
      if (row.httpStatus === 500) {
        // a failed run keeps the service's answer too: both hold the refused text
        expect(row).toMatchObject({
          status: 'failed',
          error: null,
          response: null,
          droppedFields: ['response', 'error'],
        });
        kinds.refusedError++;
      } else if (row.droppedFields !== null) {
        expect(row).toMatchObject({ status: 'succeeded', response: null, droppedFields: ['response'] });
        kinds.refusedResponse++;
      } else {
        expect(row).toMatchObject({ status: 'succeeded', httpStatus: 200, response: 'ok 😀', error: null });
        kinds.whole++;
      }
    }
    // by turns: each kind about a third of the runs
    for (const n of Object.values(kinds)) expect(n).toBeGreaterThanOrEqual(Math.floor(ledger.rows.length / 3) - 1);
    const degraded = kinds.refusedError + kinds.refusedResponse;

    // nothing wedged: no mirror child still retrying a write. A run whose end row is written closes a moment later,
    // and visibility shows it later still: what is still running after 30 s is wedged.
    const running = async () => {
      const ids: string[] = [];
      for await (const run of scheduler.client.workflow.list({
        query: `WorkflowId STARTS_WITH "job-run-${name}" AND ExecutionStatus = "Running"`,
      })) {
        ids.push(run.workflowId);
      }
      return ids;
    };
    const stillRunning = await eventually(running, (ids) => ids.length === 0, 30_000).catch(running);
    expect(stillRunning).toEqual([]);
    // said in the metrics: each degraded row counted (a row written in place and again by its mirror child counts twice)
    const metrics = await (await fetch(`${scheduler.url}/metrics`)).text();
    const count = (outcome: string) =>
      Number(
        new RegExp(`scheduler_mirror_refused_rows_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0,
      );
    expect(count('degraded')).toBeGreaterThanOrEqual(degraded);
    expect(count('unwritten')).toBe(0);
  });
});
