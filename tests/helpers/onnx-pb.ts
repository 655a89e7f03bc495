// Reads ONNX TensorProto test vectors (test_data_set_*/input_0.pb) with onnx-proto.
import fs from 'node:fs';
import { onnx } from 'onnx-proto';

export function readTensorPb(file: string): { name: string; dims: number[]; data: number[] } {
  const t = onnx.TensorProto.decode(fs.readFileSync(file));
  const dims = t.dims.map(Number);
  if ((t.dataType as onnx.TensorProto.DataType) !== onnx.TensorProto.DataType.FLOAT) throw new Error(`${file}: only FLOAT test vectors are read here`);
  const data = t.rawData?.length ? Array.from(new Float32Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength))) : Array.from(t.floatData);
  return { name: t.name ?? '', dims, data };
}
