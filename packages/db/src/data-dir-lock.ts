import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { basename, join, relative } from "node:path";

// Only one process may open PGlite's files. The lock is a Unix socket the
// owner listens on inside the data directory: it dies with its process
// whatever killed it (kill -9, a container restart), and it means the same
// thing in any PID namespace, so neither "pid 1 again after a restart" nor "a
// pid from another boot" can pass for the owner. See
// docs/decisions/0002-one-process-owns-pglite.md for the races it handles.

const LOCK_SOCKET = "db.lock.sock";
/** Held for the few milliseconds it takes to clear a stale lock, so two processes never clear it at once. */
const TAKEOVER_SOCKET = "db.lock.takeover.sock";
/** The pid file of earlier versions; harmless, removed once we hold the lock. */
const LEGACY_PID_FILE = "db.lock";

/** sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, the final NUL included. */
const SUN_PATH_MAX = process.platform === "linux" ? 107 : 103;
/** The longest name we bind or connect to: the takeover socket's private name (see `privateName`). */
const LONGEST_NAME = `${TAKEOVER_SOCKET}.4194304.ffffffff`;
/** Private names (`privateName`) that a process killed at the wrong moment may leave behind. */
const LEFTOVER = /^db\.lock\.(takeover\.)?sock\.\d+\.[0-9a-f]{8}$/;
/** An owner busy in PGlite's synchronous WASM may take a while to say who it is; it is busy either way. */
const IDENTITY_WAIT_MS = 1000;
/** A process clears a stale lock in milliseconds; this long means it is stopped or hung. */
const TAKEOVER_WAIT_MS = 10_000;
/** Each round either wins, meets a live owner, or clears one dead socket; more than this is not a race. */
const MAX_ROUNDS = 20;

export interface LockOwner {
  pid: number | null;
  command: string | null;
}

/** Another process (or this one, a second time) holds the embedded database. */
export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
    readonly command: string | null = null,
  ) {
    const who =
      pid === process.pid
        ? `already open in this process (pid ${pid})`
        : `open in another process${pid ? ` (pid ${pid})` : ""}${command ? ` running ${command}` : ""}`;
    super(`the database in ${dataDir} is ${who}`);
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Where to bind or connect for a name in the data directory. Paths longer
 * than sun_path go through a short alias of the same directory, so every
 * process, whatever its cwd, meets on the same file:
 * - Linux: /proc/self/fd/N/<name>, N a descriptor on the directory held as
 *   long as the lock (libuv unlinks the path a socket was bound with when it
 *   closes: that path must not lead into another directory by then).
 * - elsewhere: the path relative to the cwd when that is short enough
 *   (regwatch never changes its cwd, which that unlink also relies on).
 * An abstract socket (Linux, no file) would fit any length but lives in the
 * network namespace, not the file system: two containers sharing the volume
 * but not the network would not see each other's lock, and a process whose
 * path fits would not see one that used the abstract name.
 */
interface SocketDir {
  address(name: string): string;
  path(name: string): string;
  close(): void;
}

function socketDir(dataDir: string): SocketDir {
  const path = (name: string) => join(dataDir, name);
  const fits = (p: string) => Buffer.byteLength(p) <= SUN_PATH_MAX;
  if (fits(path(LONGEST_NAME))) return { address: path, path, close() {} };
  if (process.platform === "linux") {
    const fd = openSync(dataDir, "r");
    return { address: (name) => `/proc/self/fd/${fd}/${name}`, path, close: () => closeSync(fd) };
  }
  const rel = relative(process.cwd(), dataDir);
  if (fits(join(rel, LONGEST_NAME))) return { address: (name) => join(rel, name), path, close() {} };
  throw new Error(
    `the data directory ${dataDir} has too long a path for its lock socket (at most ${SUN_PATH_MAX - LONGEST_NAME.length - 1} bytes); choose a shorter REGWATCH_DATA_DIR or run from a directory near it`,
  );
}

function ownIdentity(): LockOwner {
  const script = process.argv[1] ? basename(process.argv[1]) : "node";
  return { pid: process.pid, command: [script, ...process.argv.slice(2)].join(" ").slice(0, 200) };
}

interface Listener {
  server: Server;
  connections: Set<Socket>;
}

/** A name no other process uses, beside `name`. */
function privateName(name: string): string {
  return `${name}.${process.pid}.${randomBytes(4).toString("hex")}`;
}

/** Listens on `address`, answering every connection with who we are. */
function listenOn(address: string): Promise<Listener> {
  const identity = `${JSON.stringify(ownIdentity())}\n`;
  const connections = new Set<Socket>();
  const server = createServer((conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn));
    conn.on("error", () => {}); // a prober that hangs up early is no concern of the owner's
    conn.unref();
    conn.end(identity);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Anyone who can see the directory may ask who holds it; with the default mode another user's
    // connect fails with EACCES, which says nothing about whether the owner lives.
    server.listen({ path: address, readableAll: true, writableAll: true }, () => {
      server.removeAllListeners("error");
      // An accept that fails (EMFILE) must not crash the owner: the lock is the bound name, not the accepts.
      server.on("error", () => {});
      server.unref();
      resolve({ server, connections });
    });
  });
}

