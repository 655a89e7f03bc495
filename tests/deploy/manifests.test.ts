// Offline checks of deploy/: Kubernetes objects against the API's schemas (kubernetes-models),
// KServe objects against the fields their CRDs define, and the facts that tie manifests, image
// and server together (probe paths, flags, ports, the CPU arithmetic of deploy/README.md).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Pod, Service } from 'kubernetes-models/v1';
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { SETTINGS } from '../../server/config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = path.join(ROOT, 'deploy');

// Manifests are plain YAML data, walked through this loose shape.
type Obj = { [key: string]: any };
interface Manifest extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
}

// ---- KServe: the CRD fields these manifests may use (unknown fields are errors) ---------------
const strict = { additionalProperties: false };
const Metadata = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    namespace: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);
const Protocol = Type.Union([Type.Literal('v1'), Type.Literal('v2'), Type.Literal('grpc-v1'), Type.Literal('grpc-v2')]);
const Opt = (t: TSchema) => Type.Optional(t);
const ServingRuntime = Type.Object(
  {
    apiVersion: Type.Literal('serving.kserve.io/v1alpha1'),
    kind: Type.Union([Type.Literal('ServingRuntime'), Type.Literal('ClusterServingRuntime')]),
    metadata: Metadata,
    spec: Type.Object(
      {
        supportedModelFormats: Type.Array(
          Type.Object({ name: Type.String({ minLength: 1 }), version: Opt(Type.String()), autoSelect: Opt(Type.Boolean()), priority: Opt(Type.Integer({ minimum: 1 })) }, strict),
          { minItems: 1 },
        ),
        protocolVersions: Opt(Type.Array(Protocol, { minItems: 1 })),
        multiModel: Opt(Type.Boolean()),
        disabled: Opt(Type.Boolean()),
        replicas: Opt(Type.Integer({ minimum: 0 })),
        grpcEndpoint: Opt(Type.String()),
        grpcDataEndpoint: Opt(Type.String()),
        httpDataEndpoint: Opt(Type.String()),
        annotations: Opt(Type.Record(Type.String(), Type.String())),
        labels: Opt(Type.Record(Type.String(), Type.String())),
        nodeSelector: Opt(Type.Record(Type.String(), Type.String())),
        containers: Type.Array(Type.Unknown(), { minItems: 1 }), // core/v1 Containers: checked with kubernetes-models
        volumes: Opt(Type.Array(Type.Unknown())),
        tolerations: Opt(Type.Array(Type.Unknown())),
        affinity: Opt(Type.Unknown()),
        imagePullSecrets: Opt(Type.Array(Type.Unknown())),
      },
      strict,
    ),
  },
  strict,
);
const InferenceService = Type.Object(
  {
    apiVersion: Type.Literal('serving.kserve.io/v1beta1'),
    kind: Type.Literal('InferenceService'),
    metadata: Metadata,
    spec: Type.Object(
      {
        predictor: Type.Object(
          {
            minReplicas: Opt(Type.Integer({ minimum: 0 })),
            maxReplicas: Opt(Type.Integer({ minimum: 1 })),
            scaleMetric: Opt(Type.Union(['concurrency', 'rps', 'cpu', 'memory'].map((m) => Type.Literal(m)))),
            scaleTarget: Opt(Type.Integer({ minimum: 1 })),
            containerConcurrency: Opt(Type.Integer({ minimum: 0 })),
            timeout: Opt(Type.Integer({ minimum: 1 })),
            model: Type.Object(
              {
                modelFormat: Type.Object({ name: Type.String({ minLength: 1 }), version: Opt(Type.String()) }, strict),
                runtime: Opt(Type.String()),
                runtimeVersion: Opt(Type.String()),
                protocolVersion: Opt(Protocol),
                storageUri: Opt(Type.String({ pattern: '^[a-z0-9+.-]+://' })),
                env: Opt(Type.Array(Type.Unknown())),
                args: Opt(Type.Array(Type.String())),
                resources: Opt(Type.Unknown()),
              },
              strict,
            ),
          },
          strict,
        ),
      },
      strict,
    ),
  },
  strict,
);

