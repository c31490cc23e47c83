import { deleteSchedules, startTestScheduler, type TestScheduler } from './scheduler';
import { startTarget, type Target } from './target';

/** A test file's target service and scheduler (`EMAIL_SERVICE_URL` → the target), and the jobs to delete after. */
export interface SchedulerFixture {
  target: Target;
  scheduler: TestScheduler;
  /** Names of the jobs the file registered: their schedules are deleted after the file. */
  jobs: string[];
}

/** Starts them before the file's tests and stops them after; `env` adds scheduler variables. */
export function useSchedulerWithTarget(env: Record<string, string> = {}): SchedulerFixture {
  const fixture = { jobs: [] as string[] } as unknown as SchedulerFixture;
  beforeAll(async () => {
    fixture.target = await startTarget();
    fixture.scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: fixture.target.url, ...env });
  });
  afterAll(async () => {
    await deleteSchedules(fixture.scheduler.client, fixture.jobs);
    await fixture.scheduler.stop();
    await fixture.target.close();
  });
  return fixture;
}
