// The JSON API described as OpenAPI 3.1 (`/api/openapi.json`). The change
// record's schema is made from the same zod schema the pipeline validates
// records with, so the document cannot drift from what is stored; a test
// checks every described response against the real answers.

import { JURISDICTION_CODES } from "@regwatch/core/jurisdictions";
import { changeKindSchema, changeRecordSchema } from "@regwatch/core/schemas";
import { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { z } from "zod";
import type { DashboardDeps } from "../dashboard.ts";
import { json, type Route } from "../router.ts";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const instant: Schema = { type: "string", format: "date-time" };

function changeSchema(): Schema {
  const { $schema: _, ...base } = z.toJSONSchema(changeRecordSchema, {
    target: "draft-2020-12",
    io: "output",
  }) as Schema & {
    properties: Record<string, Schema>;
    required: string[];
  };
  return {
    ...base,
    description: "One change record: what changed in which entry or document, when, and from which bytes.",
    properties: {
      ...(base.properties as Record<string, Schema>),
      links: {
        type: "object",
        properties: { self: { type: "string", format: "uri", description: "The change's page." } },
        required: ["self"],
        additionalProperties: false,
      },
    },
    required: [...(base.required as string[]), "links"],
  };
}

const errorSchema: Schema = {
  type: "object",
  properties: {
    error: { type: "string", description: "What was wrong, in words." },
    parameter: { type: "string", description: "The query parameter at fault, for a 400." },
  },
  required: ["error"],
};

const sourceSchema: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    title: { type: ["string", "null"] },
    jurisdiction: { type: ["string", "null"] },
    status: {
      type: "string",
      description: "healthy, degraded, failing, broken, stale, or unknown (never ran)",
    },
    reason: { type: ["string", "null"] },
    schedule: { type: "string", description: "Cron, UTC." },
    cadence: { type: "string" },
    lastAttemptAt: nullable(instant),
    lastSuccessAt: nullable(instant),
    lastChangeAt: nullable(instant),
    consecutiveFailures: { type: "integer", minimum: 0 },
    lastError: nullable({
      type: "object",
      properties: { kind: { type: "string" }, message: { type: ["string", "null"] }, at: nullable(instant) },
      required: ["kind", "message", "at"],
    }),
    transitions: {
      type: "array",
      items: {
        type: "object",
        properties: {
          at: instant,
          from: { type: ["string", "null"] },
          to: { type: "string" },
          reason: { type: ["string", "null"] },
        },
        required: ["at", "from", "to", "reason"],
      },
    },
  },
  required: [
    "id",
    "title",
    "jurisdiction",
    "status",
    "reason",
    "schedule",
    "cadence",
    "lastAttemptAt",
    "lastSuccessAt",
    "lastChangeAt",
    "consecutiveFailures",
    "lastError",
    "transitions",
  ],
};

const str: Schema = { type: "string" };
const strOrNull: Schema = { type: ["string", "null"] };
const int: Schema = { type: "integer" };
const intOrNull: Schema = { type: ["integer", "null"] };
const day: Schema = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" };

/** An object whose every listed property is required. */
function object(properties: Record<string, Schema>, description?: string): Schema {
  return {
    type: "object",
    ...(description ? { description } : {}),
    properties,
    required: Object.keys(properties),
  };
}

const snapshotSchema = object(
  {
    id: int,
    takenAt: instant,
    fetchedAt: instant,
    status: { type: "string", enum: ["accepted", "quarantined", "stale"] },
    reason: strOrNull,
    origin: { type: "string", enum: ["baseline", "regulatory", "backfill", "parser"] },
    itemCount: int,
    versionDate: strOrNull,
    artifactSha256: str,
    artifactUrl: { type: "string", description: "Download of the raw document, `/artifacts?sha256=…`." },
    parserVersion: str,
    url: strOrNull,
    changeCount: int,
    previousSnapshotId: {
      ...intOrNull,
      description: "The previous accepted snapshot; null for the first and for refused ones.",
    },
    compareUrl: strOrNull,
  },
  "One parse of one fetched document by one parser version.",
);

const entryVersionSchema = object(
  {
    snapshotId: int,
    firstSeenAt: instant,
    lastSeenSnapshotId: int,
    lastSeenAt: instant,
    endSnapshotId: intOrNull,
    endedAt: nullable(instant),
    ending: { type: ["string", "null"], enum: ["replaced", "removed", null] },
    parentKey: strOrNull,
    heading: strOrNull,
    text: str,
    hash: str,
    artifactSha256: str,
    artifactUrl: str,
    parserVersion: str,
    versionDate: strOrNull,
  },
  "One version of an entry, valid from the snapshot that brought it until the one that replaced or removed it.",
);

