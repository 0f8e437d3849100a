CREATE TABLE "source_health_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"from_health" text NOT NULL,
	"to_health" text NOT NULL,
	"reason" text
);
--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "last_error_kind" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "last_error_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "schedule" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "registered_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "source_health_events" ADD CONSTRAINT "source_health_events_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "source_health_events_source_idx" ON "source_health_events" USING btree ("source_id","at");