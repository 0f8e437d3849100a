// Opens a data directory in a process of its own, for the lock tests:
//   node --import tsx hold-data-dir.ts <dataDir> <holdMs | forever> [--wait-for-go]
// Prints "opened <pid>", "busy <owner pid>" or "error <message>" on stdout.
// With --wait-for-go it loads everything, prints "loaded" and waits for a line
// on stdin, so that several copies try the lock at the same moment.
import { once } from "node:events";
import { DatabaseBusyError, openDatabase } from "../src/open-database.ts";

const [dataDir, hold, flag] = process.argv.slice(2);
if (flag === "--wait-for-go") {
  process.stdout.write("loaded\n");
  await once(process.stdin, "data");
}
try {
  const database = await openDatabase({ dataDir: dataDir! });
  process.stdout.write(`opened ${process.pid}\n`);
  if (hold === "forever") {
    // The lock's socket does not keep a process alive: this timer does, until the test kills us.
    setInterval(() => {}, 60_000);
  } else {
    await new Promise((r) => setTimeout(r, Number(hold)));
    await database.close();
  }
} catch (err) {
  if (err instanceof DatabaseBusyError) {
    process.stdout.write(`busy ${err.pid}\n`);
    process.exitCode = 3;
  } else {
    process.stdout.write(`error ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
process.stdin.destroy();
