// The frozen task registry: task name → pipeline factory.
import type { Task } from '../repository/manifest.ts';
import type { ModelContext } from './context.ts';
import { fillMask, type FillMaskPipeline } from './fill-mask.ts';
import { imageClassification, type ImageClassificationPipeline } from './image-classification.ts';
import { imageGeneration, type ImageGenerationPipeline } from './image-generation.ts';
import { textClassification, type TextClassificationPipeline } from './text-classification.ts';
import { textEmbedding, type TextEmbeddingPipeline } from './text-embedding.ts';
import { textGeneration, type TextGenerationPipeline } from './text-generation.ts';
import { tokenClassification, type TokenClassificationPipeline } from './token-classification.ts';

export type Pipeline =
  ImageClassificationPipeline | TextGenerationPipeline | ImageGenerationPipeline | TextEmbeddingPipeline | TextClassificationPipeline | TokenClassificationPipeline | FillMaskPipeline;

export const PIPELINES: Readonly<Partial<Record<Task, (ctx: ModelContext) => Pipeline>>> = Object.freeze({
  'image-classification': imageClassification,
  'text-generation': textGeneration,
  'image-generation': imageGeneration,
  'text-embedding': textEmbedding,
  'text-classification': textClassification,
  'token-classification': tokenClassification,
  'fill-mask': fillMask,
});