function checkSchema(schema: TSchema, doc: unknown): void {
  const errors = [...Value.Errors(schema, doc)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
  if (errors.length > 0) throw new Error(errors.join('; '));
}

/** core/v1 Containers, validated the one way kubernetes-models offers: inside a Pod. */
function checkContainers(containers: unknown[]): void {
  new Pod({ metadata: { name: 'containers' }, spec: { containers: containers as never } }).validate();
}

type Check = (doc: Manifest) => void;
const viaModel =
  (Model: new (data: never) => { validate(): void }): Check =>
  (doc) =>
    new Model(doc as never).validate();
const VALIDATORS: Record<string, Check> = {
  'apps/v1 Deployment': viaModel(Deployment),
  'v1 Service': viaModel(Service),
  'autoscaling/v2 HorizontalPodAutoscaler': viaModel(HorizontalPodAutoscaler),
  'policy/v1 PodDisruptionBudget': viaModel(PodDisruptionBudget),
  'serving.kserve.io/v1alpha1 ServingRuntime': (doc) => (checkSchema(ServingRuntime, doc), checkContainers(doc.spec.containers)),
  'serving.kserve.io/v1beta1 InferenceService': (doc) => {
    checkSchema(InferenceService, doc);
    const { modelFormat, runtime, runtimeVersion, protocolVersion, storageUri, ...container } = doc.spec.predictor.model;
    checkContainers([{ name: 'kserve-container', ...container }]);
  },
};

/** Throws unless `doc` is a known kind that validates. */
function validate(doc: unknown): void {
  const m = doc as Manifest;
  const check = VALIDATORS[`${m?.apiVersion} ${m?.kind}`];
  if (!check) throw new Error(`unknown apiVersion/kind ${m?.apiVersion} ${m?.kind}`);
  check(m);
}

// ---- the manifests -----------------------------------------------------------------------------
function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []));
}
const isHelmValues = (file: string) => file.endsWith('-values.yaml');
const manifests = yamlFiles(DEPLOY)
  .filter((f) => !isHelmValues(f))
  .flatMap((file) =>
    parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return { file: path.relative(ROOT, file), doc: d.toJS() as Manifest };
    }),
  );
