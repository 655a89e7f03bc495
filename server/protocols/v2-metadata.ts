// KServe V2 server and model metadata: one answer whether it is asked over REST (GET /v2,
// GET /v2/models/:model) or gRPC (ServerMetadata, ModelMetadata).
import type { ModelSource } from '../repository/repository.ts';
import type { TensorInfo } from '../runtime/onnx.ts';
import { v2Datatype } from './v2-tensors.ts';

export const SERVER_NAME = 'ortserve';
export const SERVER_VERSION = '0.1.0';

export interface V2TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** Name, version and protocol extensions (the repository one only when an admin token enables it). */
export function serverMetadata(adminToken: string | undefined): { name: string; version: string; extensions: string[] } {
  return { name: SERVER_NAME, version: SERVER_VERSION, extensions: ['binary_tensor_data', ...(adminToken ? ['model_repository'] : [])] };
}

const tensors = (list: readonly TensorInfo[]): V2TensorMetadata[] => list.map((t) => ({ name: t.name, datatype: t.isTensor ? v2Datatype(t.type) : 'NON_TENSOR', shape: t.shape ?? [] }));

/** A ready model's metadata: its primary graph's inputs and outputs (-1 for a dynamic dimension). */
export function modelMetadata(name: string, source: ModelSource, tensor: { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] }) {
  return { name, versions: source.versions, platform: 'onnxruntime_onnx', inputs: tensors(tensor.inputs), outputs: tensors(tensor.outputs) };
}
