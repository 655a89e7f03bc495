import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultIntraOpThreads, helpText, loadConfig, SETTINGS } from '../../server/config.ts';
import { ErrorDocs, Errors } from '../../server/errors.ts';
import { BatchingSchema, ManifestSchema, parseManifest } from '../../server/repository/manifest.ts';
import { isValidModelName } from '../../server/repository/repository.ts';

describe('config', () => {
  it('reads flags over env vars over defaults', () => {
    expect(loadConfig([], {}).port).toBe(8080);
    expect(loadConfig([], { PORT: '9000' }).port).toBe(9000);
    expect(loadConfig(['--port', '9001'], { PORT: '9000' }).port).toBe(9001);
    expect(loadConfig([], { ORTSERVE_MAX_BATCH_SIZE: '4' }).maxBatchSize).toBe(4);
  });
  it('rejects bad values and unknown flags', () => {
    expect(() => loadConfig(['--port', 'abc'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--nope'], {})).toThrow();
  });
  it('documents every setting in --help', () => {
    const help = helpText();
    for (const s of Object.values(SETTINGS)) {
      expect(help).toContain(`--${s.flag}`);
      expect(help).toContain(s.env);
    }
  });
  it("gives each setting that overrides a manifest field the manifest schema's bounds", () => {
    const bounds = (s: object) => ({ min: (s as { minimum?: number }).minimum, max: (s as { maximum?: number }).maximum });
    const fields: Partial<Record<keyof typeof SETTINGS, object>> = {
      instances: ManifestSchema.properties.instances,
      intraOpThreads: ManifestSchema.properties.intra_op_threads,
      maxBatchSize: BatchingSchema.properties.max_batch_size,
      maxQueueDelayMs: BatchingSchema.properties.max_queue_delay_ms,
      maxQueueSize: BatchingSchema.properties.max_queue_size,
      timeoutMs: BatchingSchema.properties.timeout_ms,
      maxPaddingRatio: BatchingSchema.properties.max_padding_ratio,
    };
    for (const [key, field] of Object.entries(fields)) {
      const s = SETTINGS[key as keyof typeof SETTINGS] as { min?: number; max?: number };
      expect(s.min, key).toBeDefined();
      expect({ min: s.min, max: s.max }, key).toEqual(bounds(field));
    }
  });
  it('refuses a value below a minimum or above a maximum, naming the bound; the bound itself is accepted', () => {
    expect(() => loadConfig(['--max-batch-size', '0'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--max-batch-size', '0'], {})).toThrow("--max-batch-size (ORTSERVE_MAX_BATCH_SIZE) must be ≥ 1, got '0'");
    expect(() => loadConfig([], { ORTSERVE_MAX_QUEUE_SIZE: '0' })).toThrow("--max-queue-size (ORTSERVE_MAX_QUEUE_SIZE) must be ≥ 1, got '0'");
    expect(() => loadConfig(['--port', '65536'], {})).toThrow("--port (PORT) must be 0 to 65535, got '65536'");
    expect(() => loadConfig(['--max-padding-ratio', '0.5'], {})).toThrow("--max-padding-ratio (ORTSERVE_MAX_PADDING_RATIO) must be ≥ 1, got '0.5'");
    for (const [key, s] of Object.entries(SETTINGS) as [string, { flag: string; kind: string; min?: number; max?: number }][]) {
      if (s.kind === 'string') continue;
      expect(s.min, `${key} has a minimum`).toBeDefined();
      expect(loadConfig([`--${s.flag}`, String(s.min)], {})[key as keyof typeof SETTINGS]).toBe(s.min);
      expect(() => loadConfig([`--${s.flag}=${s.min! - 1}`], {}), key).toThrow(ConfigError);
      const { max } = s;
      if (max === undefined) continue;
      expect(loadConfig([`--${s.flag}`, String(max)], {})[key as keyof typeof SETTINGS]).toBe(max);
      expect(() => loadConfig([`--${s.flag}`, String(max + 1)], {}), key).toThrow(new RegExp(`must be ${s.min} to ${max}, got`));
    }
  });
  it('shows each bound in --help', () => {
    const line = (flag: string) =>
      helpText()
        .split('\n')
        .find((l) => l.startsWith(`  --${flag} `));
    expect(line('max-batch-size')).toMatch(/\(≥ 1\)$/);
    expect(line('timeout-ms')).toMatch(/\(1 to 2147483647\)$/);
    expect(line('drain-timeout-ms')).toMatch(/\(default: 30000; 0 to 2147483647\)$/);
  });
  it('lists every setting in the configuration table of docs/configuration.md', () => {
    const readme = fs.readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const s of Object.values(SETTINGS)) expect(readme).toMatch(new RegExp(`\\| \`--${s.flag}\` \\| \`${s.env}\` \\|`));
  });
});

describe('error registry', () => {
  it('documents every code, and codes are unique', () => {
    const codes = Object.entries(Errors).map(([key, E]) => {
      expect(ErrorDocs[key as keyof typeof ErrorDocs]).toBeTruthy();
      return new E('x', 'y', 'z').code;
    });
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('manifest and names', () => {
  it('names the offending field', () => {
    expect(() => parseManifest({ task: 'nope' })).toThrow(/\/task.*image-classification/);
    expect(() => parseManifest({ batching: { max_batch_size: 0 } })).toThrow(/max_batch_size/);
    expect(parseManifest({ task: 'text-embedding', tokenizer: 't.json' }).task).toBe('text-embedding');
  });
  it('rejects model names with traversal or slashes', () => {
    expect(isValidModelName('fashion-cnn')).toBe(true);
    for (const bad of ['..', 'a/b', '../x', 'a..b', '', '.hidden']) expect(isValidModelName(bad)).toBe(false);
  });
});

describe('thread budget', () => {
  it('leaves one core to the event loop and shares the rest among every worker', () => {
    expect(defaultIntraOpThreads(6, 2)).toBe(1);
    expect(defaultIntraOpThreads(5, 16)).toBe(3);
    expect(defaultIntraOpThreads(1, 8)).toBe(7);
    expect(defaultIntraOpThreads(4, 1)).toBe(1);
  });
});
