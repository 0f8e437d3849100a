import type { Database } from "@regwatch/db/open-database";
import type { QueuesView } from "./routes/admin.ts";
import type { SourceInfo } from "./routes/sources.ts";

/** What the dashboard's pages and their JSON read. */
export interface DashboardDeps {
  database: Database;
  /** The registered sources with their schedules. */
  sources: readonly SourceInfo[];
  /** The job runner's queues and recent jobs, for admins; no queues page without it. */
  queues?: () => Promise<QueuesView>;
  /** Chromium for the review's PDF (`CHROMIUM_PATH`); no PDF without it. */
  chromiumPath?: string | null;
  now?: () => Date;
}
