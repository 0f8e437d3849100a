export * from "./artifacts.ts";
export * from "./changes.ts";
export * from "./reviews.ts";
export * from "./snapshots.ts";
export * from "./sources.ts";
export * from "./subscriptions.ts";
export * from "./users.ts";