async function closeListener(listener: Listener): Promise<void> {
  const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
  for (const conn of listener.connections) conn.destroy();
  await closed;
}

/**
 * Listens under `name` in the directory, or returns null when the name is
 * taken. bind and listen are two system calls, and between them a connect is
 * refused exactly as for a dead socket; so the socket is bound and listening
 * under a private name first and only then linked to `name` (link is as
 * atomic as bind: EEXIST if the name exists). Under the shared name there is
 * never a socket that is not listening yet, and refused means dead.
 */
async function publish(dir: SocketDir, name: string): Promise<{ release(): Promise<void> } | null> {
  const own = privateName(name);
  let listener: Listener;
  try {
    listener = await listenOn(dir.address(own));
  } catch (err) {
    // The owner's `sweepLeftovers` took our private name for a leftover between bind and chmod.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let ino: number;
  try {
    ino = statSync(dir.path(own)).ino;
    linkSync(dir.path(own), dir.path(name));
  } catch (err) {
    await closeListener(listener); // libuv unlinks the private name
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT: the same, a moment later.
    if (code === "EEXIST" || code === "ENOENT") return null;
    throw err;
  }
  rmSync(dir.path(own), { force: true });
  return {
    async release() {
      // Unlinked before the socket closes, as libuv does for the name it bound: a newcomer binding
      // meanwhile is never the one removed. Only our own inode: never someone else's socket.
      try {
        if (statSync(dir.path(name)).ino === ino) unlinkSync(dir.path(name));
      } catch {
        // Already gone.
      }
      await closeListener(listener);
    },
  };
}

type Probe =
  | { state: "alive"; owner: LockOwner }
  | { state: "dead" }
  /** Nothing under that name, or its owner closed it as we knocked: look again. */
  | { state: "changed" };

/** Connects to a lock socket: a listener means a live owner; refused means its process is gone. */
function probe(address: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    let text = "";
    let connected = false;
    let timer: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(timer);
      socket.destroy();
      let owner: LockOwner = { pid: null, command: null };
      try {
        const parsed = JSON.parse(text) as Partial<LockOwner>;
        owner = { pid: typeof parsed.pid === "number" ? parsed.pid : null, command: parsed.command ?? null };
      } catch {
        // Connected but it did not say who it is in time: still an owner.
      }
      resolve({ state: "alive", owner });
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      connected = true;
      timer = setTimeout(alive, IDENTITY_WAIT_MS);
    });
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("end", alive);
    socket.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (connected) alive();
      // A socket file nobody listens on, or any other file under that name.
      else if (err.code === "ECONNREFUSED") resolve({ state: "dead" });
      else if (err.code === "ENOENT" || err.code === "ECONNRESET" || err.code === "EPIPE") {
        resolve({ state: "changed" });
      }
      // A full listen queue (EAGAIN) is an owner too busy to accept right now.
      else if (err.code === "EAGAIN") resolve({ state: "alive", owner: { pid: null, command: null } });
      else reject(err);
    });
  });
}

