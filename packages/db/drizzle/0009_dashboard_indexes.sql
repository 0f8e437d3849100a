CREATE INDEX "change_records_snapshot_idx" ON "change_records" USING btree ("snapshot_id");--> statement-breakpoint
CREATE INDEX "change_records_event_idx" ON "change_records" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "entries_valid_from_idx" ON "entries" USING btree ("source_id","valid_from");