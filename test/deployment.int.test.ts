import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse, parseAllDocuments } from 'yaml';
import { Env, loadConfig } from '../config/config';
import { serviceNameOfVariable } from '../jobs/services';
import { startTestScheduler, type TestScheduler } from './support/scheduler';

const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface K8sObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
};

/** Variables the runtime reads that are not ours: Node's and glibc's. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS', 'MALLOC_ARENA_MAX']);
const isOurs = (name: string) => name in Env.properties || serviceNameOfVariable(name) !== null;
/** The example Secret's `<placeholders>` made into distinct values of a plausible shape. */
let placeholders = 0;
const filled = (value: string) =>
  value.replace(/<[^>]*>/g, () => `placeholder-${String(++placeholders).padStart(8, '0')}`);

/**
 * The deployment files agree with the code: `kustomize build k8s/base` (kustomize pinned, from the Go module proxy)
 * renders objects whose ports, probes and environment are what the service serves and reads; docker-compose.yml
 * follows the Compose Specification's schema (compose-go's, what `docker compose` uses); the workflows parse.
 */
describe('deployment files', () => {
  let objects: K8sObject[];
  const find = (kind: string, name?: string) => {
    const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    if (!found) throw new Error(`kustomize build renders no ${kind} ${name ?? ''}`);
    return found;
  };
  const container = () => find('Deployment', 'scheduler-service').spec.template.spec.containers[0];

  beforeAll(() => {
    const kustomize = path.join(root, '.tools/bin/kustomize');
    if (!existsSync(kustomize)) throw new Error('.tools/bin/kustomize is missing: run npm install (it needs Go)');
    const rendered = execFileSync(kustomize, ['build', 'k8s/base'], { cwd: root }).toString();
    objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);
  });

  test('kustomize renders the seed objects', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'ConfigMap/stumbleable-config',
        'Deployment/scheduler-service',
        'Service/scheduler-service',
        'Ingress/scheduler-service',
        'PodDisruptionBudget/scheduler-service',
      ]),
    );
    // the seed's requests and limits
    expect(container().resources).toEqual({
      requests: { memory: '128Mi', cpu: '100m' },
      limits: { memory: '256Mi', cpu: '200m' },
    });
  });

  test("ports: the container's is the code's PORT and the image's EXPOSE; the Service maps 7007 to it; the Ingress and ConfigMap point at 7007", () => {
    const port = container().ports.find((p: { name: string }) => p.name === 'http');
    expect(port.containerPort).toBe(Env.properties.PORT.default);
    expect(read('Dockerfile')).toMatch(new RegExp(`^EXPOSE ${port.containerPort}$`, 'm'));
    const [servicePort] = find('Service', 'scheduler-service').spec.ports;
    expect(servicePort).toMatchObject({ port: 7007 });
    expect([port.name, port.containerPort]).toContain(servicePort.targetPort);
    const route = find('Ingress', 'scheduler-service').spec.rules[0].http.paths[0];
    expect(route).toMatchObject({
      path: '/scheduler(/|$)(.*)',
      backend: { service: { name: 'scheduler-service', port: { number: 7007 } } },
    });
    expect(find('ConfigMap', 'stumbleable-config').data).toMatchObject({
      SCHEDULER_PORT: '7007',
      SCHEDULER_API_URL: 'http://scheduler-service:7007',
      NEXT_PUBLIC_SCHEDULER_API_URL: 'https://api.stumbleable.com/scheduler',
    });
  });

  test('every variable the Deployment sets is one the code reads, and the code accepts the rendered environment', () => {
    const vars = container().env as EnvVar[];
    expect(vars.map((v) => v.name).filter((name) => !isOurs(name) && !RUNTIME_VARIABLES.has(name))).toEqual([]);
    const configMap = find('ConfigMap', 'stumbleable-config').data!;
    const secret = parse(read('k8s/base/secret.example.yaml')) as K8sObject;
    const env: Record<string, string> = {};
    for (const v of vars) {
      const ref = v.valueFrom?.configMapKeyRef ?? v.valueFrom?.secretKeyRef;
      const value = ref ? (v.valueFrom?.configMapKeyRef ? configMap : secret.stringData!)[ref.key] : v.value;
      if (value !== undefined) env[v.name] = filled(value);
    }
    const config = loadConfig(env); // throws with the variable's name if anything is off
    expect([...config.services.keys()].sort()).toEqual([
      'crawler-service',
      'discovery-service',
      'email-service',
      'interaction-service',
    ]);
    expect(config.identity.open).toBe(false);
    expect(config.temporal.address).toBe('temporal-frontend.temporal:7233');
  });

  describe('on a running instance', () => {
    let scheduler: TestScheduler;
    beforeAll(async () => (scheduler = await startTestScheduler()));
    afterAll(() => scheduler.stop());

    test('the probe and scrape paths answer', async () => {
      const c = container();
      const annotations = find('Deployment', 'scheduler-service').spec.template.metadata.annotations;
      const paths = [c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, annotations['prometheus.io/path']];
      expect(paths).toEqual(['/health', '/ready', '/metrics']);
      for (const p of paths) expect([p, (await fetch(`${scheduler.url}${p}`)).status]).toEqual([p, 200]);
    });

    test("/metrics serves the per-job series the PrometheusRule watches, read from this instance's mirror", async () => {
      const before = Date.now() / 1000;
      const text = await (await fetch(`${scheduler.url}/metrics`)).text();
      const readAt = Number(/^scheduler_job_metrics_read_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
      expect(readAt).toBeGreaterThanOrEqual(Math.floor(before) - 5);
      expect(text).toMatch(/^scheduler_job_metrics_read_failures_total 0$/m);
      for (const name of ['last_success_timestamp_seconds', 'consecutive_failures', 'occurrences_missed_total']) {
        expect(text).toContain(`# TYPE scheduler_job_${name} `);
      }
    });
  });

  test('docker-compose.yml follows the Compose Specification, and every build context, Dockerfile and file it names exists', () => {
    const schemaFile = path.join(root, '.tools/compose-spec.json');
    if (!existsSync(schemaFile)) throw new Error('.tools/compose-spec.json is missing: run npm install (it needs Go)');
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(
      JSON.parse(readFileSync(schemaFile, 'utf8')),
    );
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<
        string,
        { build?: { context: string; dockerfile?: string }; volumes?: unknown[]; environment?: Record<string, string> }
      >;
    };
    expect([validate(compose), validate.errors ?? []]).toEqual([true, []]);
    const missing: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) {
        const context = path.resolve(root, service.build.context);
        if (!existsSync(context)) missing.push(`${name}: build context ${service.build.context}`);
        const dockerfile = path.resolve(context, service.build.dockerfile ?? 'Dockerfile');
        if (!existsSync(dockerfile)) missing.push(`${name}: ${path.relative(root, dockerfile)}`);
      }
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume as { source?: string }).source;
        if (source?.startsWith('.') && !existsSync(path.resolve(root, source))) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
    // the scheduler's environment there is one the code accepts
    const env = compose.services['scheduler-service']!.environment!;
    expect(Object.keys(env).filter((name) => !isOurs(name))).toEqual([]);
    expect(loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))).identity.open).toBe(
      false,
    );
  });

  test("the GitHub workflows parse, test pull requests, and keep the seed's rollout and smoke test", () => {
    const deploy = read('.github/workflows/deploy-aks.yml');
    const ci = parse(read('.github/workflows/ci.yml')) as { on: Record<string, unknown> };
    expect(Object.keys(ci.on)).toContain('pull_request');
    const workflow = parse(deploy) as { jobs: Record<string, unknown> };
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(1);
    expect(deploy).toContain(
      'kubectl rollout status deployment/scheduler-service -n ${{ env.NAMESPACE }} --timeout=5m',
    );
    expect(deploy).toContain('NEXT_PUBLIC_SCHEDULER_API_URL=https://api.stumbleable.com/scheduler');
    expect(deploy).toMatch(/name: scheduler\n\s+context: [^\n]+\n\s+dockerfile: [^\n]*Dockerfile/);
    const smoke = deploy.split('\n').filter((line) => line.includes('scheduler-service:7007/health'));
    expect(smoke.length).toBeGreaterThan(0);
    expect(smoke.join('\n')).not.toContain('|| true');
  });
});
