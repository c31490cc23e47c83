import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const CLIENT_DIR = path.join(ROOT, 'client');

/** Every file under `dir`, as paths relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();

/** client/ as the package a service installs: what `npm pack` puts in the tarball, and what it can load. */
describe('client/ packed with npm pack (@scheduler-service/client)', () => {
  let dir: string;
  let unpacked: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'client-pack-'));
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: CLIENT_DIR })
      .toString()
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('tar', ['xzf', path.join(dir, tarball), '-C', dir]);
    unpacked = path.join(dir, 'package');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('holds built JavaScript and its declarations, and nothing else: no sources, no tests', () => {
    const files = filesUnder(unpacked);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(files).toEqual(expect.arrayContaining(['dist/admin.js', 'dist/admin.d.ts']));
    const rest = files.filter((file) => file !== 'package.json' && file !== 'README.md');
    expect(rest.filter((file) => !/^dist\/[a-z-]+(\.js|\.d\.ts)$/.test(file))).toEqual([]);
    expect(rest.filter((file) => file.includes('test'))).toEqual([]);
    // each built module has its declarations
    const modules = rest.filter((file) => file.endsWith('.js')).map((file) => file.replace(/\.js$/, ''));
    expect(rest.filter((file) => file.endsWith('.d.ts')).map((file) => file.replace(/\.d\.ts$/, ''))).toEqual(modules);
  });

  test('its manifest points at files it holds; it needs fastify-plugin, and fastify only for the plugin', () => {
    const manifest = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as {
      name: string;
      main: string;
      types: string;
      exports: Record<string, string | Record<string, string>>;
      dependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    expect(manifest.name).toBe('@scheduler-service/client');
    const targets = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
    ];
    const files = filesUnder(unpacked);
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).toEqual([]);
    expect(Object.keys(manifest.dependencies)).toEqual(['fastify-plugin']);
    expect(manifest.peerDependenciesMeta.fastify).toEqual({ optional: true });
  });

  test('its admin entry loads on its own and bundles for a browser; the Node entry does not', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the packed CommonJS, as a service loads it
    const admin = require(path.join(unpacked, 'dist/admin.js')) as Record<string, unknown>;
    expect(Object.keys(admin).sort()).toEqual(['SchedulerRequestError', 'createSchedulerAdmin']);
    const bundle = (entry: string) =>
      build({
        entryPoints: [path.join(unpacked, entry)],
        bundle: true,
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      });
    await expect(bundle('dist/admin.js')).resolves.toMatchObject({ errors: [] });
    // the check has teeth: the Node entry's signature verifier needs node:crypto
    await expect(bundle('dist/index.js')).rejects.toThrow(/node:crypto/);
  });

  test("the example service's lock names no integrity for the packed file (npm would install a cached older copy)", () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'examples/email-service/package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string; integrity?: string }>;
    };
    const entry = lock.packages['node_modules/@scheduler-service/client'];
    expect(entry?.resolved).toMatch(/^file:\.\.\/\.\.\/client\/scheduler-service-client-[\d.]+\.tgz$/);
    expect(entry?.integrity).toBeUndefined();
  });
});