/**
 * Removes the socket under `name` only if nobody listens on it. There is no
 * "unlink if still this inode", so the name is first renamed to one of our
 * own and what was moved is checked: a dead socket stays dead (nothing can
 * bind a name that exists), so a refused connect on the moved file is proof.
 * If another process replaced the dead socket with its live one between our
 * first check and the rename, the live one goes back under its name.
 */
async function removeIfDead(dir: SocketDir, name: string): Promise<void> {
  const aside = privateName(name);
  try {
    renameSync(dir.path(name), dir.path(aside));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    if ((await probe(dir.address(aside))).state === "dead") return;
    try {
      linkSync(dir.path(aside), dir.path(name));
    } catch (err) {
      // EEXIST: a third process took the name while it was empty. Only possible when two processes
      // believe they hold the takeover socket, which itself takes a crash inside its few milliseconds.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ENOENT") throw err;
    }
  } finally {
    rmSync(dir.path(aside), { force: true });
  }
}

/** Private names left by a process killed between two steps: removed once nobody listens on them. */
async function sweepLeftovers(dir: SocketDir, dataDir: string): Promise<void> {
  for (const name of readdirSync(dataDir)) {
    if (!LEFTOVER.test(name)) continue;
    const found = await probe(dir.address(name)).catch(() => null);
    if (found?.state === "dead") rmSync(dir.path(name), { force: true });
  }
}

/** Runs `work` while holding the takeover socket: clearing a stale lock is one process at a time. */
async function whileTakingOver(dir: SocketDir, dataDir: string, work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    const held = await publish(dir, TAKEOVER_SOCKET);
    if (held) {
      try {
        await work();
      } finally {
        await held.release();
      }
      return;
    }
    const other = await probe(dir.address(TAKEOVER_SOCKET));
    if (other.state === "alive") {
      if (Date.now() > deadline) {
        throw new Error(
          `another process${other.owner.pid ? ` (pid ${other.owner.pid})` : ""} has been taking over the lock in ${dataDir} for ${TAKEOVER_WAIT_MS / 1000} s; is it stopped?`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    } else if (other.state === "dead") {
      // Its holder died in those few milliseconds.
      await removeIfDead(dir, TAKEOVER_SOCKET);
    }
  }
}

/**
 * Takes the data directory for this process, or throws DatabaseBusyError
 * naming the live owner. A lock left by a dead process is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = socketDir(dataDir);
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const held = await publish(dir, LOCK_SOCKET);
      if (held) {
        try {
          rmSync(dir.path(LEGACY_PID_FILE), { force: true });
          await sweepLeftovers(dir, dataDir);
        } catch {
          // Not ours to remove (permissions): leftovers mean nothing to anyone.
        }
        let released = false;
        return {
          async release() {
            if (released) return;
            released = true;
            await held.release();
            dir.close();
          },
        };
      }
      const owner = await probe(dir.address(LOCK_SOCKET));
      if (owner.state === "alive") throw new DatabaseBusyError(dataDir, owner.owner.pid, owner.owner.command);
      if (owner.state === "dead") {
        await whileTakingOver(dir, dataDir, async () => {
          // Checked again now that we are the only one clearing: someone may have done it already.
          if ((await probe(dir.address(LOCK_SOCKET))).state === "dead") await removeIfDead(dir, LOCK_SOCKET);
        });
      }
    }
    throw new Error(`could not lock ${dir.path(LOCK_SOCKET)}: it keeps changing`);
  } catch (err) {
    dir.close();
    throw err;
  }
}
