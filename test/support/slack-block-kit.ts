import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Slack's documented Block Kit format for a message, as a JSON schema: the blocks an incoming webhook accepts
 * (header, section, context, actions, divider), their text objects and link buttons, with the documented limits.
 * Written from Slack's reference (npm has no maintained runtime schema; `@slack/types` is types only, and Slack's own
 * validator is the `blocks.validate` Web API method, off this machine's reach):
 * - message: https://docs.slack.dev/messaging/#payloads (at most 50 blocks),
 * - blocks: https://docs.slack.dev/reference/block-kit/blocks/{header,section,context,actions,divider}-block,
 * - text object: https://docs.slack.dev/reference/block-kit/composition-objects/text-object,
 * - button: https://docs.slack.dev/reference/block-kit/block-elements/button-element.
 * Strict where Slack is (no unknown fields; lengths in UTF-16 code units, never fewer than Slack's characters).
 */

const closed = { additionalProperties: false } as const;
const blockId = Type.Optional(Type.String({ minLength: 1, maxLength: 255 }));

/** A text object of `type`, its text 1 to `maxLength` characters; `extra` is the flag only that type has. */
const textOf = <T extends 'plain_text' | 'mrkdwn'>(type: T, extra: 'emoji' | 'verbatim', maxLength: number) =>
  Type.Object(
    {
      type: Type.Literal(type),
      text: Type.String({ minLength: 1, maxLength }),
      [extra]: Type.Optional(Type.Boolean()),
    },
    closed,
  );
const plainText = (maxLength = 3000) => textOf('plain_text', 'emoji', maxLength);
const mrkdwn = (maxLength = 3000) => textOf('mrkdwn', 'verbatim', maxLength);
const textObject = (maxLength = 3000) => Type.Union([plainText(maxLength), mrkdwn(maxLength)]);

const Button = Type.Object(
  {
    type: Type.Literal('button'),
    text: plainText(75),
    action_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 3000, pattern: '^https?://' })),
    value: Type.Optional(Type.String({ maxLength: 2000 })),
    style: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('danger')])),
    accessibility_label: Type.Optional(Type.String({ maxLength: 75 })),
  },
  closed,
);

const Header = Type.Object({ type: Type.Literal('header'), text: plainText(150), block_id: blockId }, closed);

const sectionWith = (required: 'text' | 'fields') => {
  const text = textObject(3000);
  const fields = Type.Array(textObject(2000), { minItems: 1, maxItems: 10 });
  return Type.Object(
    {
      type: Type.Literal('section'),
      text: required === 'text' ? text : Type.Optional(text),
      fields: required === 'fields' ? fields : Type.Optional(fields),
      block_id: blockId,
      accessory: Type.Optional(Button),
    },
    closed,
  );
};
/** A section needs its text, or its fields, or both. */
const Section = Type.Union([sectionWith('text'), sectionWith('fields')]);

const Context = Type.Object(
  {
    type: Type.Literal('context'),
    elements: Type.Array(textObject(3000), { minItems: 1, maxItems: 10 }),
    block_id: blockId,
  },
  closed,
);

const Actions = Type.Object(
  { type: Type.Literal('actions'), elements: Type.Array(Button, { minItems: 1, maxItems: 25 }), block_id: blockId },
  closed,
);

const Divider = Type.Object({ type: Type.Literal('divider'), block_id: blockId }, closed);

const SlackMessageSchema = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 40_000 }),
    blocks: Type.Array(Type.Union([Header, Section, Context, Actions, Divider]), { minItems: 1, maxItems: 50 }),
  },
  closed,
);

/** What is wrong with `message` as a Slack message (path: message), none when it is one Slack takes. */
export function slackMessageProblems(message: unknown, schema: TSchema = SlackMessageSchema): string[] {
  return [...Value.Errors(schema, message)].map((e) => `${e.path}: ${e.message}`);
}
