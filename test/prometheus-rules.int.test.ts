import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseAllDocuments, stringify } from 'yaml';
import { createObservability } from '../observability/observability';
import { createMemoryStore } from '../store/memory';

const root = path.resolve(__dirname, '..');
const COMPONENT = 'k8s/components/prometheus';
const OVERLAY = 'k8s/overlays/prometheus-operator';

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

/** `.tools/bin/<name>` (scripts/install-tools.sh builds it from the Go module proxy), or a clear failure. */
function tool(name: string): string {
  const file = path.join(root, '.tools/bin', name);
  if (!existsSync(file)) throw new Error(`.tools/bin/${name} is missing: run npm install (it needs Go)`);
  return file;
}

/**
 * The Prometheus Operator overlay renders the PodMonitor and the PrometheusRule, and the rule's `spec`, taken out
 * as a plain rule file, passes `promtool check rules` and the alerts' unit tests (`promtool test rules` with
 * k8s/components/prometheus/prometheus-rules.test.yaml); its expressions name only series the service exposes.
 */
describe('the PrometheusRule', () => {
  let objects: K8sObject[];
  let dir: string;
  let groups: RuleGroup[];
  beforeAll(() => {
    const rendered = execFileSync(tool('kustomize'), ['build', OVERLAY], { cwd: root }).toString();
    objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);
    const rule = objects.find((o) => o.kind === 'PrometheusRule');
    if (!rule) throw new Error(`kustomize build ${OVERLAY} renders no PrometheusRule`);
    groups = rule.spec.groups as RuleGroup[];
    dir = mkdtempSync(path.join(tmpdir(), 'prometheus-rules-'));
    writeFileSync(path.join(dir, 'prometheus-rules.yaml'), stringify(rule.spec));
    copyFileSync(
      path.join(root, COMPONENT, 'prometheus-rules.test.yaml'),
      path.join(dir, 'prometheus-rules.test.yaml'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** promtool's exit code and output. */
  const promtool = (...args: string[]) => {
    const run = spawnSync(tool('promtool'), args, { cwd: dir, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  };

  test('the overlay adds a PodMonitor and the PrometheusRule to the base, in its namespace', () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/scheduler-service',
        'PodMonitor/scheduler-service',
        'PrometheusRule/scheduler-service',
      ]),
    );
    const monitor = objects.find((o) => o.kind === 'PodMonitor')!;
    expect(monitor.metadata.namespace).toBe('stumbleable');
    expect(monitor.spec).toMatchObject({
      jobLabel: 'app',
      selector: { matchLabels: { app: 'scheduler-service' } },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics' }],
    });
  });

  test('promtool check rules accepts them', () => {
    const { status, output } = promtool('check', 'rules', 'prometheus-rules.yaml');
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS: 7 rules found') });
  });

  test('promtool test rules: each alert fires on its input and stays silent on a neighbour that is fine', () => {
    const { status, output } = promtool('test', 'rules', 'prometheus-rules.test.yaml');
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    // every alert has a case
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
    const cases = spawnSync('grep', ['-ho', 'alertname: [A-Za-z]*', 'prometheus-rules.test.yaml'], {
      cwd: dir,
      encoding: 'utf8',
    }).stdout;
    expect(new Set(alerts)).toEqual(
      new Set(
        cases
          .split('\n')
          .filter(Boolean)
          .map((l) => l.slice('alertname: '.length)),
      ),
    );
  });

  test('promtool test rules fails when an alert does not fire as its test expects', () => {
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) =>
        r.alert === 'SchedulerJobFailing' ? { ...r, expr: r.expr.replace('>= 3', '>= 5') } : r,
      ),
    }));
    writeFileSync(path.join(dir, 'prometheus-rules.yaml'), stringify({ groups: broken }));
    try {
      const { status, output } = promtool('test', 'rules', 'prometheus-rules.test.yaml');
      expect(status).toBe(1);
      expect(output).toContain('alertname: SchedulerJobFailing');
    } finally {
      writeFileSync(path.join(dir, 'prometheus-rules.yaml'), stringify({ groups }));
    }
  });

  test("their expressions name only series /metrics serves (and Prometheus' own `up`)", async () => {
    const observability = createObservability({ log: pino({ level: 'silent' }), store: createMemoryStore() });
    const served = new Set(
      (await observability.render()).body
        .split('\n')
        .flatMap((l) => (l.startsWith('# TYPE ') ? [l.split(' ')[2]!] : [])),
    );
    const named = groups
      .flatMap((g) => g.rules.map((r) => r.expr))
      .flatMap((expr) => expr.match(/\b(scheduler_[a-z_]+|up)\b/g) ?? []);
    expect(named.length).toBeGreaterThan(6);
    expect([...new Set(named)].filter((name) => name !== 'up' && !served.has(name))).toEqual([]);
  });
});
