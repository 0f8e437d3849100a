-- Existing tags take their record's listing order and jurisdiction, then the columns become required.
ALTER TABLE "change_technologies" ADD COLUMN "detected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "change_technologies" ADD COLUMN "seq" integer;--> statement-breakpoint
ALTER TABLE "change_technologies" ADD COLUMN "jurisdiction" text;--> statement-breakpoint
UPDATE "change_technologies" SET "detected_at" = r."detected_at", "seq" = r."seq", "jurisdiction" = r."jurisdiction" FROM "change_records" r WHERE r."id" = "change_technologies"."change_id";--> statement-breakpoint
ALTER TABLE "change_technologies" ALTER COLUMN "detected_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "change_technologies" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "change_technologies" ALTER COLUMN "jurisdiction" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "change_technologies_listing_idx" ON "change_technologies" USING btree ("technology","detected_at","seq","jurisdiction","change_id");
