import type { Static } from '@sinclair/typebox';
import type { AlertRecord } from '../../jobs/alert';
import { OPEN_ALERTS_SHOWN, type AlertPageSchema, type AlertView } from '../schemas/alerts';
import type { AlertQuery } from '../../store/job-store';
import { toAlertView } from '../views';
import type { UseCaseContext } from './context';
import { decodeCursor, encodeCursor } from './cursor';

/** A page of alert episodes, newest opened first; `nextCursor` is the next page's `before` (null on the last). */
type AlertPage = Static<typeof AlertPageSchema>;

/** `GET /api/alerts`'s filters; `before` is a cursor this API returned. */
export interface AlertFilter {
  state?: AlertRecord['state'];
  job?: string;
  service?: string;
  before?: string;
  limit: number;
}

/** The alert use cases the API's routes call, bound to one context: episodes as the mirror keeps them. */
export function createAlertUseCases(ctx: UseCaseContext) {
  return {
    /** See {@link listAlerts}. */
    list: (filter: AlertFilter) => listAlerts(ctx, filter),
  };
}

export type AlertUseCases = ReturnType<typeof createAlertUseCases>;

/**
 * A page of alert episodes from the mirror, newest opened first. Who may list which service is the route's to check.
 * @throws InvalidRequestError on `before` when it is not a cursor this API returned (api/use-cases/cursor.ts).
 */
export async function listAlerts(ctx: UseCaseContext, filter: AlertFilter): Promise<AlertPage> {
  const { state, job, service, limit } = filter;
  const rows = await ctx.store.listAlerts({ state, jobName: job, service, limit, before: positionOf(filter.before) });
  const last = rows.length === limit ? rows[rows.length - 1] : undefined;
  return { alerts: rows.map((row) => view(ctx, row)), nextCursor: last ? encodeCursor(last.openedAt, last.id) : null };
}

/** A job's open episodes, newest first, at most {@link OPEN_ALERTS_SHOWN}: one indexed read. */
export async function openAlertsOf(ctx: UseCaseContext, jobName: string): Promise<AlertView[]> {
  const rows = await ctx.store.listAlerts({ jobName, state: 'open', limit: OPEN_ALERTS_SHOWN });
  return rows.map((row) => view(ctx, row));
}

const view = ({ consoleUrl, links }: UseCaseContext, alert: AlertRecord) => toAlertView(alert, consoleUrl, links);

/** The `before` position of a list of episodes. */
function positionOf(cursor: string | undefined): AlertQuery['before'] {
  const position = decodeCursor(cursor);
  return position && { openedAt: position.at, id: position.id };
}
