import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configurationReference } from '../config/reference';

/** `npm run docs:config`: regenerates docs/configuration.md from the config schema. */
const target = path.resolve(__dirname, '..', '..', 'docs', 'configuration.md');
writeFileSync(target, configurationReference());
console.log(`wrote ${target}`);
