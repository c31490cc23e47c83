/**
 * Long-running jobs (a job registered with `async: true`): the service answers the scheduler's call `202` at once,
 * works as long as it needs, tells the scheduler it is alive, and reports the end. `acceptAndReport` does that for a
 * Fastify route; `executionContextOf` reads what any framework needs for `heartbeat` and `complete`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExecutionConflictError } from './request-error';
import type { Completion, ExecutionContext, SchedulerClient } from './scheduler-client';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The execution a call of the scheduler is for, from its headers (Node's, lower-case names): `X-Scheduler-Execution`
 * (else `Idempotency-Key`), `X-Scheduler-Attempt` (an integer ≥ 1) and `X-Scheduler-Signature` verbatim, if signed.
 * Undefined when the execution or a valid attempt is missing: not a call of the scheduler.
 */
export function executionContextOf(headers: Headers): ExecutionContext | undefined {
  const executionId = single(headers['x-scheduler-execution']) ?? single(headers['idempotency-key']);
  const attempt = Number(single(headers['x-scheduler-attempt']));
  if (!executionId || !Number.isSafeInteger(attempt) || attempt < 1) return undefined;
  const signature = single(headers['x-scheduler-signature']);
  return { executionId, attempt, ...(signature ? { signature } : {}) };
}

/** What the work of one execution is given. */
export interface LongRunningJob<Payload> {
  executionId: string;
  attempt: number;
  /** The job's payload: the call's body `payload`, or a GET's `X-Scheduler-Payload`; `{}` when it has none. */
  payload: Payload;
  /** Aborted when the scheduler asks to cancel, or no longer waits for this attempt: stop, the end is not reported. */
  signal: AbortSignal;
  /**
   * Tells the scheduler the work is alive, with `progress` (e.g. `{sent, total}`) if given. Never throws: a failure
   * is logged (the next heartbeat will tell), a cancellation aborts `signal`. Resolves once the scheduler answered.
   */
  heartbeat(progress?: Record<string, unknown>): Promise<void>;
}

/**
 * A Fastify route handler for a long-running job: answers `202 {"accepted":true}` at once, then runs `work` and
 * reports its end with `scheduler.complete`: `succeeded` with the object it resolves to as `result`, or `failed`
 * with the message of what it throws. After a cancellation (see {@link LongRunningJob.signal}) it reports nothing.
 * A call without `X-Scheduler-Execution` and `X-Scheduler-Attempt` is answered `400 not_a_scheduler_call`.
 * Errors while reporting are logged with the request's logger, never thrown.
 */
export function acceptAndReport<Payload = Record<string, unknown>>(
  scheduler: Pick<SchedulerClient, 'heartbeat' | 'complete'>,
  work: (job: LongRunningJob<Payload>) => Promise<Record<string, unknown> | void>,
) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const read = executionContextOf(req.headers);
    if (!read) {
      const message = 'X-Scheduler-Execution and X-Scheduler-Attempt are required';
      return reply.code(400).send({ error: { code: 'not_a_scheduler_call', message } });
    }
    const execution: ExecutionContext = read;
    const { executionId, attempt } = execution;
    const stop = new AbortController();
    const job: LongRunningJob<Payload> = {
      executionId,
      attempt,
      payload: payloadOf(req) as Payload,
      signal: stop.signal,
      heartbeat: async (progress) => {
        if (stop.signal.aborted) return;
        try {
          const { cancelRequested } = await scheduler.heartbeat(execution, progress);
          if (cancelRequested) stop.abort(new Error(`execution ${executionId} was cancelled`));
        } catch (err) {
          // the scheduler moved on (the execution ended, or another attempt runs): this attempt's work is moot
          if (err instanceof ExecutionConflictError) stop.abort(err);
          req.log.warn({ err, executionId, attempt }, `heartbeat of execution ${executionId} failed`);
        }
      },
    };

    async function runAndReport() {
      let completion: Completion;
      try {
        const result = await work(job);
        completion = { status: 'succeeded', ...(result ? { result } : {}) };
      } catch (err) {
        completion = { status: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
      if (stop.signal.aborted) {
        req.log.info({ executionId, attempt, reason: String(stop.signal.reason) }, `execution ${executionId} stopped`);
        return;
      }
      await scheduler.complete(execution, completion);
      req.log.info({ executionId, attempt, status: completion.status }, `execution ${executionId} reported`);
    }

    // after the answer has gone: the scheduler waits for nothing else
    setImmediate(() => {
      runAndReport().catch((err: unknown) =>
        req.log.error({ err, executionId, attempt }, `reporting the end of execution ${executionId} failed`),
      );
    });
    return reply.code(202).send({ accepted: true });
  };
}

function payloadOf(req: FastifyRequest): unknown {
  const header = single(req.headers['x-scheduler-payload']);
  if (header) return JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  return (req.body as { payload?: unknown } | undefined)?.payload ?? {};
}

const single = (header: string | string[] | undefined) => (Array.isArray(header) ? header[0] : header);
