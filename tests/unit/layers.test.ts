// Keeps the dependency direction of server/: a folder imports only folders below it, so no two
// folders can depend on each other, and the runtime knows nothing of HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';

/** Top to bottom. */
const LAYERS = ['routes', 'plugins', 'schemas', 'models', 'protocols', 'pipelines', 'repository', 'runtime'];
const SERVER = path.join(ROOT, 'server');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Every module specifier a file imports (static and dynamic, type-only included). */
function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

/** The top-level folder of server/ a path is in, or the root file name. */
const unit = (abs: string) => path.relative(SERVER, abs).split(path.sep)[0]!;

const edges = files(SERVER).flatMap((file) =>
  imports(file).map((spec) => ({
    file: path.relative(ROOT, file),
    from: unit(file),
    spec,
    to: spec.startsWith('.') ? unit(path.resolve(path.dirname(file), spec)) : `package:${spec}`,
  })),
);

describe('server/ layering', () => {
  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(150);
    expect(edges.some((e) => e.from === 'routes' && e.to === 'plugins')).toBe(true);
  });

  it('a folder never imports a folder above it (so no import cycle between folders)', () => {
    const upward = edges.filter((e) => {
      const from = LAYERS.indexOf(e.from);
      const to = LAYERS.indexOf(e.to);
      return from >= 0 && to >= 0 && to < from;
    });
    expect(upward.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('only the process and the app import the top layers; shared root files import only the runtime', () => {
    const rootImports = edges.filter((e) => ['errors.ts', 'config.ts'].includes(e.from) && !e.to.startsWith('package:'));
    expect(rootImports.map((e) => `${e.file} → ${e.spec}`)).toEqual(['server/errors.ts → ./runtime/errors.ts']);
    const intoApp = edges.filter((e) => ['app.ts', 'server.ts'].includes(e.to) && e.from !== 'server.ts');
    expect(intoApp.map((e) => e.file)).toEqual([]);
  });

  it('the runtime imports no fastify, no HTTP error registry and no config', () => {
    const bad = edges.filter(
      (e) => e.from === 'runtime' && (/^package:(fastify|@fastify\/)/.test(e.to) || ['errors.ts', 'config.ts'].includes(e.to) || (LAYERS.indexOf(e.to) >= 0 && e.to !== 'runtime')),
    );
    expect(bad.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });
});
