/**
 * One measured load run: waits for an idle machine, runs the load, and records what the
 * server, Redis, the load generator and everything else used meanwhile.
 */
import type { RedisClient } from '../src/adapters/redis/client.js';
import { runLoad, type LoadSpec } from './load.js';
import { machineBusyS, processCpuS, redisCpuS } from './machine.js';
import type { RunRecord } from './report.js';

/** `quietWaitS`: how long a run waits at most for the machine to be idle (0: not at all). */
export function createMeasure(redis: RedisClient, quietWaitS = 30) {
  async function evalshaStats(): Promise<{ calls: number; usec: number }> {
    const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
    return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
  }

  /**
   * Waits (≤ quietWaitS) until the machine is nearly idle, since other work on a shared machine skews a
   * run; returns the cores other processes were using when the run started.
   */
  async function waitQuiet(): Promise<number> {
    let busy = Infinity;
    for (let i = 0; i < Math.max(1, quietWaitS) && busy > 0.25; i++) {
      const b0 = machineBusyS();
      await new Promise((r) => setTimeout(r, 1_000));
      busy = machineBusyS() - b0;
    }
    return Math.round(busy * 100) / 100;
  }

  /** Runs one load and records the CPU used during the measured part by the server, Redis and this process. */
  async function measure(target: string, pid: number | null, spec: LoadSpec): Promise<RunRecord> {
    const busyBefore = await waitQuiet();
    const mono = () => Number(process.hrtime.bigint() / 1000n);
    let window = { fromUs: 0, toUs: 0 };
    let cpu0 = { server: 0, redis: 0, self: process.cpuUsage(), machine: 0, t: 0 };
    let lua0 = { calls: 0, usec: 0 };
    let cpu1 = { server: 0, redis: 0, self: process.cpuUsage(), machine: 0, t: 0 };
    let lua1 = { calls: 0, usec: 0 };
    const read = async () => ({ server: pid ? processCpuS(pid) : 0, redis: await redisCpuS(redis), self: process.cpuUsage(), machine: machineBusyS(), t: performance.now() });
    const r = await runLoad({
      ...spec,
      around: {
        before: async () => {
          lua0 = await evalshaStats();
          cpu0 = await read();
          window.fromUs = mono();
        },
        after: async () => {
          window = { ...window, toUs: mono() };
          cpu1 = await read();
          lua1 = await evalshaStats();
        },
      },
    });
    const wall = (cpu1.t - cpu0.t) / 1000;
    const cores = (s: number) => Math.round((s / wall) * 100) / 100;
    const server = cpu1.server - cpu0.server;
    const redisS = cpu1.redis - cpu0.redis;
    const selfS = (cpu1.self.user - cpu0.self.user + cpu1.self.system - cpu0.self.system) / 1e6;
    const machineS = cpu1.machine - cpu0.machine;
    const record: RunRecord = {
      ...r,
      target,
      machine_busy_cores_before: busyBefore,
      cpu_cores: {
        server: pid ? cores(server) : null,
        redis: cores(redisS),
        load_generator: cores(selfS),
        whole_machine: cores(machineS),
        other_processes: cores(Math.max(0, machineS - server - redisS - selfS)),
      },
      server_cpu_us_per_request: pid ? Math.round((server * 1e6) / Math.max(1, r.requests)) : null,
      window_us: window,
    };
    if (lua1.calls > lua0.calls) record.redis_evalsha_us_per_call = Math.round(((lua1.usec - lua0.usec) / (lua1.calls - lua0.calls)) * 10) / 10;
    console.log(`  ${r.name}${r.rate ? ` @${r.rate}/s` : ''}: ${r.req_per_s} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, errors ${r.errors}, non-2xx ${r.non_2xx}, server CPU ${record.server_cpu_us_per_request ?? '-'} µs/req (other processes: ${busyBefore} cores before, ${record.cpu_cores.other_processes} during)`);
    return record;
  }

  return measure;
}

/** switchboard_redis_degraded_total of a running server (handshakes answered without Redis). */
export async function degradedTotal(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^switchboard_redis_degraded_total\s+(\S+)/m.exec(text)?.[1] ?? 0);
}
