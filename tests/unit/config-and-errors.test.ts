import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultIntraOpThreads, helpText, loadConfig, SETTINGS } from '../../server/config.ts';
import { ErrorDocs, Errors } from '../../server/errors.ts';
import { parseManifest } from '../../server/repository/manifest.ts';
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
  it("lists every setting in the README's configuration table", () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
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
