DROP INDEX "snapshots_artifact_parser_uq";--> statement-breakpoint
ALTER TABLE "raw_artifacts" ALTER COLUMN "body" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "version_date" text;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "run_id" text;--> statement-breakpoint
CREATE INDEX "snapshots_artifact_idx" ON "snapshots" USING btree ("source_id","artifact_sha256");--> statement-breakpoint
-- Snapshots taken before this migration: their version date from what the parsers kept in meta.
UPDATE "snapshots" SET "version_date" = coalesce("meta"->>'pointInTime', "meta"->>'lastAmended', "meta"->>'versionDate') WHERE "version_date" IS NULL;
