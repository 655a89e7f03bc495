// CPU time spent by a process, every thread included: another process's from /proc/<pid>/stat
// (utime + stime), this process's own from process.cpuUsage(). Divided by the work done over a
// window, they give the CPU-efficiency rows of the benchmark.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ), read once. */
let ticksPerSecond: number | undefined;

/** CPU seconds (user + system, all threads) used so far by process `pid`. */
export function processCpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) are utime and stime; after the name, field 3 is the first.
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / ticksPerSecond;
}

/** CPU seconds (user + system, all threads) used so far by this process. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
