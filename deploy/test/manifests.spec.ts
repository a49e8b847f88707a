import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { parse, parseAllDocuments } from 'yaml';
import { GatewayEnv, GenerationWorkerEnv, loadEnv, RenderWorkerEnv, WebhookWorkerEnv, WorkerEnv } from '@flowsmith/config';
import { QueueName, RENDER_BUDGET_MS } from '@flowsmith/contracts';
import { bullPrefix, startHealthServer } from '@flowsmith/queue';
import { HealthController } from '../../apps/gateway/src/health/health.controller';
import { OPERATIONS_PATHS } from '../../apps/gateway/src/operations/unprefixed-paths';

// Validates deploy/kubernetes in CI: every document against the Kubernetes (and KEDA) OpenAPI
// schemas, the kustomization against the files, and the manifests against what the code
// actually serves and reads (ports, probe paths, env variables, BullMQ key names).

const DIR = resolve(__dirname, '../kubernetes');
const VALIDATOR = resolve(__dirname, 'validate-schemas.mjs');
/** Files kept beside the base on purpose but not in it (deploy/README.md says how to use them). */
const ALTERNATIVES = ['hpa-prometheus.yaml'];
/** Variables the containers get that are not in libs/config's env classes, and who reads them. */
const NOT_APP_ENV: Record<string, string> = {
  NODE_OPTIONS: 'node',
  HOME: 'Chromium, fontconfig, the JVM, the Prisma CLI',
  CHECKPOINT_DISABLE: 'the Prisma CLI',
  JITI_FS_CACHE: 'the Prisma CLI (jiti loads prisma.config.ts)',
  PRISMA_HIDE_UPDATE_MESSAGE: 'the Prisma CLI',
  REDIS_ADDRESS: "KEDA's redis scaler (addressFromEnv)",
  BULL_BOARD_PASSWORD: 'the queue dashboard',
};
/** Each Deployment and the env schema its process validates at boot. */
const APP_ENV = { gateway: GatewayEnv, 'render-worker': RenderWorkerEnv, 'generation-worker': GenerationWorkerEnv, 'webhook-worker': WebhookWorkerEnv } as const;
/** The queues each worker Deployment consumes (apps/render-worker/src/render.processor.ts: both render queues). */
const WORKER_QUEUES: Record<string, QueueName[]> = {
  'render-worker': [QueueName.Render, QueueName.RenderHeavy, QueueName.RenderBestEffort],
  'generation-worker': [QueueName.Generation],
  'webhook-worker': [QueueName.Webhook],
};
/** The queues whose jobs may carry a BullMQ priority (prioritized, not in the wait list). */
const PRIORITIZED: QueueName[] = [QueueName.RenderBestEffort, QueueName.Generation];

// Loose shapes: the schema check guarantees the structure, these only name what the spec reads.
type Doc = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
interface Loaded { file: string; doc: Doc }

function loadFile(file: string): Loaded[] {
  return parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    const doc = document.toJS() as Doc | null;
    return doc ? [{ file, doc }] : [];
  });
}

/** Runs validate-schemas.mjs (ESM, outside Jest) on the documents; returns the errors by id. */
function validateSchemas(items: { id: string; doc: unknown }[]): Map<string, string | null> {
  const output = execFileSync(process.execPath, [VALIDATOR], { input: JSON.stringify(items), encoding: 'utf8', timeout: 20_000 });
  return new Map((JSON.parse(output) as { id: string; error: string | null }[]).map((result) => [result.id, result.error]));
}

/** A probe's or annotation's port as a number, resolving a named container port. */
function portNumber(container: any, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((candidate: any) => candidate.name === port)?.containerPort;
}

