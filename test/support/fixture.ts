import { deleteSchedules, startTestScheduler, type TestScheduler } from './scheduler';
import { startTarget, type Target } from './target';

/** A test file's target service and scheduler (`EMAIL_SERVICE_URL` → the target), and the jobs to delete after. */
export interface SchedulerFixture {
  target: Target;
  scheduler: TestScheduler;
  /** Names of the jobs the file registered: their schedules are deleted after the file. */
  jobs: string[];
}

/**
 * Starts them before the file's tests and stops them after; `env` adds scheduler variables (a function: read when
 * the scheduler starts, after the file's own earlier `beforeAll`s, e.g. for the URL of another listener).
 */
export function useSchedulerWithTarget(
  env: Record<string, string> | (() => Record<string, string>) = {},
): SchedulerFixture {
  const fixture = { jobs: [] as string[] } as unknown as SchedulerFixture;
  beforeAll(async () => {
    fixture.target = await startTarget();
    const extra = typeof env === 'function' ? env() : env;
    fixture.scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: fixture.target.url, ...extra });
  });
  afterAll(async () => {
    await deleteSchedules(fixture.scheduler.client, fixture.jobs);
    await fixture.scheduler.stop();
    await fixture.target.close();
  });
  return fixture;
}
