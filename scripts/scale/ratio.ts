// Throughput through the balancer with one replica against the same replica addressed directly,
// same run: the other replicas in maintenance, closed loops alternating direct / balancer /
// balancer / direct after a warm-up, so that drift on the shared machine hits both sides alike.
// Enough connections to keep the replica saturated: with too few, the closed loop is bound by
// latency, and the extra hop (a process that waits for a core like every other) is what it measures.
import type { Check } from '../reliability/output.ts';
import { serverName, type Cluster } from './cluster.ts';
import { setState } from './haproxy.ts';
import { SCALE_ROUTES, type ClosedOutcome } from './traffic.ts';

export interface RatioResult {
  connections: number;
  warmup_seconds: number;
  round_seconds: number;
  rounds: { via: 'direct' | 'balancer'; answers_per_s: number; failures: number; by_status: Record<string, number> }[];
  direct_per_s: number;
  balancer_per_s: number;
  ratio: number;
  checks: Check[];
}

/** Balanced, so that a drift over the run (warm-up, other work on the machine) favours neither side. */
const ORDER = ['balancer', 'direct', 'direct', 'balancer', 'balancer', 'direct', 'direct', 'balancer'] as const;

export async function balancerRatio(cluster: Cluster, o: { connections: number; warmupSeconds: number; roundSeconds: number; minRatio: number }): Promise<RatioResult> {
  const one = cluster.replicas.get(1)!;
  const others = cluster.hosts.slice(1).map((h) => serverName(h.index));
  const socket = cluster.haproxy!.socket;
  const closed = (url: string, connections: number, seconds: number) => cluster.traffic<ClosedOutcome>({ mode: 'closed', url, routes: SCALE_ROUTES, connections, seconds }).outcome;
  for (const s of others) await setState(socket, s, 'maint');
  const rounds: RatioResult['rounds'] = [];
  try {
    await closed(one.url, o.connections, o.warmupSeconds);
    for (const via of ORDER) {
      const r = await closed(via === 'direct' ? one.url : cluster.url, o.connections, o.roundSeconds);
      rounds.push({ via, answers_per_s: r.answers_per_s, failures: r.failures, by_status: r.by_status });
    }
  } finally {
    const since = Date.now();
    for (const s of others) await setState(socket, s, 'ready');
    for (const s of others) await cluster.until(s, 'UP', 20_000, since);
  }
  const mean = (via: string) => rounds.filter((r) => r.via === via).reduce((a, r) => a + r.answers_per_s, 0) / (ORDER.length / 2);
  const direct = mean('direct');
  const balancer = mean('balancer');
  const ratio = balancer / direct;
  const failures = rounds.reduce((n, r) => n + r.failures, 0);
  return {
    connections: o.connections,
    warmup_seconds: o.warmupSeconds,
    round_seconds: o.roundSeconds,
    rounds,
    direct_per_s: direct,
    balancer_per_s: balancer,
    ratio,
    checks: [
      {
        subject: 'one replica',
        check: `throughput through the balancer ≥ ${o.minRatio} × direct`,
        holds: ratio >= o.minRatio,
        detail: `${balancer.toFixed(0)} / ${direct.toFixed(0)} 2xx/s = ${ratio.toFixed(2)}`,
      },
      { subject: 'one replica', check: 'no failed request in the closed loops', holds: failures === 0, detail: `${failures} failed` },
    ],
  };
}
