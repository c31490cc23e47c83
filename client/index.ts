export {
  createSchedulerClient,
  SchedulerRequestError,
  type DeclareResult,
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
