import {
  ALERT_PAYLOAD_VERSION,
  describeRule,
  MAX_ALERT_RUNS,
  type Alert,
  type AlertLinks,
  type AlertPayload,
  type AlertRun,
} from '../jobs/alert';
import { wellFormed } from '../jobs/text';
import { jobPagesOf, type TemporalLinks } from '../temporal/links';

/**
 * The bodies an alert is delivered as: the generic webhook's JSON ({@link alertPayload}) and a Slack incoming
 * webhook's message ({@link slackMessage}). Pure: no I/O, no clock.
 */

/** Where an alert's links point: the admin console (`…/admin/`, with its slash) and Temporal Web. */
export interface AlertLinker {
  consoleUrl: string;
  temporal: TemporalLinks;
}

/** The job's links: its console page and its schedule in Temporal Web. */
const jobLinks = (linker: AlertLinker, jobName: string): AlertLinks =>
  jobPagesOf(linker.consoleUrl, linker.temporal, jobName);

/** A run's links: its console page and its workflow in Temporal Web. */
function runLinks(linker: AlertLinker, run: AlertRun): AlertLinks {
  return {
    console: `${linker.consoleUrl}#/executions/${encodeURIComponent(run.executionId)}`,
    temporalWeb: linker.temporal.workflow(run.executionId),
  };
}

/**
 * The generic webhook's body: `{version: 1, idempotencyKey, …alert, links, runs: […, links]}`, the runs cut to
 * {@link MAX_ALERT_RUNS}.
 */
export function alertPayload(alert: Alert, idempotencyKey: string, linker: AlertLinker): AlertPayload {
  return {
    version: ALERT_PAYLOAD_VERSION,
    idempotencyKey,
    ...alert,
    links: jobLinks(linker, alert.job.name),
    runs: alert.runs.slice(0, MAX_ALERT_RUNS).map((run) => ({ ...run, links: runLinks(linker, run) })),
  };
}

/** Slack's text objects (https://docs.slack.dev/reference/block-kit/composition-objects/text-object). */
export interface SlackPlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
}

/** A link button (https://docs.slack.dev/reference/block-kit/block-elements/button-element). */
export interface SlackButton {
  type: 'button';
  text: SlackPlainText;
  url: string;
  action_id: string;
  style?: 'primary' | 'danger';
}

/** The blocks an alert uses (https://docs.slack.dev/reference/block-kit/blocks). */
export type SlackBlock =
  | { type: 'header'; text: SlackPlainText }
  | { type: 'section'; text: SlackMrkdwn; fields?: SlackMrkdwn[] }
  | { type: 'context'; elements: SlackMrkdwn[] }
  | { type: 'actions'; elements: SlackButton[] };

/** A Slack incoming webhook's body: `text` is the notification's and the fallback's, `blocks` what is shown. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/**
 * Slack's documented limits, in characters (https://docs.slack.dev/reference/block-kit/blocks and the pages of each
 * block and element). Counted here in UTF-16 code units, never fewer than characters, so a text within them is
 * within Slack's whichever way Slack counts.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  /** The top-level `text`: Slack truncates at 40,000; a notification shows far less. */
  messageText: 3000,
} as const;

const ELLIPSIS = '…';

/**
 * The message a Slack incoming webhook posts: a header (the job and the rule), the summary with the job's facts, one
 * section per run (newest first, at most {@link MAX_ALERT_RUNS}, the error quoted), the next steps, buttons to the
 * console and Temporal Web, and the alert's id. Every text taken from the alert is escaped (an error cannot mention
 * `<!channel>` or forge a link) and cut to Slack's limits on a whole character.
 */
