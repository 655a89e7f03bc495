// Character- or byte-level vocabularies of recurrent text models (manifest "vocabulary").
import type { Manifest } from '../repository/manifest.ts';

export interface Vocabulary {
  size: number;
  encode(text: string): number[];
  /** A decoder that turns token ids into text incrementally (bytes may split characters). */
  decoder(): (id: number) => string;
}

export function createVocabulary(spec: NonNullable<Manifest['vocabulary']>): Vocabulary {
  if (spec.type === 'bytes') {
    const enc = new TextEncoder();
    return {
      size: 256,
      encode: (text) => Array.from(enc.encode(text)),
      decoder() {
        const dec = new TextDecoder('utf-8', { fatal: false });
        return (id) => dec.decode(Uint8Array.of(id), { stream: true });
      },
    };
  }
  const tokens = spec.tokens ?? [];
  const index = new Map(tokens.map((t, i) => [t, i]));
  const unknown = spec.unknown ?? 0;
  return {
    size: tokens.length,
    encode: (text) => Array.from(text, (ch) => index.get(ch) ?? unknown),
    decoder: () => (id) => tokens[id] ?? '',
  };
}