const entryChangeSchema = object({
  id: str,
  kind: { type: "string", enum: changeKindSchema.options },
  title: str,
  detectedAt: instant,
  publishedAt: strOrNull,
  effectiveAt: strOrNull,
  citation: strOrNull,
  snapshotId: int,
  url: str,
});

const matrixInstrument = nullable(object({ citation: str, url: strOrNull }));
const sinceBasis: Schema = { type: ["string", "null"], enum: ["effective", "in-force", "first-seen", null] };
const matrixSchema = object(
  {
    date: day,
    technologies: {
      type: "array",
      items: object({ id: { type: "string", enum: TECHNOLOGY_IDS }, label: str }),
    },
    jurisdictions: {
      type: "array",
      items: object({
        code: { type: "string", enum: JURISDICTION_CODES },
        name: str,
        tracked: { type: "boolean" },
        sources: { type: "array", items: str },
        awaiting: {
          type: "array",
          items: str,
          description: "List sources registered with no accepted version yet.",
        },
      }),
    },
    sources: {
      type: "array",
      items: object({
        id: str,
        jurisdiction: str,
        title: strOrNull,
        snapshotId: int,
        versionDate: strOrNull,
        takenAt: instant,
      }),
    },
    cells: {
      type: "array",
      items: object({
        technology: { type: "string", enum: TECHNOLOGY_IDS },
        jurisdiction: { type: "string", enum: JURISDICTION_CODES },
        status: { type: "string", enum: ["in-force", "scheduled", "none", "not-tracked"] },
        since: nullable(day),
        sinceBasis,
        changeId: strOrNull,
        instrument: matrixInstrument,
        entries: {
          type: "array",
          items: object({
            source: str,
            key: str,
            summary: str,
            since: nullable(day),
            sinceBasis,
            changeId: strOrNull,
            instrument: matrixInstrument,
            inForce: { type: "boolean" },
            taggedBy: { type: "string", enum: ["number", "text"] },
          }),
        },
      }),
    },
  },
  "Technologies × jurisdictions: where a control covering each technology is in force, since when, from which entries.",
);

const list = (description: string, items: Schema): Schema => ({
  description,
  schema: { type: "array", items },
});

const FILTERS = [
  {
    name: "technology",
    ...list("Technology ids (repeat or comma-separate: any of).", { type: "string", enum: TECHNOLOGY_IDS }),
  },
  { name: "jurisdiction", ...list("Issuing jurisdictions.", { type: "string", enum: JURISDICTION_CODES }) },
  {
    name: "country",
    ...list("Affected countries, ISO 3166-1 alpha-2.", { type: "string", pattern: "^[A-Za-z]{2}$" }),
  },
  { name: "source", ...list("Source ids.", { type: "string" }) },
  { name: "kind", ...list("Kinds of change.", { type: "string", enum: changeKindSchema.options }) },
  {
    name: "date",
    description: "Which date from and to bound.",
    schema: { type: "string", enum: ["detected", "published", "effective"], default: "detected" },
  },
  { name: "from", description: "Inclusive start, YYYY-MM-DD.", schema: { type: "string", format: "date" } },
  { name: "to", description: "Inclusive end, YYYY-MM-DD.", schema: { type: "string", format: "date" } },
  {
    name: "q",
    description:
      'Full-text search over titles, subjects, citations and entry text (web syntax: "a phrase", -word, or).',
    schema: { type: "string", maxLength: 200 },
  },
].map((p) => ({ in: "query", explode: true, style: "form", ...p }));

const jsonContent = (schema: Schema) => ({ "application/json": { schema } });
const problem = (description: string) => ({ description, content: jsonContent(ref("Error")) });
const READ_ERRORS = {
  "401": problem("Not signed in and no valid API token (the instance is not public)."),
};

