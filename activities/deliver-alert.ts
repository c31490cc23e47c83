import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { alertDeliveryKey, alertTimeOf, type Alert, type AlertDestination } from '../jobs/alert';
import { CALL_FAILURE } from '../jobs/run-input';
import { cutChars, wellFormed } from '../jobs/text';
import { alertPayload, slackMessage, type AlertLinker } from './alert-payloads';
import { isRetryableStatus, readStart, retryAfterMs } from './http';
import type { Signer } from '../jobs/signature';

/** What the alert activities need; without it there is no destination and every alert is undeliverable. */
export interface AlertDeliveryDeps {
  fetch: typeof fetch;
  /** Signs the generic webhook's body, as every call to a service (`SCHEDULER_SIGNING_SECRET`). */
  signer?: Signer;
  alerts?: AlertDeliverySetup;
}

export interface AlertDeliverySetup extends AlertLinker {
  /** `SCHEDULER_ALERT_WEBHOOKS` by name (config `alerts.destinations`). */
  destinations: ReadonlyMap<string, AlertDestination>;
  /** An alert older than this (from {@link alertTimeOf}) is not sent but undeliverable. */
  maxAgeHours: number;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** The clock the age is measured with; default `Date.now`. */
  now?: () => number;
}

/** The argument of `deliverAlert`: one message to one destination, named (its URL stays out of Temporal's history). */
export interface DeliverAlertRequest {
  alert: Alert;
  destination: string;
}

/**
 * How a delivery ended, for the evaluation workflow to record. `undeliverable`: never sent, or given up on —
 * `expired`: older than the maximum age (the receiver was down or refusing for that long);
 * `unknown_destination`: the name is not (or no longer) configured.
 */
export type AlertDelivery =
  | { status: 'delivered'; destination: string; idempotencyKey: string; httpStatus: number; attempt: number }
  | {
      status: 'undeliverable';
      destination: string;
      idempotencyKey: string;
      reason: 'expired' | 'unknown_destination';
      message: string;
    };

/** ApplicationFailure type of a destination that answered with a final refusal (any 4xx but 408, 425, 429, or 3xx). */
const REJECTED = CALL_FAILURE.client;
/** ApplicationFailure types of a delivery worth retrying. */
const RETRYABLE = { status: CALL_FAILURE.retryable, timeout: CALL_FAILURE.timeout, network: CALL_FAILURE.network };
/** How much of a refusal's answer its message quotes, in characters. */
const EXCERPT_CHARS = 200;
/** The longest wait a `Retry-After` may ask for between two attempts, in seconds. */
const MAX_RETRY_AFTER_SECONDS = 600;

export function alertActivities(deps: AlertDeliveryDeps) {
  const setup = deps.alerts;
  return {
    /** The configured destination names, in configuration order: a job that names none alerts to all of them. */
    async listAlertDestinations(): Promise<string[]> {
      return [...(setup?.destinations.keys() ?? [])];
    },

    /**
     * One attempt to POST one alert message to one destination, under `Idempotency-Key: <episode id>:<kind>:<name>`
     * (the same on every attempt). The generic webhook gets the alert as JSON ({@link alertPayload}), signed with
     * `X-Scheduler-Signature` when a signing secret is set; Slack gets {@link slackMessage}, unsigned. A 2xx is
     * `delivered`. An alert older than the maximum age, or for a name not configured, is `undeliverable` without a
     * call: retries end there.
     * @throws ApplicationFailure `HttpRetryableError` (408, 425, 429, 5xx; `nextRetryDelay` from `Retry-After`),
     * `HttpTimeoutError`, `HttpNetworkError`: retry. `HttpClientError` (any other status): non-retryable.
     */
    async deliverAlert({ alert, destination: name }: DeliverAlertRequest): Promise<AlertDelivery> {
      const idempotencyKey = alertDeliveryKey(alert, name);
      const destination = setup?.destinations.get(name);
      if (!setup || !destination) {
        const message = `alert destination ${name} is not configured (SCHEDULER_ALERT_WEBHOOKS)`;
        return { status: 'undeliverable', destination: name, idempotencyKey, reason: 'unknown_destination', message };
      }
      const ageMs = (setup.now ?? Date.now)() - Date.parse(alertTimeOf(alert));
      if (!(ageMs <= setup.maxAgeHours * 3_600_000)) {
        const message = `not delivered to ${name} within ${setup.maxAgeHours} h (SCHEDULER_ALERT_MAX_AGE_HOURS)`;
        return { status: 'undeliverable', destination: name, idempotencyKey, reason: 'expired', message };
      }
      const ctx = Context.current();
      const attempt = ctx.info.attempt;
      const { body, headers } = requestOf(alert, destination, idempotencyKey, setup, deps.signer);
      const timeoutMs = setup.timeoutMs ?? 10_000;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await deps.fetch(destination.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([ctx.cancellationSignal, timeout]),
          redirect: 'manual', // the configured URL is the destination; a redirect is an answer, not a new address
        });
        const answer = await readStart(res, 1024);
        const status = res.status;
        if (status >= 200 && status < 300) {
          return { status: 'delivered', destination: name, idempotencyKey, httpStatus: status, attempt };
        }
        const message = `alert destination ${name} answered HTTP ${status}${answer ? `: ${cutChars(answer, EXCERPT_CHARS)}` : ''}`;
        if (isRetryableStatus(status)) {
          throw ApplicationFailure.create({
            message,
            type: RETRYABLE.status,
            details: [{ httpStatus: status }],
            nextRetryDelay: retryAfterMs(res, MAX_RETRY_AFTER_SECONDS),
          });
        }
        throw ApplicationFailure.nonRetryable(message, REJECTED, { httpStatus: status });
      } catch (err) {
        if (err instanceof ApplicationFailure || ctx.cancellationSignal.aborted) throw err;
        if (timeout.aborted) {
          throw ApplicationFailure.retryable(
            `alert destination ${name}: no answer within ${timeoutMs} ms`,
            RETRYABLE.timeout,
          );
        }
        // recorded in Temporal's history: never the URL (a Slack webhook's path is its credential)
        const cause = (err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err)).replaceAll(
          destination.url,
          '<url>',
        );
        throw ApplicationFailure.retryable(wellFormed(`alert destination ${name} failed: ${cause}`), RETRYABLE.network);
      }
    },
  };
}

/** The body and headers of one delivery: the generic webhook's signed JSON, or Slack's message. */
function requestOf(
  alert: Alert,
  destination: AlertDestination,
  idempotencyKey: string,
  linker: AlertLinker,
  signer: Signer | undefined,
) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Idempotency-Key': idempotencyKey,
    'User-Agent': 'scheduler-service',
  };
  if (destination.kind === 'slack') return { body: JSON.stringify(slackMessage(alert, linker)), headers };
  const body = JSON.stringify(alertPayload(alert, idempotencyKey, linker));
  headers['X-Scheduler-Alert'] = alert.id;
  if (signer) headers['X-Scheduler-Signature'] = signer.sign(body);
  return { body, headers };
}
