// Reads a model repository: one folder per model, an optional manifest.json (over the fields derived from a
// Hugging Face config.json), optional numbered version folders (Triton layout, the highest is served).
// A folder's problems become its model's error; a repository that cannot be read, or two folders
// serving one name, are a RepositoryError (the server does not start).
import fs from 'node:fs/promises';
import path from 'node:path';
import { deriveFromHuggingFace, type Derivation } from './huggingface/index.ts';
import { checkTaskFields, parseManifest, type Manifest } from './manifest.ts';

export const MODEL_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface ModelSource {
  name: string;
  dir: string;
  /** Folder the graph files are resolved in (a version folder or `dir`). */
  versionDir: string;
  versions: string[];
  version: string;
  manifest: Manifest;
  /** Top-level manifest field → where its value came from: 'manifest.json', 'default' or a Hugging Face file. */
  sources: Record<string, string>;
  /** What a Hugging Face folder lacks (e.g. why it is served through V2 only); empty for manifest-only folders. */
  warnings: string[];
  graphs: Record<string, string>;
}

export interface ModelSourceError {
  name: string;
  dir: string;
  error: string;
}

export type ScanResult = ModelSource | ModelSourceError;

/** The repository as a whole cannot be served: the process exits 2 with this one-line message. */
export class RepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryError';
  }
}

/**
 * A load error as clients may see it: paths inside the repository become relative to it, and
 * any other absolute path is cut to its file name (server paths are not for clients; logs keep
 * the full message).
 */
export function withoutPaths(message: string, root: string): string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return message.replaceAll(prefix, '').replace(/(?:\/[\w.@+-]+){2,}/g, (p) => path.basename(p));
}

export function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name) && !name.includes('..');
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

async function listVersions(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a) - Number(b));
}

async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'manifest.json');
  if (!(await exists(file))) return {};
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`manifest.json is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseManifest(json);
}

/** manifest.json over the derived fields, field by field; a manifest.json that names the task settles a fallback. */
function effectiveManifest(own: Manifest, derived: Derivation | undefined): Pick<ModelSource, 'manifest' | 'sources' | 'warnings'> {
  const sources: Record<string, string> = { name: 'default', graphs: 'default', batching: 'default', ...derived?.sources };
  for (const key of Object.keys(own)) sources[key] = 'manifest.json';
  const settled = own.task !== undefined && derived?.manifest.task === undefined;
  return { manifest: { ...derived?.manifest, ...own }, sources, warnings: settled ? [] : (derived?.warnings ?? []) };
}

/** Reads one model folder. Throws with a readable message when it cannot be served. */
export async function readModel(dir: string, folderName = path.basename(dir)): Promise<ModelSource> {
  const own = await readManifest(dir);
  const name = own.name ?? folderName;
  if (!isValidModelName(name)) throw new Error(`invalid model name '${name}'`);
  const versions = await listVersions(dir);
  const version = versions.at(-1) ?? '1';
  const versionDir = versions.length > 0 ? path.join(dir, version) : dir;
  const { manifest, sources, warnings } = effectiveManifest(own, await deriveFromHuggingFace(versionDir));
  checkTaskFields(manifest);
  const graphs: Record<string, string> = {};
  for (const [graph, file] of Object.entries(manifest.graphs ?? { model: 'model.onnx' })) {
    const full = path.resolve(versionDir, file);
    if (!full.startsWith(path.resolve(dir) + path.sep)) throw new Error(`graph '${graph}' points outside the model folder`);
    if (!(await exists(full))) throw new Error(`graph '${graph}': file ${path.relative(dir, full)} not found`);
    graphs[graph] = full;
  }
  return { name, dir, versionDir, versions: versions.length > 0 ? versions : ['1'], version, manifest, sources, warnings, graphs };
}

/**
 * Scans the repository; each folder yields a source or an error. Throws a RepositoryError only
 * when the repository itself cannot be read or two folders name the same model.
 */
export async function scanRepository(root: string): Promise<ScanResult[]> {
  const entries = await fs.readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new RepositoryError(`model repository ${root} cannot be read: ${err.code ?? err.message}`);
  });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const results = await Promise.all(
    folders.map(async (folder): Promise<ScanResult> => {
      const dir = path.join(root, folder);
      try {
        return await readModel(dir, folder);
      } catch (err) {
        return { name: folder, dir, error: (err as Error).message };
      }
    }),
  );
  assertUniqueNames(results);
  return results;
}

function assertUniqueNames(results: ScanResult[]): void {
  const seen = new Map<string, string>();
  for (const r of results) {
    const other = seen.get(r.name);
    if (other !== undefined) throw new RepositoryError(`model name '${r.name}' is served by two folders: ${path.basename(other)} and ${path.basename(r.dir)}`);
    seen.set(r.name, r.dir);
  }
}

export function isSourceError(r: ScanResult): r is ModelSourceError {
  return 'error' in r;
}
