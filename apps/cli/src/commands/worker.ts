import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import { QUEUES, type QueueName } from "@regwatch/runtime/jobs";
import type { CommandRun } from "../command.ts";
import { expectPositionals } from "../io.ts";
import { serve } from "./start.ts";

/** A worker only, for more hosts: takes jobs from Redis until a signal, serves no HTTP, registers no schedules. */
export const run: CommandRun = async (args, env) => {
  const { values, positionals } = parseArgs({
    args,
    options: { queues: { type: "string" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, []);
  const queues = (values.queues ?? QUEUES.join(","))
    .split(",")
    .map((q) => q.trim())
    .filter(Boolean);
  for (const q of queues) {
    if (!(QUEUES as readonly string[]).includes(q))
      throw new UsageError(`--queues: unknown queue "${q}" (known: ${QUEUES.join(", ")})`);
  }
  if (!env.config.redisUrl) {
    env.io.err(
      "regwatch: a worker takes its jobs from Redis: set REDIS_URL (without it, `regwatch start` runs the jobs itself)\n",
    );
    return 1;
  }
  return serve(env, { web: false, worker: true, runNow: false, queues: queues as QueueName[] });
};
