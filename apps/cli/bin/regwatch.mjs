#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between a
// clone and `npm start`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
await main();
