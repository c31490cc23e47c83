import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common';

/*
 * What an async job's service sends of a run and what it is answered (docs/long-running.md):
 * `POST /api/executions/:id/heartbeat` and `POST /api/executions/:id/complete`.
 */

/** The attempt a report is of: `X-Scheduler-Attempt` of the call. Left out: whichever attempt is open. */
const Attempt = Type.Optional(
  Type.Integer({
    minimum: 1,
    description: "The attempt reported on (the call's X-Scheduler-Attempt); another is a 409.",
  }),
);

/** The largest `progress` a heartbeat may carry, as JSON (bytes): Temporal keeps it with the attempt. */
export const MAX_PROGRESS_BYTES = 4096;

/** `POST /api/executions/:id/heartbeat`. */
export const HeartbeatBody = Type.Object(
  {
    progress: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: `Any JSON object, at most ${MAX_PROGRESS_BYTES} bytes: shown in the execution view until the next.`,
        },
      ),
    ),
    attempt: Attempt,
  },
  { additionalProperties: false },
);
export type HeartbeatBody = Static<typeof HeartbeatBody>;

export const HeartbeatReply = Type.Object({
  /** The run is cancelled, or being cancelled: the service should stop its work. */
  cancelRequested: Type.Boolean(),
});
export type HeartbeatReply = Static<typeof HeartbeatReply>;

/** `POST /api/executions/:id/complete`. */
export const CompletionBody = Type.Object(
  {
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    result: Type.Optional(
      Type.Object(
        {},
        { additionalProperties: true, description: "Kept as the run's response (its first 2 KiB of JSON)." },
      ),
    ),
    error: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: "Why it failed: the run's error." }),
    ),
    attempt: Attempt,
  },
  { additionalProperties: false },
);
export type CompletionBody = Static<typeof CompletionBody>;

export const CompletionReply = Type.Object({
  /** False when the run had already taken this same report (a repeat): nothing changed. */
  changed: Type.Boolean(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  /** The attempt the report ended; null for a repeat that named none. */
  attempt: Nullable(Type.Integer()),
});
export type CompletionReply = Static<typeof CompletionReply>;
