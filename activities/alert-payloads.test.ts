import { defaultNextSteps, type Alert, type AlertRun } from '../jobs/alert';
import { createTemporalLinks } from '../temporal/links';
import { slackMessageProblems } from '../test/support/slack-block-kit';
import { alertPayload, SLACK_LIMITS, slackMessage, type SlackBlock, type SlackMessage } from './alert-payloads';

const linker = {
  consoleUrl: 'https://api.stumbleable.com/scheduler/admin/',
  temporal: createTemporalLinks('https://temporal.stumbleable.com', 'default'),
};

const run = (n: number, overrides: Partial<AlertRun> = {}): AlertRun => ({
  executionId: `job-run-weekly-digest-2026-11-${String(30 - n).padStart(2, '0')}T08:00:00Z`,
  status: 'failed',
  scheduledAt: `2026-11-${String(30 - n).padStart(2, '0')}T08:00:00.000Z`,
  startedAt: `2026-11-${String(30 - n).padStart(2, '0')}T08:00:01.000Z`,
  error: 'POST /api/jobs/weekly-digest answered HTTP 503: upstream unavailable',
  httpStatus: 503,
  ...overrides,
});

const alert = (overrides: Partial<Alert> = {}): Alert => ({
  id: 'weekly-digest/consecutive_failures/2026-11-30T08:00:05.000Z',
  kind: 'firing',
  job: { name: 'weekly-digest', service: 'email-service' },
  rule: { type: 'consecutive_failures', count: 3 },
  summary: 'weekly-digest failed 3 times in a row; the last run answered HTTP 503.',
  openedAt: '2026-11-30T08:00:05.000Z',
  resolvedAt: null,
  runs: [run(0), run(1), run(2)],
  nextSteps: defaultNextSteps({ type: 'consecutive_failures', count: 3 }, 'firing'),
  ...overrides,
});

/** Every text a person reads in a Slack message, block by block. */
function textsOf(message: SlackMessage): string[] {
  const of = (block: SlackBlock): string[] => {
    switch (block.type) {
      case 'header':
        return [block.text.text];
      case 'section':
        return [block.text.text, ...(block.fields ?? []).map((f) => f.text)];
      case 'context':
        return block.elements.map((e) => e.text);
      case 'actions':
        return block.elements.flatMap((e) => [e.text.text, e.url]);
    }
  };
  return [message.text, ...message.blocks.flatMap(of)];
}

describe('the generic webhook body', () => {
  test('is the alert, versioned, with its key and the links of the job and of each run', () => {
    const payload = alertPayload(alert(), 'the-key', linker);
    expect(payload).toEqual({
      version: 1,
      idempotencyKey: 'the-key',
      ...alert(),
      links: {
        console: 'https://api.stumbleable.com/scheduler/admin/#/jobs/weekly-digest',
        temporalWeb: 'https://temporal.stumbleable.com/namespaces/default/schedules/job-weekly-digest',
      },
      runs: alert().runs.map((r) => ({
        ...r,
        links: {
          console: `https://api.stumbleable.com/scheduler/admin/#/executions/${encodeURIComponent(r.executionId)}`,
          temporalWeb: `https://temporal.stumbleable.com/namespaces/default/workflows/${encodeURIComponent(r.executionId)}/history`,
        },
      })),
    });
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload); // plain JSON
  });

  test('carries at most 5 runs, the first ones given (newest first)', () => {
    const runs = Array.from({ length: 8 }, (_, i) => run(i));
    const payload = alertPayload(alert({ runs }), 'k', linker);
    expect(payload.runs.map((r) => r.executionId)).toEqual(runs.slice(0, 5).map((r) => r.executionId));
  });
});

