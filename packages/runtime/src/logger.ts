import { createRequire } from "node:module";
import type { Logger } from "@regwatch/core/http";
import type pinoModule from "pino";

const require = createRequire(import.meta.url);

/**
 * A pino logger writing JSON lines through `write` (a command's stderr), made
 * on first use: pino costs ~35 ms to load, and `parse` and `diff` never log.
 */
export function createLogger(write: (line: string) => void, level: string): Logger {
  let logger: Logger | undefined;
  const get = () => {
    if (!logger) {
      const pino = require("pino") as typeof pinoModule;
      logger = pino(
        { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
        { write },
      ) as unknown as Logger;
    }
    return logger;
  };
  return {
    debug: (obj, msg) => get().debug(obj, msg),
    info: (obj, msg) => get().info(obj, msg),
    warn: (obj, msg) => get().warn(obj, msg),
    error: (obj, msg) => get().error(obj, msg),
  };
}
