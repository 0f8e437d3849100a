ALTER TABLE "deliveries" ALTER COLUMN "subscription_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "channel" text DEFAULT 'email' NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "period_start" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "period_end" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "health_event_id" integer;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "recipient" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "send_empty_digests" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "email_alerts" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "webhook_url" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "webhook_format" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_health_event_id_source_health_events_id_fk" FOREIGN KEY ("health_event_id") REFERENCES "public"."source_health_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_operator_key_uq" ON "deliveries" USING btree ("key") WHERE "deliveries"."subscription_id" is null;