/**
 * `@scheduler-service/client` for Node: declare jobs, verify the scheduler's signed calls, report on long-running
 * jobs, and the admin calls. A browser imports `@scheduler-service/client/admin` instead (the admin calls alone, nothing from Node).
 */
export {
  createSchedulerAdmin,
  type CallOptions,
  type ExecutionFilters,
  type ExecutionPage,
  type ExecutionStatus,
  type ExecutionTrigger,
  type ExecutionView,
  type JobDetailView,
  type JobFilters,
  type JobPage,
  type JobAlertRules,
  type JobStats,
  type JobView,
  type OverlapPolicy,
  type Page,
  type PauseChange,
  type SchedulerAdmin,
  type SchedulerAdminOptions,
  type TokenSource,
} from './admin';
export {
  createSchedulerClient,
  ExecutionConflictError,
  SchedulerRequestError,
  type CompleteResult,
  type Completion,
  type DeclareResult,
  type ExecutionContext,
  type HeartbeatResult,
  type JobDeclaration,
  type RegisterResult,
  type SchedulerClient,
  type SchedulerClientOptions,
} from './scheduler-client';
export {
  createSignatureVerifier,
  memoryKeys,
  type ProcessedKeys,
  type SignedRequest,
  type Verdict,
  type VerifierOptions,
} from './verify-signature';
export { schedulerSignature, type SchedulerSignatureOptions } from './fastify-plugin';
export { acceptAndReport, executionContextOf, type LongRunningJob } from './long-running';
