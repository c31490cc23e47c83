import { Type } from '@sinclair/typebox';
import { EXECUTION_STATUSES, TRIGGERS } from '../../jobs/execution';
import { FATES } from '../../jobs/occurrences';
import { literals } from '../../jobs/schema';
import { Nullable, Timestamp } from './common';

/** `GET /api/jobs/:name/occurrences`: the window [from, to). */
export const LedgerQuery = Type.Object(
  {
    /** Start of the window, inclusive; default a day before `to`. */
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive; default: a day before `to`.' })),
    /** End of the window, exclusive; default now. */
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive; default: now.' })),
  },
  { additionalProperties: false },
);

const OccurrenceSchema = Type.Object({
  scheduledAt: Timestamp,
  fate: literals(FATES),
  /** `ran`: its run; `skipped`: the run that held the job. */
  executionId: Nullable(Type.String()),
  /** `ran`: its run's status. */
  status: Nullable(literals(EXECUTION_STATUSES)),
  reason: Type.String(),
  pause: Type.Optional(Type.Object({ at: Timestamp, by: Nullable(Type.String()), note: Nullable(Type.String()) })),
  backfilledBy: Type.Optional(Type.String()),
});

const RunSpanSchema = Type.Object({
  id: Type.String(),
  trigger: literals(TRIGGERS),
  triggeredBy: Nullable(Type.String()),
  retryOf: Nullable(Type.String()),
  status: literals(EXECUTION_STATUSES),
  scheduledAt: Nullable(Timestamp),
  startedAt: Timestamp,
  completedAt: Nullable(Timestamp),
});

/** The occurrence ledger of a job over [from, to) (docs/ledger.md). */
export const LedgerReply = Type.Object({
  from: Timestamp,
  to: Timestamp,
  occurrences: Type.Array(OccurrenceSchema),
  /** Manual, backfill and retry runs started in the window, oldest first. */
  manual: Type.Array(RunSpanSchema),
  counts: Type.Object(Object.fromEntries(FATES.map((fate) => [fate, Type.Integer()]))),
});
