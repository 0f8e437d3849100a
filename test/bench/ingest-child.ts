// One `regwatch ingest` in its own process, reporting its peak RSS: run by
// large-document.ts so that each measurement starts from a clean heap.
//   node --import tsx test/bench/ingest-child.ts <source> <file> <as-of>
import { execute } from "../../apps/cli/src/main.ts";

const [sourceId, file, asOf] = process.argv.slice(2);
let out = "";
let err = "";
const started = performance.now();
const code = await execute(["ingest", sourceId!, file!, "--as-of", asOf!], {
  out: (t) => {
    out += t;
  },
  err: (t) => {
    err += t;
  },
  cwd: process.cwd(),
  env: process.env,
});
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ code, ms, peakRssMb: process.resourceUsage().maxRSS / 1024, out: out.trim(), err: err.trim().slice(0, 500) })}\n`,
);
