// Evaluates fashion-cnn through onnxruntime-node on the full 10,000-image Fashion-MNIST test set.
import { createSession } from '../../server/runtime/onnx.ts';
import { argmaxRows, classifierManifest, classify, loadFashionMnist, normalise } from '../lib/fashion.ts';
import { modelPath } from '../lib/paths.ts';

export async function evaluate(): Promise<{ model: string; lines: string[]; figures: Record<string, number> }> {
  const manifest = classifierManifest();
  const test = loadFashionMnist('t10k');
  const session = await createSession(modelPath('fashion-cnn'));
  try {
    const input = normalise(test.images, manifest.image);
    const logits = await classify(session, manifest, input, { count: test.count, batchSize: 100 });
    const predictions = argmaxRows(logits, manifest.labels.length);
    const perClass = manifest.labels.map(() => ({ correct: 0, total: 0 }));
    predictions.forEach((p, i) => {
      const entry = perClass[test.labels[i] ?? 0];
      if (!entry) throw new Error(`label ${test.labels[i]} out of range. This is a bug.`);
      entry.total++;
      if (p === test.labels[i]) entry.correct++;
    });
    const correct = perClass.reduce((a, c) => a + c.correct, 0);
    const figures: Record<string, number> = { test_images: test.count, top1_accuracy: correct / test.count };
    const lines = [`top-1 accuracy on the ${test.count} Fashion-MNIST test images: ${((100 * correct) / test.count).toFixed(2)} %`];
    manifest.labels.forEach((label, c) => {
      const entry = perClass[c] ?? { correct: 0, total: 1 };
      figures[`accuracy_${c}`] = entry.correct / entry.total;
      lines.push(`  ${String(c)} ${label.padEnd(12)} ${((100 * entry.correct) / entry.total).toFixed(1).padStart(5)} %`);
    });
    return { model: 'fashion-cnn', lines, figures };
  } finally {
    await session.release();
  }
}
