import { createAlertUseCases, type AlertUseCases } from './alerts';
import { createUseCaseContext, type UseCaseDeps } from './context';
import { createExecutionUseCases, type ExecutionUseCases } from './executions';
import { createJobUseCases, type JobUseCases } from './jobs';
import { createReportUseCases, type ReportUseCases } from './reports';

/**
 * The API's use cases over one shared context (Temporal client, mirror store, target services, task queue, links):
 * `jobs` (register, a service's declared set, reads, admin actions, backfill), `executions` (reads, retry),
 * `reports` (an async job's heartbeats and completions, cancel) and `alerts` (the alert episodes the mirror keeps).
 * One file per use case in this folder; "service" always means a target microservice.
 */
export function createUseCases(deps: UseCaseDeps): {
  jobs: JobUseCases;
  executions: ExecutionUseCases;
  reports: ReportUseCases;
  alerts: AlertUseCases;
} {
  const ctx = createUseCaseContext(deps);
  return {
    jobs: createJobUseCases(ctx),
    executions: createExecutionUseCases(ctx),
    reports: createReportUseCases(ctx),
    alerts: createAlertUseCases(ctx),
  };
}
