// The frozen task registry: task name → pipeline factory.
import type { Task } from '../repository/manifest.ts';
import type { ModelContext } from './context.ts';
import { imageClassification, type ImageClassificationPipeline } from './image-classification.ts';
import { imageGeneration, type ImageGenerationPipeline } from './image-generation.ts';
import { textEmbedding, type TextEmbeddingPipeline } from './text-embedding.ts';
import { textGeneration, type TextGenerationPipeline } from './text-generation.ts';

export type Pipeline = ImageClassificationPipeline | TextGenerationPipeline | ImageGenerationPipeline | TextEmbeddingPipeline;

export const PIPELINES: Readonly<Partial<Record<Task, (ctx: ModelContext) => Pipeline>>> = Object.freeze({
  'image-classification': imageClassification,
  'text-generation': textGeneration,
  'image-generation': imageGeneration,
  'text-embedding': textEmbedding,
});
