#!/usr/bin/env python3
"""A KServe V2 gRPC client that shares no code with ortserve: Debian's python3-grpcio and the stubs
grpc_tools.protoc compiles from the official grpc_predict_v2.proto, as a user of the protocol
would write it. tests/compat/grpc-python.test.ts runs it and checks its report.

    python3 tests/compat/grpc_v2_client.py PLAN.json

PLAN: {"address": "host:port", "proto": ".../grpc_predict_v2.proto", "steps": [...]}, each step
one of
    {"sleep": seconds}
    {"id": ..., "method": "ServerMetadata" | "ModelMetadata" | ..., "request": {...}}   (a JSON message)
    {"id": ..., "method": "ModelInfer", "infer": {"model", "id"?, "raw"?, "outputs"?, "inputs":
        [{"name", "datatype", "shape", "values" | "fill"}]}, "count"?: n, "background"?: true}
Prints one JSON object: step id → the response (ModelInfer outputs decoded to lists) or
{"code": "INVALID_ARGUMENT", "details": ...}; a step with a count gives a list.
"""
import array
import json
import subprocess
import sys
import tempfile
import time

import grpc
from google.protobuf import json_format

# The typed-contents field of each datatype, and the array module's code for its raw bytes.
FIELD = {
    'BOOL': 'bool_contents', 'INT8': 'int_contents', 'INT16': 'int_contents', 'INT32': 'int_contents',
    'INT64': 'int64_contents', 'UINT8': 'uint_contents', 'UINT16': 'uint_contents', 'UINT32': 'uint_contents',
    'UINT64': 'uint64_contents', 'FP32': 'fp32_contents', 'FP64': 'fp64_contents', 'BYTES': 'bytes_contents',
}
RAW = {'BOOL': 'B', 'INT8': 'b', 'INT16': 'h', 'INT32': 'i', 'INT64': 'q', 'UINT8': 'B', 'UINT16': 'H',
       'UINT32': 'I', 'UINT64': 'Q', 'FP32': 'f', 'FP64': 'd'}


def compile_proto(proto):
    """grpc_predict_v2_pb2 and _pb2_grpc, compiled into a temporary folder and imported."""
    out = tempfile.mkdtemp(prefix='ortserve-grpc-py-')
    folder, name = proto.rsplit('/', 1)
    subprocess.run([sys.executable, '-m', 'grpc_tools.protoc', f'-I{folder}', f'--python_out={out}',
                    f'--grpc_python_out={out}', name], check=True)
    sys.path.insert(0, out)
    import grpc_predict_v2_pb2 as pb  # noqa: E402
    import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402
    return pb, pb_grpc


def infer_request(pb, spec):
    req = pb.ModelInferRequest(model_name=spec['model'], id=spec.get('id', ''))
    for t in spec['inputs']:
        size = 1
        for d in t['shape']:
            size *= d
        values = t['values'] if 'values' in t else [t['fill']] * size
        tensor = req.inputs.add(name=t['name'], datatype=t['datatype'], shape=t['shape'])
        if spec.get('raw'):
            req.raw_input_contents.append(array.array(RAW[t['datatype']], values).tobytes())
        else:
            getattr(tensor.contents, FIELD[t['datatype']]).extend(values)
    for name in spec.get('outputs', []):
        req.outputs.add(name=name)
    return req


def decode_infer(resp):
    outputs = []
    for i, o in enumerate(resp.outputs):
        if resp.raw_output_contents:
            data = array.array(RAW[o.datatype], resp.raw_output_contents[i]).tolist()
        else:
            data = list(getattr(o.contents, FIELD[o.datatype]))
        outputs.append({'name': o.name, 'datatype': o.datatype, 'shape': list(o.shape), 'data': data,
                        'raw': bool(resp.raw_output_contents)})
    return {'model_name': resp.model_name, 'model_version': resp.model_version, 'id': resp.id, 'outputs': outputs}


def outcome(call):
    """The decoded answer of a finished call (a future), or its status code and message."""
    try:
        resp = call.result()
    except grpc.RpcError as err:
        return {'code': err.code().name, 'details': err.details()}
    if resp.DESCRIPTOR.name == 'ModelInferResponse':
        return decode_infer(resp)
    try:
        return json_format.MessageToDict(resp, preserving_proto_field_name=True, including_default_value_fields=True)
    except TypeError:  # protobuf >= 26 renamed the option
        return json_format.MessageToDict(resp, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def main():
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    if sys.byteorder != 'little':
        sys.exit('raw tensor contents are little-endian; this client assumes a little-endian host')
    pb, pb_grpc = compile_proto(plan['proto'])
    channel = grpc.insecure_channel(plan['address'], options=[('grpc.max_receive_message_length', 64 << 20)])
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    report, pending = {}, []
    for step in plan['steps']:
        if 'sleep' in step:
            time.sleep(step['sleep'])
            continue
        method = step['method']
        if method == 'ModelInfer':
            request = infer_request(pb, step['infer'])
        else:
            request = json_format.ParseDict(step.get('request', {}), getattr(pb, f'{method}Request')())
        calls = [getattr(stub, method).future(request, timeout=60) for _ in range(step.get('count', 1))]
        pending.append((step, calls))
        if not step.get('background'):
            for s, c in pending:
                report[s['id']] = [outcome(x) for x in c] if 'count' in s else outcome(c[0])
            pending = []
    for s, c in pending:
        report[s['id']] = [outcome(x) for x in c] if 'count' in s else outcome(c[0])
    channel.close()
    print(json.dumps(report))


if __name__ == '__main__':
    main()
