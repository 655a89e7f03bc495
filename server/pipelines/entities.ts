// Token scores → entities, as transformers' TokenClassificationPipeline does it: pre-entities (special tokens
// dropped, its is_subword rule), the aggregation strategies none / simple / first / max / average, grouping of
// B-/I- tags, and the ignore_labels filter. Pure functions: the pipeline feeds them one encoded text.
import type { Encoding } from './tokenizer.ts';

export const AGGREGATION_STRATEGIES = ['none', 'simple', 'first', 'max', 'average'] as const;
export type AggregationStrategy = (typeof AGGREGATION_STRATEGIES)[number];

export interface PreEntity {
  word: string;
  scores: ArrayLike<number>;
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

/** One token (strategy none): its label, score and position in the token sequence. */
export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number;
  end: number;
}

/** A group of tokens or words with one type (every other strategy). */
export interface GroupEntity {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

export interface EntityOptions {
  labels: string[];
  strategy: AggregationStrategy;
  ignoreLabels: readonly string[];
  /** The tokenizer's convert_tokens_to_string. */
  decode: (tokens: string[]) => string;
}

interface WordEntity {
  entity: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

const label = (labels: string[], i: number) => labels[i] ?? `LABEL_${i}`;

/**
 * gather_pre_entities: one entry per non-special token. A word-aware tokenizer (one with a subword prefix) marks a
 * token whose length differs from its text's as a subword; others use transformers' fallback (no space before
 * it); an unknown token takes its text as its word and starts a word.
 */
export function preEntities(text: string, enc: Encoding, scores: ArrayLike<number>[], tokenizer: { subwordPrefix?: string; unknownId?: number }): PreEntity[] {
  const chars = Array.from(text);
  const out: PreEntity[] = [];
  enc.ids.forEach((id, index) => {
    if (enc.special[index]) return;
    const [start, end] = enc.offsets[index]!;
    const ref = chars.slice(start, end).join('');
    let word = enc.tokens[index]!;
    let isSubword = tokenizer.subwordPrefix !== undefined ? Array.from(word).length !== end - start : start > 0 && !chars.slice(start - 1, start + 1).includes(' ');
    if (id === tokenizer.unknownId) {
      word = ref;
      isSubword = false;
    }
    out.push({ word, scores: scores[index]!, start, end, index, isSubword });
  });
  return out;
}

function aggregateWord(group: PreEntity[], o: EntityOptions): WordEntity {
  const word = o.decode(group.map((e) => e.word));
  let scores: ArrayLike<number>;
  if (o.strategy === 'first') scores = group[0]!.scores;
  else if (o.strategy === 'max') scores = group.reduce((best, e) => (Math.max(...Array.from(e.scores)) > Math.max(...Array.from(best.scores)) ? e : best)).scores;
  else scores = Array.from(group[0]!.scores, (_, c) => group.reduce((s, e) => s + (e.scores[c] as number), 0) / group.length);
  const idx = argmax(scores);
  return { entity: label(o.labels, idx), score: scores[idx] as number, word, start: group[0]!.start, end: group.at(-1)!.end };
}

/** aggregate_words: a token that is a subword joins the word before it. */
function aggregateWords(pre: PreEntity[], o: EntityOptions): WordEntity[] {
  const words: WordEntity[] = [];
  let group: PreEntity[] = [];
  for (const e of pre) {
    if (group.length > 0 && !e.isSubword) {
      words.push(aggregateWord(group, o));
      group = [];
    }
    group.push(e);
  }
  if (group.length > 0) words.push(aggregateWord(group, o));
  return words;
}

/** get_tag: "B-X" and "I-X" split; any other label counts as a continuation of its own type. */
function tag(entity: string): [bi: 'B' | 'I', type: string] {
  if (entity.startsWith('B-')) return ['B', entity.slice(2)];
  if (entity.startsWith('I-')) return ['I', entity.slice(2)];
  return ['I', entity];
}

function groupOf(members: WordEntity[], decode: (tokens: string[]) => string): GroupEntity {
  const first = members[0]!;
  return {
    entity_group: first.entity.slice(first.entity.indexOf('-') + 1),
    score: members.reduce((s, e) => s + e.score, 0) / members.length,
    word: decode(members.map((e) => e.word)),
    start: first.start,
    end: members.at(-1)!.end,
  };
}

/** group_entities: an entity joins the group before it when it has the same type and is not a B- tag. */
function groupEntities(entities: WordEntity[], decode: (tokens: string[]) => string): GroupEntity[] {
  const groups: GroupEntity[] = [];
  let members: WordEntity[] = [];
  for (const e of entities) {
    const last = members.at(-1);
    const [bi, type] = tag(e.entity);
    if (last && (type !== tag(last.entity)[1] || bi === 'B')) {
      groups.push(groupOf(members, decode));
      members = [];
    }
    members.push(e);
  }
  if (members.length > 0) groups.push(groupOf(members, decode));
  return groups;
}

/** The entities of one text under `o.strategy`, without those whose label is in `o.ignoreLabels`. */
export function entities(pre: PreEntity[], o: EntityOptions): TokenEntity[] | GroupEntity[] {
  if (o.strategy === 'none' || o.strategy === 'simple') {
    const tokens: TokenEntity[] = pre.map((e) => {
      const idx = argmax(e.scores);
      return { entity: label(o.labels, idx), score: e.scores[idx] as number, index: e.index, word: e.word, start: e.start, end: e.end };
    });
    if (o.strategy === 'none') return tokens.filter((e) => !o.ignoreLabels.includes(e.entity));
    return groupEntities(tokens, o.decode).filter((g) => !o.ignoreLabels.includes(g.entity_group));
  }
  return groupEntities(aggregateWords(pre, o), o.decode).filter((g) => !o.ignoreLabels.includes(g.entity_group));
}
