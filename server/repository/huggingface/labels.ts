// Class labels from config.json's id2label, and what turns a sequence classifier's logits into scores.
import type { Manifest } from '../manifest.ts';
import { field, isObject, isPositiveInt, isString, type JsonObject } from './json.ts';

const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'];

/** id2label as a list (index = class id); throws when its keys are not exactly 0..n-1 or num_labels disagrees. */
export function readLabels(config: JsonObject): string[] | undefined {
  const id2label = field(config, 'id2label', 'config.json', isObject, 'an object');
  const numLabels = field(config, 'num_labels', 'config.json', isPositiveInt, 'a positive integer');
  if (!id2label) return undefined;
  const keys = Object.keys(id2label);
  if (keys.length === 0) throw new Error('config.json: "id2label" is empty');
  const labels = keys.map((_, i) => {
    const label = id2label[String(i)];
    if (label === undefined) {
      throw new Error(`config.json: "id2label" keys must be 0..${keys.length - 1}, but "${i}" is missing (keys: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''})`);
    }
    if (!isString(label)) throw new Error(`config.json: id2label["${i}"] must be a string`);
    return label;
  });
  if (numLabels !== undefined && numLabels !== labels.length) {
    throw new Error(`config.json: "num_labels" is ${numLabels} but "id2label" has ${labels.length} labels`);
  }
  return labels;
}

/** Hugging Face's problem_type, or the label count: multi-label → sigmoid, one label or regression → raw, else softmax. */
export function classificationFunction(config: JsonObject, labels: string[] | undefined): { value: NonNullable<Manifest['function_to_apply']>; source: string } {
  const problem = field(config, 'problem_type', 'config.json', isString, 'a string');
  if (problem !== undefined && !PROBLEM_TYPES.includes(problem)) {
    throw new Error(`config.json: "problem_type" is "${problem}", not one of ${PROBLEM_TYPES.join(', ')}`);
  }
  const count = labels?.length ?? field(config, 'num_labels', 'config.json', isPositiveInt, 'a positive integer');
  if (problem === 'multi_label_classification') return { value: 'sigmoid', source: 'config.json: problem_type = "multi_label_classification"' };
  if (problem === 'regression') return { value: 'none', source: 'config.json: problem_type = "regression"' };
  if (count === 1) return { value: 'none', source: `config.json: ${labels ? 'id2label' : 'num_labels'} has one label (regression)` };
  return { value: 'softmax', source: problem ? `config.json: problem_type = "${problem}"` : 'default (single-label classification)' };
}
