import { createUseCaseContext, type UseCaseDeps } from './context';
import { createExecutionUseCases, type ExecutionUseCases } from './executions';
import { createJobUseCases, type JobUseCases } from './jobs';

/**
 * The API's use cases over one shared context (Temporal client, mirror store, target services, task queue, links):
 * `jobs` (register, a service's declared set, reads, admin actions, backfill) and `executions` (reads, retry).
 * One file per use case in this folder; "service" always means a target microservice.
 */
export function createUseCases(deps: UseCaseDeps): { jobs: JobUseCases; executions: ExecutionUseCases } {
  const ctx = createUseCaseContext(deps);
  return { jobs: createJobUseCases(ctx), executions: createExecutionUseCases(ctx) };
}
