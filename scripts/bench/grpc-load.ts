// A closed-loop gRPC load generator for the wire-format benchmark, in its own process (like
// autocannon): `connections` calls in flight at once, spread over 4 channels, each sent again as
// soon as it is answered, for `seconds`. The request is serialised once and its bytes reused.
// node scripts/bench/grpc-load.ts <host:port> <batch> <connections> <seconds>
import grpc from '@grpc/grpc-js';
import { inferenceService } from '../../server/protocols/grpc/proto.ts';
import { assertLoopback, percentile } from './load.ts';
import { grpcRequest } from './wire.ts';

const [address = '', batchArg = '64', connectionsArg = '16', secondsArg = '10'] = process.argv.slice(2);
assertLoopback(`http://${address}`);

const method = inferenceService.ModelInfer!;
const request = method.requestSerialize(grpcRequest(Number(batchArg)));
const identity = (b: Buffer) => b;
// Separate subchannel pools give each client its own HTTP/2 connection.
const clients = Array.from({ length: 4 }, () => new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 64 << 20 }));

function call(client: grpc.Client): Promise<{ ms: number; bytes: number } | null> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    client.makeUnaryRequest(method.path, identity, identity, request, (err, reply) => resolve(err || !reply ? null : { ms: performance.now() - t0, bytes: reply.length })),
  );
}

const latencies: number[] = [];
let errors = 0;
let responseBytes = 0;
const deadline = performance.now() + Number(secondsArg) * 1000;
const start = performance.now();
await Promise.all(
  Array.from({ length: Number(connectionsArg) }, async (_, i) => {
    while (performance.now() < deadline) {
      const r = await call(clients[i % clients.length]!);
      if (!r) errors++;
      else {
        latencies.push(r.ms);
        responseBytes = r.bytes;
      }
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
for (const c of clients) c.close();
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors,
    non2xx: 0,
    request_bytes: request.length,
    response_bytes: responseBytes,
  }),
);
