import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { sha256Hex } from "@regwatch/core/text";
import { ingestBytes } from "@regwatch/pipeline/run-source";
import type { CommandRun } from "../command.ts";
import { expectPositionals, isoDateArg } from "../io.ts";
import { deliverNow, describeDelivery } from "./deliver.ts";
import { describeOutcome } from "./run.ts";
import { sourceArg } from "./source-arg.ts";

/**
 * A local file as a fetched body. The same size cap as a fetch: a file no
 * source could ever have fetched is refused before it costs any memory.
 */
function readDocument(path: string, maxBytes: number) {
  const size = statSync(path).size;
  if (size > maxBytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new Error(
      `${path} is ${mb(size)}, over the ${mb(maxBytes)} a source may fetch (REGWATCH_MAX_RESPONSE_BYTES)`,
    );
  }
  const body = new Uint8Array(readFileSync(path));
  return { body, url: pathToFileURL(path).toString(), sha256: sha256Hex(body) };
}

export const run: CommandRun = async (args, { io, config, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    // --force: take a file older than the accepted version as the newest (a genuine return to an earlier text).
    options: { at: { type: "string" }, "as-of": { type: "string" }, force: { type: "boolean" } },
    allowPositionals: true,
  });
  expectPositionals(positionals, ["<source>", "<file>"]);
  const source = sourceArg(positionals[0]!);
  const runAt = isoDateArg(values.at, "--at") ?? new Date();
  const asOf = isoDateArg(values["as-of"], "--as-of")?.toISOString().slice(0, 10) ?? null;
  const path = resolve(io.cwd, positionals[1]!);
  const input = readDocument(path, config.http.maxResponseBytes);
  const { deps } = await runtime();
  // ingestBytes takes the bytes: nothing here holds them while a large file is stored.
  const outcome = await ingestBytes(deps, source, input, {
    runAt,
    asOf: asOf ?? (values.at ? runAt.toISOString().slice(0, 10) : null),
    force: values.force ?? false,
  });
  if (outcome.status === "stale") {
    io.err(`regwatch: ${positionals[1]}: ${outcome.reason}\n`);
    return 1;
  }
  io.out(`${describeOutcome(outcome)}\n`);
  // Subscribers hear of it now, not at the service's next sweep.
  if (outcome.records.some((r) => r.alert)) {
    const delivery = await deliverNow(await runtime());
    // Said only when there was someone to tell.
    if (delivery && delivery.sent + delivery.deferred + delivery.failed + delivery.skipped > 0)
      io.out(`${describeDelivery(delivery)}\n`);
  }
  return outcome.status === "failed" || outcome.status === "quarantined" ? 1 : 0;
};
