CREATE TABLE "watched_pages" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"selector" text,
	"browser" boolean DEFAULT false NOT NULL,
	"jurisdiction" text NOT NULL,
	"technologies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"schedule" text NOT NULL,
	"title" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"removed_at" timestamp with time zone
);
