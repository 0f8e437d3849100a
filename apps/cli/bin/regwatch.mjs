#!/usr/bin/env node
// Runs the compiled CLI (apps/cli/dist, built by `npm install` / `npm ci`
// through the root `prepare` script, or `npm run build`). When that build is
// missing or older than the sources, it runs the TypeScript sources through
// tsx instead: slower to start, never out of date, and it writes nothing
// (docs/decisions/0006-compiled-cli.md).
import { buildIsFresh } from "./build-freshness.mjs";

if (buildIsFresh()) {
  const { main } = await import("../dist/main.js");
  await main();
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../src/main.ts");
  await main();
}
