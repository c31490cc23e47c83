import { OptionalKind, type TSchema } from '@sinclair/typebox';
import { choicesOf, Env } from './config';

const HEADER = `# Configuration reference

Generated from \`config/config.ts\` by \`npm run docs:config\`; a unit test fails when this file and the code disagree.
Every variable is read once, at start. An empty variable counts as unset. A bad value stops the start with one line
naming the variable (secret values are never echoed).

| variable | default | accepted | meaning |
| --- | --- | --- | --- |
`;

const TARGETS = `| \`<NAME>_SERVICE_URL\` | — | an http(s) base URL without query, fragment or credentials | A target service: \`EMAIL_SERVICE_URL\` → \`email-service\`, \`USER_PROFILE_SERVICE_URL\` → \`user-profile-service\`. Calls go to this base URL plus the job's endpoint, nowhere else. |
`;

/** docs/configuration.md: one row per variable of {@link Env}, in declaration order. */
export function configurationReference(): string {
  const rows = Object.entries(Env.properties as Record<string, TSchema>).map(([name, schema]) => {
    const fallback =
      schema.default === undefined ? (OptionalKind in schema ? 'unset' : '—') : `\`${String(schema.default)}\``;
    return `| \`${name}\` | ${fallback} | ${accepted(schema)} | ${String(schema.description ?? '')} |\n`;
  });
  return `${HEADER}${rows.join('')}${TARGETS}`;
}

function accepted(schema: TSchema): string {
  if (typeof schema.accepted === 'string') return schema.accepted; // a pattern said in words
  const choices = choicesOf(schema);
  if (choices) return choices.map((c) => `\`${c}\``).join(', ');
  if (schema.type === 'integer') return `integer ${String(schema.minimum)}–${String(schema.maximum)}`;
  if (schema.pattern === '^https?://') return 'an http(s) URL';
  if (typeof schema.pattern === 'string') return `\`${schema.pattern}\``;
  if (typeof schema.minLength === 'number' && schema.minLength > 1) return `text, ≥ ${schema.minLength} characters`;
  return 'text';
}
