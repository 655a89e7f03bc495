// Child-process entry of the scale harness's clients (traffic.ts), so that the load never shares an
// event loop with the harness that times the scenario. argv[2] is the job as JSON: an open-loop mix
// that runs until stdin closes (or maxSeconds pass), or a closed loop of fixed length. Prints the
// outcome as one JSON line.
import { closedLoop, openLoad, type OpenLoad, type ScaleRoute } from './traffic.ts';

type Job = ({ mode: 'open'; maxSeconds: number } & OpenLoad) | { mode: 'closed'; url: string; routes: ScaleRoute[]; connections: number; seconds: number };

const job = JSON.parse(process.argv[2] ?? '') as Job;
if (job.mode === 'closed') console.log(JSON.stringify(await closedLoop(job.url, job.routes, job.connections, job.seconds)));
else {
  const stop = new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).resume();
    setTimeout(resolve, job.maxSeconds * 1000).unref();
  });
  console.log(JSON.stringify(await openLoad(job, stop)));
}
