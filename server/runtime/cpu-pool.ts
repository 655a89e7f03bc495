// A small pool of worker threads (piscina) for CPU work that must not hold the event loop:
// decoding and resizing uploads. The task module is given per call, so the runtime knows nothing
// of what runs in it; inputs and outputs cross by transfer, not copy.
import { Piscina } from 'piscina';

export interface CpuPool {
  readonly threads: number;
  /** Runs `task`'s default export on `input` in a pool thread. */
  run<T>(task: URL, input: unknown, transfer?: ArrayBuffer[]): Promise<T>;
  close(): Promise<void>;
}

export function createCpuPool(threads: number): CpuPool {
  const piscina = new Piscina({ minThreads: threads, maxThreads: threads, idleTimeout: Infinity, concurrentTasksPerWorker: 4 });
  return {
    threads,
    run: <T>(task: URL, input: unknown, transfer: ArrayBuffer[] = []) => piscina.run(input, { filename: task.href, transferList: transfer }) as Promise<T>,
    close: () => piscina.destroy(),
  };
}
