// Child-process entry of plan.ts: runs the load plan given as JSON in argv[2] and prints its
// outcome as one JSON line.
import { runPlan, type Plan } from './plan.ts';

const plan = JSON.parse(process.argv[2] ?? '') as Plan;
console.log(JSON.stringify(await runPlan(plan)));
