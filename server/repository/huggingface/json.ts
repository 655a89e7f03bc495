// Reading a Hugging Face folder's JSON files and their fields; every problem becomes an Error that names the file
// and field relative to the model folder (never a server path).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../manifest.ts';

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** A field's value, undefined when absent or null (as transformers writes unset options); throws when it has the wrong type. */
export function field<T>(obj: JsonObject, key: string, file: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new Error(`${file}: "${key}" must be ${what}`);
  return value;
}

/** The files of one model folder, addressed by paths relative to it. */
export class HfFolder {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = path.resolve(dir);
  }

  /** Resolves a relative path, refusing one that leaves the folder (a module path in modules.json, say). */
  #resolve(file: string): string {
    const full = path.resolve(this.#dir, file);
    if (full !== this.#dir && !full.startsWith(this.#dir + path.sep)) throw new Error(`${file} is outside the model folder`);
    return full;
  }

  async has(file: string): Promise<boolean> {
    return fs.stat(this.#resolve(file)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** The parsed file, undefined when it does not exist. */
  async json(file: string): Promise<unknown> {
    const full = this.#resolve(file);
    let text: string;
    try {
      text = await fs.readFile(full, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  async object(file: string): Promise<JsonObject | undefined> {
    const value = await this.json(file);
    if (value !== undefined && !isObject(value)) throw new Error(`${file} must hold a JSON object`);
    return value;
  }
}

/** Manifest fields being derived, each with the file and field it came from. */
export class Fields {
  readonly manifest: Manifest = {};
  readonly sources: Record<string, string> = {};

  set<K extends keyof Manifest>(key: K, value: Manifest[K], source: string): void {
    this.manifest[key] = value;
    this.sources[key] = source;
  }

  merge(other: Fields): void {
    Object.assign(this.manifest, other.manifest);
    Object.assign(this.sources, other.sources);
  }
}
