import { UsageError } from "@regwatch/core/errors";

/** Where a command writes. Commands never touch process.stdout, so a running server can run them for another process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
}

export function processIo(): Io {
  // `regwatch changes | head` closes the pipe early; that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}

export function usage(message: string): never {
  throw new UsageError(message);
}

export function isoDateArg(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value))
    usage(`${flag} expects an ISO date, got "${value}"`);
  const date = new Date(/T/.test(value) ? value : `${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) usage(`${flag}: "${value}" is not a valid date`);
  return date;
}
