import type { AlertRecord } from '../../jobs/alert';
import type { AlertQuery, JobStore } from '../../store/job-store';
import { createMemoryStore } from '../../store/memory';
import { createTemporalLinks } from '../../temporal/links';
import { OPEN_ALERTS_SHOWN } from '../schemas/alerts';
import { toAlertView } from '../views';
import { listAlerts, openAlertsOf } from './alerts';
import type { UseCaseContext } from './context';

const at = (n: number) => new Date(Date.UTC(2026, 10, 30, 9, 0, 0) + n * 1000).toISOString();
const links = createTemporalLinks('https://temporal.example/', 'prod');
const consoleUrl = 'https://api.example/scheduler/admin/';

const episode = (id: string, n: number, overrides: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  jobName: 'weekly-digest',
  service: 'email-service',
  rule: { type: 'running_too_long', seconds: 5400 },
  state: 'open',
  summary: 'a run has been going for 1 h 30 min',
  openedAt: at(n),
  resolvedAt: null,
  runs: [],
  deliveries: [],
  updatedAt: at(n),
  ...overrides,
});

/** The use cases over the memory store, recording each query they make. */
function context() {
  const store = createMemoryStore();
  const queries: AlertQuery[] = [];
  const listAlertsOfStore = store.listAlerts.bind(store);
  store.listAlerts = async (query) => {
    queries.push(query);
    return listAlertsOfStore(query);
  };
  const ctx = { store, links, consoleUrl } as Partial<UseCaseContext> as UseCaseContext;
  return { store: store as JobStore, queries, ctx };
}

describe('an alert as the API shows it', () => {
  test('is the record with its rule in words and the links of its job', () => {
    const record = episode('a1', 0);
    expect(toAlertView(record, consoleUrl, links)).toEqual({
      ...record,
      ruleText: 'a run still going after 1 hour 30 minutes',
      links: {
        console: 'https://api.example/scheduler/admin/#/jobs/weekly-digest',
        temporalWeb: 'https://temporal.example/namespaces/prod/schedules/job-weekly-digest',
      },
    });
  });
});

describe('the alert use cases', () => {
  test("a job's open alerts are one query: its open episodes, newest first, at most 10", async () => {
    const { store, queries, ctx } = context();
    for (let i = 0; i < 12; i++) await store.recordAlert(episode(`a${String(i).padStart(2, '0')}`, i));
    await store.recordAlert(episode('resolved', 99, { state: 'resolved', resolvedAt: at(100), updatedAt: at(100) }));
    await store.recordAlert(episode('other', 98, { jobName: 'nightly-export' }));
    const open = await openAlertsOf(ctx, 'weekly-digest');
    expect(queries).toEqual([{ jobName: 'weekly-digest', state: 'open', limit: OPEN_ALERTS_SHOWN }]);
    expect(open.map((a) => a.id)).toEqual(['a11', 'a10', 'a09', 'a08', 'a07', 'a06', 'a05', 'a04', 'a03', 'a02']);
  });

  test('a page has a cursor only when full, and the cursor names the last episode', async () => {
    const { store, queries, ctx } = context();
    for (let i = 0; i < 3; i++) await store.recordAlert(episode(`a${i}`, i));
    const first = await listAlerts(ctx, { limit: 2, service: 'email-service' });
    expect(first.alerts.map((a) => a.id)).toEqual(['a2', 'a1']);
    const second = await listAlerts(ctx, { limit: 2, service: 'email-service', before: first.nextCursor! });
    expect(queries[1]).toEqual({
      state: undefined,
      jobName: undefined,
      service: 'email-service',
      limit: 2,
      before: { openedAt: at(1), id: 'a1' },
    });
    expect(second).toMatchObject({ alerts: [{ id: 'a0' }], nextCursor: null });
  });

  test('a cursor this API did not return is a 400 on before', async () => {
    const { ctx } = context();
    for (const before of ['nonsense', Buffer.from('["not a time","a1"]').toString('base64url')]) {
      await expect(listAlerts(ctx, { limit: 2, before })).rejects.toMatchObject({ statusCode: 400, field: 'before' });
    }
  });
});