export function openapiDocument(publicUrl: string): Schema {
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "regwatch API",
      version: "1",
      description:
        "Export-control changes across jurisdictions as normalized change records. Authenticate with a session cookie (the dashboard) or an API token: `Authorization: Bearer rwt_…` (`regwatch tokens add <email>`). On a public instance (REGWATCH_PUBLIC_READ=1) reading needs neither.",
    },
    servers: [{ url: publicUrl }],
    security: [{ apiToken: [] }, { session: [] }, {}],
    paths: {
      "/api/changes": {
        get: {
          operationId: "listChanges",
          summary: "Changes, newest detected first, filtered, in keyset pages.",
          parameters: [
            ...FILTERS,
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            },
            {
              name: "cursor",
              in: "query",
              description: "The `next` of the previous page.",
              schema: { type: "string" },
            },
          ],
          responses: {
            "200": {
              description: "A page of changes.",
              content: jsonContent({
                type: "object",
                properties: {
                  changes: { type: "array", items: ref("Change") },
                  next: {
                    type: ["string", "null"],
                    description: "Give it as `cursor` for the next page; null on the last.",
                  },
                },
                required: ["changes", "next"],
              }),
            },
            "400": problem("A filter, the limit or the cursor is not valid; `parameter` names it."),
            ...READ_ERRORS,
          },
        },
      },
      "/api/changes/{id}": {
        get: {
          operationId: "getChange",
          summary: "One change.",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": {
              description: "The change.",
              content: jsonContent({
                type: "object",
                properties: { change: ref("Change") },
                required: ["change"],
              }),
            },
            "404": problem("No such change."),
            ...READ_ERRORS,
          },
        },
      },
      "/api/sources": {
        get: {
          operationId: "listSources",
          summary: "Every registered source with its health and recent health transitions.",
          responses: {
            "200": {
              description: "The sources.",
              content: jsonContent({
                type: "object",
                properties: { sources: { type: "array", items: ref("Source") } },
                required: ["sources"],
              }),
            },
            ...READ_ERRORS,
          },
        },
      },
      "/api/sources/{id}/snapshots": {
        get: {
          operationId: "listSnapshots",
          summary: "A source's snapshots, newest first, with their downloads and record counts.",
          parameters: [
            { name: "id", in: "path", required: true, schema: str },
            {
              name: "before",
              in: "query",
              description: "The `nextBefore` of the previous page.",
              schema: int,
            },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 200, default: 50 },
            },
            {
              name: "status",
              in: "query",
              schema: { type: "string", enum: ["accepted", "quarantined", "stale"] },
            },
          ],
          responses: {
            "200": {
              description: "A page of snapshots.",
              content: jsonContent(
                object({
                  source: str,
                  snapshots: { type: "array", items: ref("Snapshot") },
                  nextBefore: intOrNull,
                }),
              ),
            },
            "400": problem("A parameter is not valid; `parameter` names it."),
            "404": problem("No such source."),
            ...READ_ERRORS,
          },
        },
      },
      "/api/sources/{id}/entries/{key}": {
        get: {
          operationId: "getEntryHistory",
          summary:
            "Every version of one list entry (or feed document), oldest first, and the change records about it.",
          parameters: [
            { name: "id", in: "path", required: true, schema: str },
            {
              name: "key",
              in: "path",
              required: true,
              description: "The entry key, URL-encoded (`3B001.c.1.a`, `5506(2)(c)(ii)`).",
              schema: str,
            },
          ],
          responses: {
            "200": {
              description: "The entry's history.",
              content: jsonContent(
                object({
                  source: str,
                  key: str,
                  versions: { type: "array", items: ref("EntryVersion") },
                  changes: { type: "array", items: entryChangeSchema },
                }),
              ),
            },
            "404": problem("No such source or entry."),
            ...READ_ERRORS,
          },
        },
      },
      "/api/matrix": {
        get: {
          operationId: "getAlignmentMatrix",
          summary: "The alignment matrix, read from the current version of every tracked list.",
          responses: {
            "200": { description: "The matrix.", content: jsonContent(ref("Matrix")) },
            ...READ_ERRORS,
          },
        },
      },
    },
    components: {
      schemas: {
        Change: changeSchema(),
        Source: sourceSchema,
        Snapshot: snapshotSchema,
        EntryVersion: entryVersionSchema,
        Matrix: matrixSchema,
        Error: errorSchema,
      },
      securitySchemes: {
        apiToken: { type: "http", scheme: "bearer", description: "An API token, `rwt_…`." },
        session: { type: "apiKey", in: "cookie", name: "regwatch_session" },
      },
    },
  };
}

/** `GET /api/openapi.json`: public, like any API's description. */
export function openapiRoutes(_deps: DashboardDeps): Route[] {
  let body: Schema | null = null;
  return [
    {
      path: "/api/openapi.json",
      methods: {
        GET(c) {
          body ??= openapiDocument(c.get("site").publicUrl);
          return json(200, body, {
            "cache-control": "public, max-age=3600",
            "access-control-allow-origin": "*",
          });
        },
      },
    },
  ];
}
