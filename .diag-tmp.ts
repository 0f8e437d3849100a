import { openDatabase } from "@regwatch/db/open-database";
import { ensureSource, getSource, recordFetchAttempt, recordSuccess } from "@regwatch/db/queries/sources";
import { findSource } from "@regwatch/sources/registry";
const db = await openDatabase({ memory: true }); await db.migrate();
const src = findSource("ca.export-control-list")!;
await ensureSource(db.db, src);
const m = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1].toFixed(2);
async function cpu(fn: () => Promise<unknown>) { const xs = []; for (let i = 0; i < 60; i++) { const c = process.cpuUsage(); await fn(); const u = process.cpuUsage(c); if (i >= 10) xs.push((u.user + u.system) / 1000); } return m(xs); }
console.log("ensureSource", await cpu(() => ensureSource(db.db, src)));
console.log("getSource", await cpu(() => getSource(db.db, src.id)));
console.log("recordFetchAttempt", await cpu(() => recordFetchAttempt(db.db, { sourceId: src.id, startedAt: new Date(), outcome: "not-modified" })));
console.log("recordSuccess", await cpu(() => recordSuccess(db.db, src.id, { at: new Date(), state: {} })));
await db.close();