function cpuCores(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

/** What a Deployment must have to be run safely; [] when nothing is missing. */
function deploymentProblems(doc: Doc): string[] {
  const problems: string[] = [];
  const pod = doc.spec?.template?.spec ?? {};
  if (pod.securityContext?.runAsNonRoot !== true) problems.push('pod: runAsNonRoot must be true');
  if (typeof pod.securityContext?.runAsUser !== 'number') problems.push('pod: runAsUser must be numeric (the image names its user)');
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push('pod: seccompProfile must be RuntimeDefault');
  if (typeof pod.terminationGracePeriodSeconds !== 'number') problems.push('pod: terminationGracePeriodSeconds must be set');
  for (const container of pod.containers ?? []) {
    const name = `container ${container.name}`;
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      if (!container[probe]?.httpGet) problems.push(`${name}: ${probe} (httpGet) is missing`);
    }
    for (const side of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (container.resources?.[side]?.[resource] === undefined) problems.push(`${name}: resources.${side}.${resource} is missing`);
      }
    }
    const security = container.securityContext ?? {};
    if (security.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation must be false`);
    if (security.readOnlyRootFilesystem !== true) problems.push(`${name}: readOnlyRootFilesystem must be true`);
    if (!(security.capabilities?.drop ?? []).includes('ALL')) problems.push(`${name}: capabilities must drop ALL`);
  }
  return problems;
}

const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml') || file.endsWith('.yml')).sort();
const kustomization = loadFile('kustomization.yaml')[0].doc as unknown as { resources: string[]; namespace: string; images?: { name: string }[] };
const manifests = files.filter((file) => file !== 'kustomization.yaml').flatMap(loadFile);
const base = manifests.filter((item) => kustomization.resources.includes(item.file)).map((item) => item.doc);
const ofKind = (kind: string, docs: Doc[] = base) => docs.filter((doc) => doc.kind === kind);
const named = (kind: string, name: string, docs: Doc[] = base) => {
  const found = ofKind(kind, docs).find((doc) => doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const configMap = named('ConfigMap', 'flowsmith-config').data ?? {};
const secretExample = manifests.find((item) => item.file === 'secret.example.yaml' && item.doc.kind === 'Secret')?.doc.stringData ?? {};
const containerOf = (deployment: string) => named('Deployment', deployment).spec.template.spec.containers[0];
/** A container's environment as its process would see it, with the example Secret's values. */
function environment(container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef?.name === 'flowsmith-config') Object.assign(env, configMap);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref && secretExample[ref.key] !== undefined) env[variable.name] = secretExample[ref.key];
  }
  return env;
}

// One validator run for every document, plus the two that must fail.
const INVALID_REPLICAS = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'broken' }, spec: { replicas: 'two', selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'a', image: 'a' }] } } } };
const INVALID_TRIGGER = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'broken' }, spec: { scaleTargetRef: { name: 'a' }, triggers: [{ type: 'redis', metadata: { listLength: 10 } }] } };
let schemaErrors: Map<string, string | null>;
beforeAll(() => {
  schemaErrors = validateSchemas([
    ...manifests.map((item, index) => ({ id: `${item.file}#${index}`, doc: item.doc })),
    { id: 'invalid-replicas', doc: INVALID_REPLICAS },
    { id: 'invalid-trigger', doc: INVALID_TRIGGER },
  ]);
});

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('deploy/kubernetes', () => {
  it('lists every manifest in kustomization.yaml, and only files that exist', () => {
    const expected = files.filter((file) => file !== 'kustomization.yaml' && !file.endsWith('.example.yaml') && !ALTERNATIVES.includes(file));
    expect([...kustomization.resources].sort()).toEqual(expected);
    expect(kustomization.resources).not.toContain('secret.example.yaml');
    expect(kustomization.namespace).toBe('flowsmith');
    expect(ofKind('Namespace').map((doc) => doc.metadata.name)).toEqual(['flowsmith']);
    // Every image is overridable with `kustomize edit set image`.
    const images = ofKind('Deployment').concat(ofKind('Job')).flatMap((doc) => doc.spec.template.spec.containers.map((c: any) => c.image.split(':')[0]));
    expect(new Set(images)).toEqual(new Set((kustomization.images ?? []).map((image) => image.name)));
  });

  it('validates every document against the Kubernetes and KEDA schemas', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(15);
    const failures = manifests
      .map((item, index) => ({ where: `${item.file} ${item.doc.kind}/${item.doc.metadata?.name}`, error: schemaErrors.get(`${item.file}#${index}`) }))
      .filter((result) => result.error !== null);
    expect(failures).toEqual([]);
  });

  it('rejects an invalid manifest, so the schema check can fail', () => {
    expect(schemaErrors.get('invalid-replicas')).toMatch(/replicas must be integer/);
    expect(schemaErrors.get('invalid-trigger')).toMatch(/listLength must be string/);
    expect(deploymentProblems(INVALID_REPLICAS as Doc)).toEqual(expect.arrayContaining([
      'container a: livenessProbe (httpGet) is missing',
      'container a: readinessProbe (httpGet) is missing',
      'container a: resources.limits.memory is missing',
    ]));
  });

  it('gives every Deployment probes, requests and limits, and a locked-down security context', () => {
    expect(ofKind('Deployment').map((doc) => doc.metadata.name).sort()).toEqual(Object.keys(APP_ENV).sort());
    for (const deployment of ofKind('Deployment')) expect({ [deployment.metadata.name]: deploymentProblems(deployment) }).toEqual({ [deployment.metadata.name]: [] });
    const job = named('Job', 'migrate');
    expect(job.spec.template.spec.containers[0].command).toEqual(['node_modules/.bin/prisma', 'migrate', 'deploy']);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });

  it("gives each process an environment its own env schema accepts, with no variable it would ignore", () => {
    const exposed = new Set<string>();
    for (const [deployment, schema] of Object.entries(APP_ENV)) {
      const env = environment(containerOf(deployment));
      const loaded = loadEnv(schema as new () => object, env) as Record<string, unknown>;
      Object.keys(loaded).forEach((name) => exposed.add(name));
      const own = containerOf(deployment).env.map((variable: { name: string }) => variable.name);
      // (An empty value, like ANTHROPIC_API_KEY for the offline generator, is unset on purpose.)
      const ignored = own.filter((name: string) => !(name in NOT_APP_ENV) && env[name] !== '' && loaded[name] === undefined);
      expect({ [deployment]: ignored }).toEqual({ [deployment]: [] });
    }
    expect(Object.keys(configMap).filter((name) => !exposed.has(name))).toEqual([]);
    // Every Secret key a manifest needs is in the example (optional ones may be left out of the real one).
    const needed = manifests.flatMap((item) => JSON.stringify(item.doc).match(/"key":"[A-Z_]+"/g) ?? []).map((match) => match.slice(7, -1));
    expect(needed.filter((key) => !(key in secretExample))).toEqual([]);
  });

  it('probes the gateway where it serves /healthz and /readyz, on PORT', () => {
    const gateway = containerOf('gateway');
    const port = loadEnv(GatewayEnv, environment(gateway)).PORT;
    expect(port).toBe(3000);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(portNumber(gateway, gateway[probe].httpGet.port)).toBe(port);
    expect(gateway.livenessProbe.httpGet.path).toBe('/healthz');
    expect(gateway.startupProbe.httpGet.path).toBe('/healthz');
    expect(gateway.readinessProbe.httpGet.path).toBe('/readyz');
    // The routes the gateway's HealthController declares, outside the /api prefix.
    const routes = ['healthz', 'readyz'].map((method) => `/${Reflect.getMetadata(PATH_METADATA, (HealthController.prototype as any)[method])}`);
    expect(routes).toEqual(['/healthz', '/readyz']);
    expect(OPERATIONS_PATHS).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
    const annotations = named('Deployment', 'gateway').spec.template.metadata.annotations;
    expect(annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
    const service = named('Service', 'gateway');
    expect(portNumber(gateway, service.spec.ports[0].targetPort)).toBe(port);
    expect(service.spec.selector).toEqual(named('Deployment', 'gateway').spec.selector.matchLabels);
  });

  it("probes each worker on its HEALTH_PORT, at paths the worker's health listener answers", async () => {
    const server = await startHealthServer(0, async () => ({ redis: 'ok' }));
    try {
      const listening = (server.address() as AddressInfo).port;
      for (const deployment of Object.keys(WORKER_QUEUES)) {
        const container = containerOf(deployment);
        const schema: new () => WorkerEnv = APP_ENV[deployment as 'render-worker' | 'generation-worker' | 'webhook-worker'];
        const healthPort = loadEnv(schema, environment(container)).HEALTH_PORT;
        expect(healthPort).toBeGreaterThan(0);
        expect(portNumber(container, 'metrics')).toBe(healthPort);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          expect(portNumber(container, container[probe].httpGet.port)).toBe(healthPort);
          const response = await fetch(`http://127.0.0.1:${listening}${container[probe].httpGet.path}`);
          expect({ deployment, probe, status: response.status }).toEqual({ deployment, probe, status: 200 });
        }
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(named('Deployment', deployment).spec.template.metadata.annotations).toEqual({
          'prometheus.io/scrape': 'true', 'prometheus.io/port': String(healthPort), 'prometheus.io/path': '/metrics',
        });
        // Prometheus scrapes the same listener.
        expect((await fetch(`http://127.0.0.1:${listening}/metrics`)).status).toBe(200);
      }
    } finally {
      server.close();
    }
  });

  it('gives jobs in hand time to finish, and Chromium the mounts it writes to', () => {
    const grace = (deployment: string) => named('Deployment', deployment).spec.template.spec.terminationGracePeriodSeconds;
    expect(grace('render-worker')).toBeGreaterThanOrEqual((RENDER_BUDGET_MS / 1000) * 2);
    const generation = loadEnv(GenerationWorkerEnv, environment(containerOf('generation-worker')));
    expect(grace('generation-worker')).toBeGreaterThanOrEqual(generation.ANTHROPIC_TIMEOUT_MS / 1000);
    expect(grace('gateway')).toBeGreaterThanOrEqual(RENDER_BUDGET_MS / 1000);
    expect(grace('webhook-worker')).toBeGreaterThanOrEqual(loadEnv(WebhookWorkerEnv, environment(containerOf('webhook-worker'))).WEBHOOK_TIMEOUT_MS / 1000);

    const render = named('Deployment', 'render-worker').spec.template.spec;
    const mounts = Object.fromEntries(render.containers[0].volumeMounts.map((mount: any) => [mount.mountPath, mount.name]));
    const volume = (name: string) => render.volumes.find((candidate: any) => candidate.name === name);
    expect(volume(mounts['/tmp']).emptyDir).toBeDefined();
    expect(volume(mounts['/dev/shm']).emptyDir.medium).toBe('Memory');
    // Warm pages must not follow the node's core count (os.availableParallelism ignores CPU limits).
    const pages = loadEnv(RenderWorkerEnv, environment(render.containers[0])).RENDER_PAGES;
    expect(pages).toBe(cpuCores(render.containers[0].resources.limits.cpu));
  });

  it("scales each worker on the BullMQ wait list our code writes to", () => {
    const prefix = bullPrefix(configMap.REDIS_PREFIX);
    const scaled = ofKind('ScaledObject');
    expect(scaled.map((doc) => doc.spec.scaleTargetRef.name).sort()).toEqual(Object.keys(WORKER_QUEUES).sort());
    for (const doc of scaled) {
      const deployment = doc.spec.scaleTargetRef.name as string;
      const redis = doc.spec.triggers.filter((trigger: any) => trigger.type === 'redis');
      // BullMQ's QueueKeys: `${prefix}:${queue}:wait`, a LIST that KEDA's redis scaler LLENs: one trigger per queue consumed.
      expect(redis.map((trigger: any) => trigger.metadata.listName)).toEqual(WORKER_QUEUES[deployment].map((queue) => `${prefix}:${queue}:wait`));
      // The scaler reads the address from the target container's env, and the password through the TriggerAuthentication.
      const env = containerOf(deployment).env.map((variable: { name: string }) => variable.name);
      expect(env).toContain(redis[0].metadata.addressFromEnv);
      named('TriggerAuthentication', redis[0].authenticationRef.name);
      // The Deployment leaves replicas to KEDA, and KEDA never goes to zero (the gateway needs a live worker).
      expect(named('Deployment', deployment).spec.replicas).toBeUndefined();
      expect(doc.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    }
  });

  it('autoscales the gateway on CPU, and documents a Prometheus alternative for the workers', () => {
    const hpa = named('HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(named('Deployment', 'gateway').spec.replicas).toBeUndefined();

    const alternative = manifests.filter((item) => item.file === 'hpa-prometheus.yaml').map((item) => item.doc);
    expect(alternative.map((doc) => doc.spec.scaleTargetRef.name).sort()).toEqual(Object.keys(WORKER_QUEUES).sort());
    for (const doc of alternative) {
      const externals = doc.spec.metrics.filter((metric: any) => metric.type === 'External').map((metric: any) => metric.external.metric);
      // Each queue's waiting jobs, and its prioritized ones (heavy renders, free plans' generations).
      const queues = WORKER_QUEUES[doc.spec.scaleTargetRef.name];
      expect(externals.every((external: any) => external.name === 'flowsmith_queue_jobs')).toBe(true);
      expect(externals.map((external: any) => external.selector.matchLabels).sort(byJson)).toEqual(
        queues.flatMap((queue) => [{ queue, state: 'waiting' }, ...(PRIORITIZED.includes(queue) ? [{ queue, state: 'prioritized' }] : [])]).sort(byJson),
      );
    }
    for (const name of ['gateway', 'render-worker', 'generation-worker', 'webhook-worker']) {
      expect(named('PodDisruptionBudget', name).spec.selector.matchLabels).toEqual(named('Deployment', name).spec.selector.matchLabels);
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(resolve(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, any> };
  /** Compose's `${VAR:-default}` as an operator who sets nothing gets it. */
  const resolved = (environment: Record<string, string>) =>
    Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));

  it('gives each app an environment its own env schema accepts, as an operator who sets nothing gets it', () => {
    for (const [service, schema] of Object.entries(APP_ENV)) {
      expect(() => loadEnv(schema as new () => object, resolved(compose.services[service].environment))).not.toThrow();
    }
  });

  it('lets each worker kind scale on its own (--scale): no container names, no host ports on workers', () => {
    for (const service of ['gateway', 'render-worker', 'generation-worker', 'webhook-worker']) expect(compose.services[service].container_name).toBeUndefined();
    for (const service of ['render-worker', 'generation-worker', 'webhook-worker']) expect(compose.services[service].ports).toBeUndefined();
  });

  it('keeps Redis persistent and never evicting, as BullMQ needs', () => {
    const command: string[] = compose.services.redis.command;
    expect(command.join(' ')).toMatch(/--appendonly yes/);
    expect(command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(compose.services.redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/data$/)]));
  });
});