const one = (file: string, kind: string): Manifest => {
  const found = manifests.find((m) => m.file === file && m.doc.kind === kind);
  if (!found) throw new Error(`no ${kind} in ${file}`);
  return found.doc;
};
const deployment = one('deploy/deployment.yaml', 'Deployment');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0];
const runtime = one('deploy/kserve/servingruntime.yaml', 'ServingRuntime');
const isvc = one('deploy/kserve/inferenceservice.yaml', 'InferenceService');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
const bytes = (q: string) => Number(q.replace(/(Ki|Mi|Gi)$/, '')) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[q.slice(-2)] ?? 1);
const env = (c: Obj, name: string) => Number(c.env.find((e: Obj) => e.name === name)?.value);
// A model folder has a manifest.json, or a Hugging Face config.json (served with no manifest).
const bundledModels = fs
  .readdirSync(path.join(ROOT, 'models'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && ['manifest.json', 'config.json'].some((f) => fs.existsSync(path.join(ROOT, 'models', e.name, f)))).length;

describe('deploy/ manifests', () => {
  it('parse, and every object validates against its schema', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const { file, doc } of manifests) expect(() => validate(doc), file).not.toThrow();
  });

  it.each([
    ['a string containerPort', (d: Obj) => (d.spec.template.spec.containers[0].ports[0].containerPort = '8080')],
    ['a container without a name', (d: Obj) => delete d.spec.template.spec.containers[0].name],
    ['a Deployment without a selector', (d: Obj) => delete d.spec.selector],
    ['an unknown apiVersion', (d: Obj) => (d.apiVersion = 'apps/v1beta3')],
  ])('rejects a Deployment with %s', (_what, breakIt) => {
    const broken = structuredClone(deployment);
    breakIt(broken);
    expect(() => validate(broken)).toThrow();
  });

  it.each([
    ['a misspelt field', runtime, (d: Obj) => (d.spec.supportedModelFormat = d.spec.supportedModelFormats)],
    ['protocol v3', runtime, (d: Obj) => (d.spec.protocolVersions = ['v3'])],
    ['a container with a string port', runtime, (d: Obj) => (d.spec.containers[0].ports = [{ containerPort: 'http' }])],
    ['no modelFormat', isvc, (d: Obj) => delete d.spec.predictor.model.modelFormat],
    ['an unknown scaleMetric', isvc, (d: Obj) => (d.spec.predictor.scaleMetric = 'gpu')],
  ])('rejects a KServe object with %s', (_what, original, breakIt) => {
    const broken = structuredClone(original);
    breakIt(broken);
    expect(() => validate(broken)).toThrow();
  });

  it('wire the Deployment, Service, HPAs and PDB to the same pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
    const portNames = container.ports.map((p: Obj) => p.name);
    for (const { doc } of manifests) {
      if (doc.kind === 'Service') {
        expect(labels).toMatchObject(doc.spec.selector);
        for (const p of doc.spec.ports) expect(portNames).toContain(p.targetPort);
      }
      if (doc.kind === 'PodDisruptionBudget') expect(labels).toMatchObject(doc.spec.selector.matchLabels);
      if (doc.kind === 'HorizontalPodAutoscaler') {
        expect(doc.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
        expect(doc.metadata.name, 'the queue-depth HPA replaces the CPU one instead of fighting it').toBe('ortserve');
      }
    }
  });

  it('probe the health routes the server serves, on the port the image exposes', () => {
    const routes = ['health.ts', 'v2.ts'].map((f) => fs.readFileSync(path.join(ROOT, 'server/routes', f), 'utf8')).join('\n');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.startupProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(runtime.spec.containers[0].livenessProbe.httpGet.path).toBe('/v2/health/live');
    expect(runtime.spec.containers[0].readinessProbe.httpGet.path).toBe('/v2/health/ready');
    for (const p of ['/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready']) expect(routes).toContain(`'${p}'`);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(container.ports[0].containerPort).toBe(8080);
    expect(runtime.spec.containers[0].ports[0].containerPort).toBe(8080);
  });

  it('expose the gRPC port of ORTSERVE_GRPC_PORT in the image, the Deployment, the Service and the KServe runtime (grpc-v2)', () => {
    const grpcPort = SETTINGS.grpcPort.default;
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${grpcPort}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`^\\s+ORTSERVE_GRPC_PORT=${grpcPort} \\\\$`, 'm'));
    expect(container.ports).toContainEqual({ name: 'grpc', containerPort: grpcPort, protocol: 'TCP' });
    const service = one('deploy/service.yaml', 'Service');
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: 'grpc', port: grpcPort, targetPort: 'grpc' }));
    expect(runtime.spec.protocolVersions).toEqual(['v2', 'grpc-v2']);
    // KServe finds a runtime's gRPC port by the name h2c.
    expect(runtime.spec.containers[0].ports).toContainEqual({ name: 'h2c', containerPort: grpcPort, protocol: 'TCP' });
  });

  it('use only settings the server knows, and the image the Dockerfile builds to run', () => {
    const envs = new Set(Object.values(SETTINGS).map((s) => s.env));
    const flags = new Set(Object.values(SETTINGS).map((s) => `--${s.flag}`));
    for (const c of [container, runtime.spec.containers[0]]) {
      for (const e of c.env) expect(envs, e.name).toContain(e.name);
      for (const a of c.args ?? []) expect(flags, a).toContain(a.split('=')[0]);
    }
    expect(dockerfile, 'args are appended to an exec-form ENTRYPOINT').toMatch(/^ENTRYPOINT \["node", (?:"--[\w-]+(?:=[^"]+)?", )*"server\/server\.ts"\]$/m);
    expect(runtime.spec.containers[0].image).toBe(container.image);
    const uid = Number(/^USER (\d+)/m.exec(dockerfile)?.[1]);
    expect(podSpec.securityContext.runAsUser).toBe(uid);
    expect(runtime.spec.containers[0].securityContext.runAsUser).toBe(uid);
  });

  it('size CPU by the thread arithmetic: per worker thread 1 core limit, 0.5 request; main thread the same', () => {
    const size = (c: Obj, models: number) => {
      const threads = models * env(c, 'ORTSERVE_INSTANCES') * env(c, 'ORTSERVE_INTRA_OP_THREADS');
      expect(cpu(c.resources.limits.cpu), 'limits.cpu').toBe(threads + 1);
      expect(cpu(c.resources.requests.cpu), 'requests.cpu').toBe(threads * 0.5 + 0.5);
      expect(bytes(c.resources.requests.memory)).toBeLessThanOrEqual(bytes(c.resources.limits.memory));
    };
    expect(bundledModels).toBeGreaterThan(0);
    size(container, bundledModels);
    size(runtime.spec.containers[0], 1);
  });

  it('give the drain time to finish before the kill', () => {
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    const drainS = env(container, 'ORTSERVE_DRAIN_TIMEOUT_MS') / 1000;
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drainS);
  });

  it('scale on ortserve_queue_depth as prometheus-adapter names it', () => {
    const hpa = one('deploy/examples/hpa-queue-depth.yaml', 'HorizontalPodAutoscaler');
    const metric = hpa.spec.metrics.find((m: Obj) => m.type === 'Pods').pods.metric.name;
    const values = parseYaml(fs.readFileSync(path.join(DEPLOY, 'examples/prometheus-adapter-values.yaml'), 'utf8')) as Obj;
    const rule = values.rules.custom[0];
    expect(metric).toBe('ortserve_queue_depth');
    expect(rule.name.as).toBe(metric);
    expect(rule.seriesQuery).toContain(metric);
  });

  it('point the InferenceService at the ortserve runtime, format and protocol', () => {
    const model = isvc.spec.predictor.model;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(runtime.spec.supportedModelFormats.map((f: Obj) => f.name)).toContain(model.modelFormat.name);
    expect(model.modelFormat.name).toBe('onnx');
    expect(model.protocolVersion).toBe('v2');
    expect(runtime.spec.protocolVersions).toContain('v2');
  });
});