describe('the Slack message', () => {
  test("a firing alert is a message of Slack's documented block format: header, facts, runs, next steps, buttons", () => {
    const message = slackMessage(alert(), linker);
    expect(slackMessageProblems(message)).toEqual([]);
    expect(message.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'section',
      'section',
      'actions',
      'context',
    ]);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 weekly-digest: 3 failed runs in a row', emoji: true },
    });
    expect(message.text).toBe(`🔴 weekly-digest: 3 failed runs in a row: ${alert().summary}`);
    const texts = textsOf(message).join('\n');
    expect(texts).toContain('upstream unavailable'); // the runs' errors
    expect(texts).toContain('HTTP 503');
    expect(texts).toContain('*What to do next*');
    expect(texts).toContain(alert().id);
    const actions = message.blocks.find((b) => b.type === 'actions');
    expect(actions).toEqual({
      type: 'actions',
      elements: [
        expect.objectContaining({
          text: { type: 'plain_text', text: 'Open in the console' },
          url: 'https://api.stumbleable.com/scheduler/admin/#/jobs/weekly-digest',
          style: 'primary',
        }),
        expect.objectContaining({
          text: { type: 'plain_text', text: 'Temporal Web' },
          url: 'https://temporal.stumbleable.com/namespaces/default/schedules/job-weekly-digest',
        }),
      ],
    });
  });

  test('a resolved alert says so, with when, and no next steps', () => {
    const message = slackMessage(
      alert({
        kind: 'resolved',
        resolvedAt: '2026-11-30T09:00:00.000Z',
        runs: [run(0, { status: 'succeeded', error: null, httpStatus: 200 })],
        nextSteps: [],
      }),
      linker,
    );
    expect(slackMessageProblems(message)).toEqual([]);
    expect(message.blocks[0]).toMatchObject({ text: { text: '✅ weekly-digest: resolved, 3 failed runs in a row' } });
    expect(textsOf(message).join('\n')).toContain('*Resolved*\n<!date^1796029200^');
    expect(textsOf(message).join('\n')).not.toContain('What to do next');
  });

  test('text from the alert cannot ping the channel or forge a link: & < > are escaped', () => {
    const hostile = 'failed: <!channel> see <https://evil.example|the fix> & <@U123>';
    const message = slackMessage(alert({ summary: hostile, runs: [run(0, { error: hostile })] }), linker);
    const texts = textsOf(message);
    for (const text of texts) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://evil.example');
      expect(text).not.toContain('<@U123>');
    }
    expect(texts.join('\n')).toContain('&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; &lt;@U123&gt;');
  });

  test("huge texts are cut to Slack's limits on whole characters, and the message still validates", () => {
    const long = (unit: string) => unit.repeat(10_000);
    const message = slackMessage(
      alert({
        job: { name: 'j'.repeat(63), service: 'email-service' },
        summary: long('😀'),
        runs: Array.from({ length: 12 }, (_, i) => run(i, { error: long(i % 2 ? '<&>' : 'é😀') })),
        nextSteps: [long('a'), long('😀'), 'last'],
      }),
      linker,
    );
    expect(slackMessageProblems(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.blocks.filter((b) => b.type === 'section')).toHaveLength(1 + 5 + 1); // facts, 5 runs, next steps
    for (const text of textsOf(message)) {
      expect(text.isWellFormed()).toBe(true);
      expect(text).not.toMatch(/&(a|am|amp|l|lt|g|gt)?…/); // never cut inside an escape
    }
    const header = message.blocks[0]!;
    expect(header.type === 'header' && header.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(message.text.endsWith('…')).toBe(true);
  });

  test('an alert with no summary, runs or steps is still a message Slack takes (no empty text)', () => {
    const message = slackMessage(alert({ summary: '', runs: [], nextSteps: [] }), linker);
    expect(slackMessageProblems(message)).toEqual([]);
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions', 'context']);
  });

  test('the schema refuses what Slack refuses, so a message that passes it is one Slack takes', () => {
    const good = slackMessage(alert(), linker);
    const header = { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } };
    const section = { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } };
    const emptySection = { type: 'section' };
    const button = { type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) }, url: 'https://x.example' };
    const longUrl = {
      type: 'button',
      text: { type: 'plain_text', text: 'b' },
      url: `https://x.example/${'u'.repeat(3000)}`,
    };
    const fields = { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) };
    const mrkdwnHeader = { type: 'header', text: { type: 'mrkdwn', text: 'h' } };
    for (const bad of [
      { ...good, blocks: [header] },
      { ...good, blocks: [section] },
      { ...good, blocks: [emptySection] },
      { ...good, blocks: [{ type: 'actions', elements: [button] }] },
      { ...good, blocks: [{ type: 'actions', elements: [longUrl] }] },
      { ...good, blocks: [fields] },
      { ...good, blocks: [mrkdwnHeader] },
      { ...good, blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      {
        ...good,
        blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }],
      },
      { ...good, blocks: [{ type: 'section', text: { type: 'markdown', text: 'x' } }] },
    ]) {
      expect(slackMessageProblems(bad)).not.toEqual([]);
    }
  });
});
