// The draining SMTP server of deliver.ts in a process of its own, for benches
// that measure what regwatch does up to the server's acceptance: reading and
// acknowledging the messages is the receiving server's work, not the sender's,
// and on a 2-core machine it would otherwise share the sender's event loop.
// The child says each acceptance over IPC; the parent counts them on arrival.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type DrainSmtpServer, startDrainSmtpServer } from "./deliver.ts";

const CHILD_FLAG = "--smtp-child";

if (process.argv.includes(CHILD_FLAG)) {
  const server = await startDrainSmtpServer();
  process.send!({ url: server.url });
  // One notice per accepted message, in order.
  for (let n = 1; ; n++) {
    await server.waitFor(n, 2 ** 31 - 1);
    process.send!({ accepted: n });
  }
}

/** `startDrainSmtpServer`, in a child process; `waitFor` resolves when the parent hears of the acceptance. */
export async function startDrainSmtpServerInChild(): Promise<Omit<DrainSmtpServer, "takeMessageIds">> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let accepted = 0;
  const waiters: { count: number; resolve(at: number): void }[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`SMTP child exited with ${code}`)));
    child.on("message", (m: { url?: string; accepted?: number }) => {
      if (m.url) resolve(m.url);
      if (m.accepted) {
        accepted = m.accepted;
        const at = performance.now();
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (accepted >= waiters[i]!.count) waiters.splice(i, 1)[0]!.resolve(at);
        }
      }
    });
  });
  return {
    url,
    accepted: () => accepted,
    waitFor(count, timeoutMs) {
      if (accepted >= count) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${accepted}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve(at) {
            clearTimeout(timer);
            resolve(at);
          },
        });
      });
    },
    async close() {
      child.removeAllListeners("exit");
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill();
      });
    },
  };
}
