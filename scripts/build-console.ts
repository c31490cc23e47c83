import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'dist/console');

/**
 * Builds the admin console (console/) into dist/console: index.html, one minified script and one stylesheet, named
 * by their content hash, each with `.gz` and `.br` twins for @fastify/static's `preCompressed`. Prints the first
 * load's size, gzip.
 */
async function main() {
  const result = await build({
    entryPoints: [path.join(ROOT, 'console/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: OUT,
    entryNames: 'app-[hash]',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`console build: expected a .js and a .css, got ${outputs.join(', ')}`);
  const html = (await readFile(path.join(ROOT, 'console/index.html'), 'utf8'))
    .replace('{{script}}', script)
    .replace('{{style}}', style);
  await writeFile(path.join(OUT, 'index.html'), html);
  let gzipTotal = 0;
  for (const file of ['index.html', script, style]) {
    const content = await readFile(path.join(OUT, file));
    const gz = gzipSync(content, { level: 9 });
    gzipTotal += gz.length;
    await writeFile(path.join(OUT, `${file}.gz`), gz);
    await writeFile(
      path.join(OUT, `${file}.br`),
      brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
  console.log(`console: dist/console (${script}, ${style}; first load ${(gzipTotal / 1024).toFixed(1)} KiB gzip)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
