CREATE TABLE "http_validators" (
	"url" text PRIMARY KEY NOT NULL,
	"etag" text,
	"last_modified" text,
	"artifact_sha256" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raw_artifacts" (
	"sha256" text PRIMARY KEY NOT NULL,
	"body" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"content_type" text,
	"first_url" text,
	"first_fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_countries" (
	"change_id" text NOT NULL,
	"country" text NOT NULL,
	CONSTRAINT "change_countries_change_id_country_pk" PRIMARY KEY("change_id","country")
);
--> statement-breakpoint
CREATE TABLE "change_records" (
	"id" text PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"jurisdiction" text NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"title" text NOT NULL,
	"before" text,
	"after" text,
	"diff" jsonb,
	"published_at" text,
	"effective_at" text,
	"detected_at" timestamp with time zone NOT NULL,
	"url" text,
	"citation" text,
	"artifact_sha256" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"parser_version" text NOT NULL,
	"origin" text NOT NULL,
	"alert" boolean NOT NULL,
	"stage" text,
	"wassenaar_category" text,
	"snapshot_id" integer NOT NULL,
	"event_id" integer,
	"seq" serial NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_technologies" (
	"change_id" text NOT NULL,
	"technology" text NOT NULL,
	CONSTRAINT "change_technologies_change_id_technology_pk" PRIMARY KEY("change_id","technology")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" serial PRIMARY KEY NOT NULL,
	"jurisdiction" text NOT NULL,
	"citation" text NOT NULL,
	"document_id" text,
	"title" text,
	"published_at" text,
	"effective_at" text,
	"url" text,
	"cfr_references" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entries" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"key" text NOT NULL,
	"parent_key" text,
	"heading" text,
	"text" text NOT NULL,
	"hash" text NOT NULL,
	"data" jsonb,
	"valid_from" integer NOT NULL,
	"valid_to" integer
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"artifact_sha256" text NOT NULL,
	"parser_version" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"item_count" integer NOT NULL,
	"origin" text NOT NULL,
	"url" text,
	"fetched_at" timestamp with time zone NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fetch_attempts" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"url" text,
	"started_at" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"error" text,
	"bytes" integer,
	"artifact_sha256" text
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" text PRIMARY KEY NOT NULL,
	"jurisdiction" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"health" text DEFAULT 'unknown' NOT NULL,
	"health_reason" text,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_run_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_change_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "change_countries" ADD CONSTRAINT "change_countries_change_id_change_records_id_fk" FOREIGN KEY ("change_id") REFERENCES "public"."change_records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_records" ADD CONSTRAINT "change_records_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_records" ADD CONSTRAINT "change_records_snapshot_id_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_records" ADD CONSTRAINT "change_records_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_technologies" ADD CONSTRAINT "change_technologies_change_id_change_records_id_fk" FOREIGN KEY ("change_id") REFERENCES "public"."change_records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_valid_from_snapshots_id_fk" FOREIGN KEY ("valid_from") REFERENCES "public"."snapshots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_valid_to_snapshots_id_fk" FOREIGN KEY ("valid_to") REFERENCES "public"."snapshots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_artifact_sha256_raw_artifacts_sha256_fk" FOREIGN KEY ("artifact_sha256") REFERENCES "public"."raw_artifacts"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fetch_attempts" ADD CONSTRAINT "fetch_attempts_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_countries_country_idx" ON "change_countries" USING btree ("country");--> statement-breakpoint
CREATE INDEX "change_records_detected_idx" ON "change_records" USING btree ("detected_at");--> statement-breakpoint
CREATE INDEX "change_records_source_idx" ON "change_records" USING btree ("source_id","subject");--> statement-breakpoint
CREATE INDEX "change_technologies_tech_idx" ON "change_technologies" USING btree ("technology");--> statement-breakpoint
CREATE UNIQUE INDEX "events_citation_uq" ON "events" USING btree ("jurisdiction","citation");--> statement-breakpoint
CREATE INDEX "entries_current_idx" ON "entries" USING btree ("source_id","valid_to","key");--> statement-breakpoint
CREATE INDEX "entries_key_idx" ON "entries" USING btree ("source_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_artifact_parser_uq" ON "snapshots" USING btree ("source_id","artifact_sha256","parser_version");--> statement-breakpoint
CREATE INDEX "snapshots_source_idx" ON "snapshots" USING btree ("source_id","id");--> statement-breakpoint
CREATE INDEX "fetch_attempts_source_idx" ON "fetch_attempts" USING btree ("source_id","started_at");