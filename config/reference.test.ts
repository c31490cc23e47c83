import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Env } from './config';
import { configurationReference } from './reference';

const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** The configuration docs are the code's own: generated from the schema loadConfig parses with. */
describe('configuration reference', () => {
  test('docs/configuration.md is what the config schema generates (npm run docs:config)', () => {
    expect(read('docs/configuration.md')).toBe(configurationReference());
  });

  test('every variable has a description, and .env.example shows every one', () => {
    const example = read('.env.example');
    const names = Object.keys(Env.properties);
    const undescribed = names.filter(
      (name) => !(Env.properties[name as keyof typeof Env.properties].description ?? ''),
    );
    expect(undescribed).toEqual([]);
    expect(names.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example))).toEqual([]);
  });
});