export function slackMessage(alert: Alert, linker: AlertLinker): SlackMessage {
  const links = jobLinks(linker, alert.job.name);
  const firing = alert.kind === 'firing';
  const title = `${firing ? '🔴' : '✅'} ${alert.job.name}: ${firing ? '' : 'resolved, '}${describeRule(alert.rule)}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: withinLimit(title, SLACK_LIMITS.headerText), emoji: true } },
    {
      type: 'section',
      text: mrkdwn(escapedWithinLimit(alert.summary || describeRule(alert.rule), SLACK_LIMITS.sectionText)),
      fields: [
        field('Job', `<${links.console}|${escapedWithinLimit(alert.job.name, 200)}>`),
        field('Service', escapedWithinLimit(alert.job.service, 200)),
        field('Rule', escapedWithinLimit(describeRule(alert.rule), 200)),
        field('Opened', slackDate(alert.openedAt)),
        ...(alert.resolvedAt ? [field('Resolved', slackDate(alert.resolvedAt))] : []),
      ],
    },
    ...alert.runs.slice(0, MAX_ALERT_RUNS).map((run) => runSection(run, runLinks(linker, run))),
  ];
  if (alert.nextSteps.length > 0) {
    const heading = '*What to do next*\n';
    const steps = alert.nextSteps.map((step) => `• ${step}`).join('\n');
    blocks.push({
      type: 'section',
      text: mrkdwn(heading + escapedWithinLimit(steps, SLACK_LIMITS.sectionText - heading.length)),
    });
  }
  const buttons = [
    button('Open in the console', links.console, 'open-console', firing ? 'primary' : undefined),
    button('Temporal Web', links.temporalWeb, 'open-temporal-web'),
  ].filter((b): b is SlackButton => b !== null);
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(escapedWithinLimit(`scheduler-service alert ${alert.id} (${alert.kind})`, SLACK_LIMITS.contextText)),
    ],
  });
  // escaped too: Slack formats the notification's text as mrkdwn, mentions included
  return { text: escapedWithinLimit(`${title}: ${alert.summary}`, SLACK_LIMITS.messageText), blocks };
}

/** One run: its id linked to the console, status, HTTP status, times, Temporal Web, and its error quoted. */
function runSection(run: AlertRun, links: AlertLinks): SlackBlock {
  const facts = [
    `*<${links.console}|${escapedWithinLimit(run.executionId, 300)}>*`,
    escapedWithinLimit(run.status, 20),
    ...(run.httpStatus === null ? [] : [`HTTP ${run.httpStatus}`]),
    ...(run.scheduledAt ? [`scheduled ${slackDate(run.scheduledAt)}`] : []),
    ...(run.startedAt ? [`started ${slackDate(run.startedAt)}`] : []),
    `<${links.temporalWeb}|Temporal Web>`,
  ].join(' · ');
  // a code block shows the error as written: no mrkdwn inside it; a ``` in the error would end it early
  const fence = '```';
  const budget = SLACK_LIMITS.sectionText - facts.length - 2 * fence.length - 1;
  const error = run.error ? `\n${fence}${escapedWithinLimit(run.error.replaceAll(fence, "'''"), budget)}${fence}` : '';
  return { type: 'section', text: mrkdwn(facts + error) };
}

const mrkdwn = (text: string): SlackMrkdwn => ({ type: 'mrkdwn', text });

const field = (label: string, value: string): SlackMrkdwn => mrkdwn(`*${label}*\n${value}`);

/** A link button, or null for a URL longer than Slack takes (a cut URL would lead elsewhere). */
function button(label: string, url: string, actionId: string, style?: 'primary'): SlackButton | null {
  if (url.length > SLACK_LIMITS.buttonUrl) return null;
  return {
    type: 'button',
    text: { type: 'plain_text', text: withinLimit(label, SLACK_LIMITS.buttonText) },
    url,
    action_id: actionId,
    ...(style ? { style } : {}),
  };
}

/** A time Slack shows in each reader's zone, the ISO text where it cannot (https://docs.slack.dev/messaging/formatting-message-text#date-formatting). */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  const text = escapedWithinLimit(iso, 40);
  return Number.isFinite(ms) ? `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${text}>` : text;
}

/**
 * `text` as `render` writes it, within `max` UTF-16 units: when longer, cut on a whole character (never inside what
 * `render` made of one) and ended with `…`. Well-formed whatever the input.
 */
function withinLimit(text: string, max: number, render: (s: string) => string = (s) => s): string {
  const whole = wellFormed(text);
  const all = render(whole);
  if (all.length <= max) return all;
  let out = '';
  for (const char of whole) {
    const piece = render(char);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeMrkdwn = (s: string) => s.replace(/[&<>]/g, (c) => ESCAPES[c]!);

/** `text` escaped for mrkdwn (https://docs.slack.dev/messaging/formatting-message-text#escaping), {@link withinLimit} to `max`. */
const escapedWithinLimit = (text: string, max: number) => withinLimit(text, max, escapeMrkdwn);
