// The gRPC protocol definitions ortserve serves, loaded from the vendored .proto files beside this
// file (see NOTICE): KServe V2's inference.GRPCInferenceService, Triton's repository methods on the
// same service, and grpc.health.v1.Health. Messages keep the proto's snake_case field names, int64
// fields are JS numbers and bytes are Buffers; the interfaces below type what the server reads and
// writes.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import path from 'node:path';

const DIR = import.meta.dirname;
export const PROTO_FILES = {
  inference: path.join(DIR, 'grpc_predict_v2.proto'),
  repository: path.join(DIR, 'model_repository.proto'),
  health: path.join(DIR, 'health.proto'),
} as const;

/** How messages become JS objects (clients in the tests load the same files with these options). */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, oneofs: true };

function service(file: string, name: string): ServiceDefinition {
  const def = loadSync(file, LOADER_OPTIONS)[name];
  // Message and enum definitions carry a `format`; a service is a plain map of its methods.
  if (!def || 'format' in def) throw new Error(`${path.basename(file)} defines no service ${name}. This is a bug.`);
  return def;
}

/** ServerLive … ModelInfer, as the KServe proto defines them. */
export const inferenceService = service(PROTO_FILES.inference, 'inference.GRPCInferenceService');
/** RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload: the same service name, Triton's messages. */
export const repositoryService = service(PROTO_FILES.repository, 'inference.GRPCInferenceService');
export const healthService = service(PROTO_FILES.health, 'grpc.health.v1.Health');

export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';

/** InferParameter: exactly one of the values, named by `parameter_choice`. */
export interface InferParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param';
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
}

/** InferTensorContents: the one field that matches the tensor's datatype holds its values. */
export interface InferTensorContents {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: number[];
  uint_contents: number[];
  uint64_contents: number[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Buffer[];
}

export interface InferInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  parameters: Record<string, InferParameter>;
  contents?: InferTensorContents | null;
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: InferInputTensor[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
}

export interface InferOutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents?: Partial<InferTensorContents>;
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: InferOutputTensor[];
  raw_output_contents: Uint8Array[];
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadataResponse {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface ModelRef {
  name: string;
  version: string;
}

export interface RepositoryModelRequest {
  repository_name: string;
  model_name: string;
}

export interface RepositoryIndexResponse {
  models: { name: string; version: string; state: string; reason: string }[];
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
