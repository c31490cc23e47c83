import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildWorkflowBundle } from '../worker/workflow-bundle';

/** Bundles the workflows once at build time; the worker loads the file instead of bundling at every start. */
async function main() {
  const bundle = await buildWorkflowBundle();
  const out = path.resolve(__dirname, '..', 'workflow-bundle.js');
  await writeFile(out, bundle);
  console.log(`workflow bundle: ${path.relative(process.cwd(), out)} (${Math.round(bundle.length / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
