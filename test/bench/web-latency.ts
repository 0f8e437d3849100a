// npm run bench, web latency (with DATABASE_URL only): the changes list and
// full-text search of the real server over 1,000,000 change records in
// PostgreSQL, at 20 concurrent clients (issue 9: p95 ≤ 50 ms for the filtered
// list, ≤ 200 ms for a full-text search).
//
// A scratch database on the server named by DATABASE_URL, migrated as the
// service migrates it (so the real indexes), seeded inside PostgreSQL by
// INSERT … SELECT over generate_series: 13 sources in 12 jurisdictions, list
// changes (added / removed / modified) keyed by real ECCN paragraphs and
// document changes (published) titled like real instruments, their text the
// real CCL paragraphs (so words are as common or as rare as they are in the
// list), detected over five years in insertion order, technologies on ~30%
// of records and countries on ~20%. Then VACUUM ANALYZE, as autovacuum would
// have left a table this old. Nothing is kept between runs.
//
// The server (createAppServer, public read, its own pool of 4 connections)
// runs in a child process, so that the load generator does not share its
// event loop; autocannon runs here with 20 connections, a warm-up and then
// BENCH_WEB_SECONDS (default 10) per scenario. Each scenario cycles through
// several queries (other words, other quarters) so that no single query's
// cached pages flatter it. Latencies are autocannon's per response, of 2xx
// answers; any other answer fails the scenario. Beside them, the server
// process's CPU time per request (its JavaScript, not PostgreSQL's). The
// baseline is /health (one query on the sources table through the same
// server, pool and database), measured before and after the scenarios in the
// same run; each p95 is also given as a ratio to it. The machine's load
// average is printed too: on a shared machine, others' work is in every
// figure. When a scenario misses its target, the plan of its slowest page
// query (captured from searchChanges itself) is printed with EXPLAIN
// (ANALYZE, BUFFERS), run alone after the load.
//
// The HTML page /changes is measured when the server serves it (a 200 in
// text/html), else only the API, which the report says.
//
// From bench.ts, or alone:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx test/bench/web-latency.ts
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Logger } from "@regwatch/core/http";
import type { TECHNOLOGY_IDS } from "@regwatch/core/taxonomy";
import { type Db, openDatabase } from "@regwatch/db/open-database";
import { type ChangeSearch, searchChanges } from "@regwatch/db/queries/change-search";
import * as schema from "@regwatch/db/schema";
import { wordDiff } from "@regwatch/diff/word-diff";
import { createAppServer } from "@regwatch/server/app";
import type { DashboardDeps } from "@regwatch/server/dashboard";
import autocannon from "autocannon";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { SAMPLES } from "../conformance/samples-dir.ts";
import { scratchPostgres } from "../support/databases.ts";

const RECORDS = 1_000_000;
const SECONDS = Number(process.env.BENCH_WEB_SECONDS ?? 10);
// Long enough for the pool's connections to open and the planner's catalogs
// and the touched pages to be cached; not counted.
const WARMUP_SECONDS = Math.min(3, Math.max(1, Math.round(SECONDS / 4)));
const CONNECTIONS = 20;
const LIST_TARGET_MS = 50;
const SEARCH_TARGET_MS = 200;
const SERVER_FLAG = "--web-latency-server";

type SourceInfo = DashboardDeps["sources"][number];

/** A source of the seeded database: one jurisdiction each, as the schema has it. */
interface BenchSource {
  id: string;
  jurisdiction: string;
  kind: "list" | "documents";
  /** Share of the records, in percent (the US publishes most). */
  weight: number;
  title: string;
  url: string;
  /** The citation's shape: {v} FR volume, {y} year, {n} a number, {d} a date. */
  cite: string;
  /** Titles of the instruments a documents source publishes (in the gazette's language). */
  titles: string[];
}

const US_RULES = [
  "Implementation of Additional Export Controls: Certain Advanced Computing Items; Supercomputer and Semiconductor End Use; Updates and Corrections",
  "Commerce Control List Additions and Revisions; Implementation of Controls on Advanced Technologies Consistent With Controls Implemented by International Partners",
  "Foreign-Produced Direct Product Rule Additions, and Refinements to Controls for Advanced Computing and Semiconductor Manufacturing Items",
  "Export Controls on Semiconductor Manufacturing Items",
  "Additions to the Entity List",
  "Revisions to the Entity List; Removal of Entities From the Entity List",
  "Framework for Artificial Intelligence Diffusion",
  "Wassenaar Arrangement 2023 Plenary Agreements Implementation",
  "Information Security Controls: Cybersecurity Items",
  "Export Controls on Biotechnology Equipment and Related Technology",
  "Expansion of Export, Reexport, and Transfer (In-Country) Controls for Military End Use or Users",
  "Revision of License Exception Encryption Commodities, Software, and Technology (ENC)",
];

const SOURCES: readonly BenchSource[] = [
  {
    id: "us.ecfr.ccl",
    jurisdiction: "US",
    kind: "list",
    weight: 15,
    title: "eCFR: Commerce Control List (15 CFR 774 Supp. 1)",
    url: "https://www.ecfr.gov/current/title-15/part-774/appendix-Supplement%20No.%201%20to%20Part%20774",
    cite: "{v} FR {n}",
    titles: [],
  },
  {
    id: "us.federal-register",
    jurisdiction: "US",
    kind: "documents",
    weight: 15,
    title: "Federal Register: Bureau of Industry and Security",
    url: "https://www.federalregister.gov/agencies/industry-and-security-bureau",
    cite: "{v} FR {n}",
    titles: US_RULES,
  },
  {
    id: "eu.dual-use-annex-i",
    jurisdiction: "EU",
    kind: "list",
    weight: 12,
    title: "EU Dual-Use Regulation 2021/821, Annex I",
    url: "https://eur-lex.europa.eu/eli/reg/2021/821/oj",
    cite: "Commission Delegated Regulation (EU) {y}/{n}",
    titles: [],
  },
  {
    id: "gb.export-control-order-schedule-3",
    jurisdiction: "GB",
    kind: "list",
    weight: 9,
    title: "Export Control Order 2008, Schedule 3",
    url: "https://www.legislation.gov.uk/uksi/2008/3231/schedule/3",
    cite: "SI {y}/{n}",
    titles: [],
  },
  {
    id: "ca.export-control-list",
    jurisdiction: "CA",
    kind: "list",
    weight: 8,
    title: "Export Control List (SOR/89-202)",
    url: "https://laws-lois.justice.gc.ca/eng/regulations/SOR-89-202/",
    cite: "SOR/{y}-{n}",
    titles: [],
  },
  {
    id: "jp.meti-export-ordinance",
    jurisdiction: "JP",
    kind: "list",
    weight: 7,
    title: "Export Trade Control Order, Appended Table 1",
    url: "https://laws.e-gov.go.jp/law/324CO0000000378",
    cite: "Cabinet Order No. {n} of {y}",
    titles: [],
  },
  {
    id: "au.dsgl",
    jurisdiction: "AU",
    kind: "list",
    weight: 6,
    title: "Defence and Strategic Goods List",
    url: "https://www.legislation.gov.au/F2024L00123/latest/text",
    cite: "F{y}L{n}",
    titles: [],
  },
  {
    id: "fr.journal-officiel",
    jurisdiction: "FR",
    kind: "documents",
    weight: 6,
    title: "Journal officiel: biens à double usage",
    url: "https://www.legifrance.gouv.fr/jorf/jo",
    cite: "JORF n° {n} du {d}",
    titles: [
      "Arrêté relatif aux exportations de biens à double usage non listés",
      "Arrêté soumettant à autorisation l'exportation de technologies quantiques",
      "Décret relatif au contrôle des exportations d'équipements de fabrication de semi-conducteurs",
    ],
  },
  {
    id: "nl.officiele-bekendmakingen",
    jurisdiction: "NL",
    kind: "documents",
    weight: 6,
    title: "Officiële bekendmakingen: exportcontrole",
    url: "https://zoek.officielebekendmakingen.nl/",
    cite: "Stcrt. {y}, {n}",
    titles: [
      "Regeling geavanceerde productieapparatuur voor halfgeleiders",
      "Wijziging van de Regeling geavanceerde productieapparatuur voor halfgeleiders",
      "Besluit strategische goederen",
    ],
  },
  {
    id: "es.boe",
    jurisdiction: "ES",
    kind: "documents",
    weight: 5,
    title: "BOE: comercio exterior de material de doble uso",
    url: "https://www.boe.es/",
    cite: "BOE-A-{y}-{n}",
    titles: [
      "Orden por la que se regula el control de las exportaciones de productos y tecnologías de doble uso",
      "Real Decreto de control del comercio exterior de material de defensa y de productos de doble uso",
    ],
  },
  {
    id: "it.gazzetta-ufficiale",
    jurisdiction: "IT",
    kind: "documents",
    weight: 5,
    title: "Gazzetta Ufficiale: prodotti a duplice uso",
    url: "https://www.gazzettaufficiale.it/",
    cite: "GU n. {n} del {d}",
    titles: [
      "Decreto recante controllo delle esportazioni di prodotti a duplice uso non elencati",
      "Decreto relativo alle tecnologie quantistiche e ai semiconduttori avanzati",
    ],
  },
  {
    id: "fi.finlex",
    jurisdiction: "FI",
    kind: "documents",
    weight: 3,
    title: "Finlex: kaksikäyttötuotteet",
    url: "https://www.finlex.fi/",
    cite: "{n}/{y}",
    titles: ["Valtioneuvoston asetus kaksikäyttötuotteiden vientivalvonnasta"],
  },
  {
    id: "no.lovdata",
    jurisdiction: "NO",
    kind: "documents",
    weight: 3,
    title: "Lovdata: eksportkontroll",
    url: "https://lovdata.no/",
    cite: "FOR-{d}-{n}",
    titles: ["Forskrift om eksport av forsvarsmateriell, flerbruksvarer, teknologi og tjenester"],
  },
];

// Technologies and countries of the tagged records, by share in percent.
const TECHNOLOGY_WEIGHTS: Record<(typeof TECHNOLOGY_IDS)[number], number> = {
  quantum: 12,
  "semiconductor-manufacturing-equipment": 18,
  "advanced-semiconductors": 18,
  gaafet: 5,
  "additive-manufacturing": 7,
  "advanced-computing": 15,
  "artificial-intelligence": 10,
  cryptography: 10,
  biotechnology: 5,
};
const COUNTRY_WEIGHTS: Record<string, number> = {
  CN: 35,
  RU: 20,
  IR: 10,
  BY: 6,
  HK: 6,
  KP: 5,
  MO: 5,
  VE: 3,
  CU: 3,
  SY: 3,
  MM: 2,
  AF: 2,
};

/** 100 slots, each value repeated as often as its weight: `slots[1 + floor(random() * 100)]` draws by weight in SQL. */
function slots<T>(weights: readonly (readonly [T, number])[]): T[] {
  const out = weights.flatMap(([value, weight]) => Array.from({ length: weight }, () => value));
  if (out.length !== 100) throw new Error(`weights add up to ${out.length}, not 100`);
  return out;
}

/**
 * The text pool: every paragraph and note of the real CCL (633 ECCNs), each
 * with its heading, a "before" wording for a modification (a changed number,
 * or a reserved paragraph filled) and the word diff between the two.
 */
function textPool() {
  const json = JSON.parse(
    readFileSync(join(SAMPLES, "us/ccl-derived-json-ecfr-2026-07-23.json"), "utf8"),
  ) as {
    entries: {
      eccn: string;
      heading: string;
      items?: { paragraph: string | null; kind: string; text: string }[];
    }[];
  };
  return json.entries.flatMap((entry) =>
    (entry.items?.length ? entry.items : [{ paragraph: null, kind: "text", text: entry.heading }]).map(
      (item) => {
        const paragraph = item.kind === "item" ? item.paragraph : null;
        const before = /\d/.test(item.text)
          ? item.text.replace(/\d+/, (n) => String(Math.ceil(Number(n) * 1.5)))
          : "[Reserved]";
        return {
          eccn: entry.eccn,
          paragraph,
          heading: entry.heading,
          text: item.text,
          before,
          diff: JSON.stringify(wordDiff(before, item.text)),
        };
      },
    ),
  );
}

interface SeedResult {
  records: number;
  technologies: number;
  countries: number;
  ms: number;
  steps: Record<string, number>;
  tableMb: number;
  indexesMb: number;
  /** Of the rows' physical order with detected_at (pg_stats): about 1 when seeded as the service appends. */
  detectedAtCorrelation: number | null;
  /** Whether the seed ran the foreign-key triggers or, as a superuser, skipped them. */
  fkTriggers: string;
}

/**
 * 1M change records (and their tags) in the migrated database at `url`. The
 * secondary indexes of the three change tables are dropped first and
 * recreated from their own definitions afterwards (building is minutes
 * faster than maintaining them row by row); the primary keys stay.
 */
async function seed(url: string, records: number): Promise<SeedResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const steps: Record<string, number> = {};
  const started = performance.now();
  const step = async (name: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    steps[name] = performance.now() - t;
  };
  try {
    // Index builds on 1M rows: far faster with room to sort in memory (this session only).
    await client.query("SET maintenance_work_mem = '1GB'");
    // The rows are consistent by construction: skip the foreign-key triggers (two lookups per
    // record, a third of the seed's time) where the role may (a superuser; else they run).
    const fkTriggers = await client
      .query("SET session_replication_role = replica")
      .then(() => "skipped")
      .catch(() => "run");
    // The same records every run (random() below is seeded; the inserts run in one backend, in order).
    await client.query("SELECT setseed(0.2024)");
    const pool = textPool();
    await step("sources and text pool", async () => {
      await client.query(`CREATE TEMP TABLE bench_sources (
        idx int PRIMARY KEY, id text, jurisdiction text, kind text, title text, url text, cite text,
        titles text[], snapshot_id int, artifact text)`);
      await client.query(
        `INSERT INTO bench_sources (idx, id, jurisdiction, kind, title, url, cite, titles)
         SELECT idx, id, jurisdiction, kind, title, url, cite, titles
         FROM jsonb_populate_recordset(null::bench_sources, $1::jsonb)`,
        [JSON.stringify(SOURCES.map((s, idx) => ({ ...s, idx })))],
      );
      await client.query(`INSERT INTO sources (id, jurisdiction, kind, title, health, schedule, last_run_at, last_success_at)
        SELECT id, jurisdiction, kind, title, 'healthy', '0 */6 * * *', now(), now() FROM bench_sources`);
      await client.query(`INSERT INTO raw_artifacts (sha256, body, size, content_type, first_url, first_fetched_at)
        SELECT encode(sha256(convert_to(id, 'UTF8')), 'hex'), NULL, 0, 'application/xml', url, now() FROM bench_sources`);
      await client.query(`INSERT INTO snapshots (source_id, artifact_sha256, parser_version, status, item_count, origin, url, fetched_at, taken_at)
        SELECT id, encode(sha256(convert_to(id, 'UTF8')), 'hex'), '1', 'accepted', 1000, 'regulatory', url, now(), now()
        FROM bench_sources`);
      await client.query(
        "UPDATE bench_sources b SET snapshot_id = s.id, artifact = s.artifact_sha256 FROM snapshots s WHERE s.source_id = b.id",
      );
      await client.query(
        `CREATE TEMP TABLE bench_text (n int PRIMARY KEY, eccn text, paragraph text, heading text, text text, before text, diff jsonb)`,
      );
      await client.query(
        `INSERT INTO bench_text SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
        [
          pool.map((_, n) => n + 1),
          pool.map((p) => p.eccn),
          pool.map((p) => p.paragraph),
          pool.map((p) => p.heading),
          pool.map((p) => p.text),
          pool.map((p) => p.before),
          pool.map((p) => p.diff),
        ],
      );
      await client.query("ANALYZE bench_sources, bench_text");
    });

    const { rows: secondary } = await client.query<{ name: string; table: string; definition: string }>(
      `SELECT indexname AS name, tablename AS table, indexdef AS definition FROM pg_indexes
       WHERE schemaname = current_schema()
         AND tablename IN ('change_records', 'change_technologies', 'change_countries')
         AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))
       ORDER BY indexname`,
    );
    for (const index of secondary) await client.query(`DROP INDEX "${index.name}"`);

    await step("change records", () =>
      client.query(
        `INSERT INTO change_records (id, source_id, jurisdiction, kind, subject, title, before, after, diff, details,
           published_at, effective_at, detected_at, url, citation, artifact_sha256, fetched_at, parser_version,
           origin, alert, stage, wassenaar_category, snapshot_id)
         SELECT
           md5('bench:' || x.g),
           x.source_id, x.jurisdiction, x.kind,
           CASE WHEN x.source_kind = 'list' THEN x.eccn || coalesce('.' || x.paragraph, '')
                ELSE to_char(x.at, 'YYYY') || '-' || lpad(x.num::text, 5, '0') END,
           CASE WHEN x.source_kind = 'documents' THEN x.titles[1 + x.num % array_length(x.titles, 1)]
                WHEN x.paragraph IS NULL THEN x.eccn || ' ' || x.kind || ': ' || left(x.heading, 100)
                ELSE x.eccn || CASE x.kind WHEN 'added' THEN ' gained' WHEN 'removed' THEN ' lost' ELSE ' changed' END
                     || ' paragraph ' || x.paragraph || ': ' || left(x.text, 100) END,
           CASE x.kind WHEN 'removed' THEN x.text WHEN 'modified' THEN x.before END,
           CASE x.kind WHEN 'removed' THEN NULL WHEN 'published' THEN x.heading || ' ' || x.text ELSE x.text END,
           CASE x.kind WHEN 'modified' THEN x.diff END,
           CASE WHEN x.source_kind = 'list' THEN jsonb_build_object('parentKey', x.eccn)
                ELSE jsonb_build_object('documentNumber', to_char(x.at, 'YYYY') || '-' || lpad(x.num::text, 5, '0')) END,
           to_char(x.at - interval '2 days', 'YYYY-MM-DD'),
           to_char(x.at + interval '28 days', 'YYYY-MM-DD'),
           x.at,
           x.url,
           replace(replace(replace(replace(x.cite,
             '{v}', (extract(year FROM x.at)::int - 1935)::text),
             '{y}', to_char(x.at, 'YYYY')),
             '{n}', (1 + x.num % 2000)::text),
             '{d}', to_char(x.at, 'YYYY-MM-DD')),
           x.artifact, x.at, '1', x.origin, x.origin = 'regulatory',
           CASE WHEN x.source_id = 'us.federal-register' THEN
             CASE WHEN x.num % 10 = 0 THEN 'public-inspection' ELSE 'published' END END,
           CASE WHEN x.source_kind = 'list' THEN left(x.eccn, 1) END,
           x.snapshot_id
         FROM (
           SELECT r.g, r.at, r.num, s.id AS source_id, s.jurisdiction, s.kind AS source_kind, s.url, s.cite,
             s.titles, s.artifact, s.snapshot_id, t.eccn, t.paragraph, t.heading, t.text, t.before, t.diff,
             CASE WHEN s.kind = 'documents' THEN 'published'
                  WHEN r.k < 0.35 THEN 'added' WHEN r.k < 0.55 THEN 'removed' ELSE 'modified' END AS kind,
             CASE WHEN r.o < 0.90 THEN 'regulatory' WHEN r.o < 0.95 THEN 'baseline'
                  WHEN r.o < 0.98 THEN 'backfill' ELSE 'parser' END AS origin
           FROM (
             -- In detection order, as the service appends them: five years from 2021, about one
             -- record every 2.6 minutes. The joins below hash the small tables and keep this
             -- order, so the rows' physical order and seq follow detected_at (checked below).
             SELECT g,
               timestamptz '2021-01-01 00:00:00+00' + (g - 1) * (interval '1826 days' / $1::int) AS at,
               ($2::int[])[1 + floor(random() * 100)::int] AS src,
               1 + floor(random() * $3::int)::int AS p,
               random() AS k, random() AS o, floor(random() * 100000)::int AS num
             FROM generate_series(1, $1::int) g
           ) r
           JOIN bench_sources s ON s.idx = r.src
           JOIN bench_text t ON t.n = r.p
         ) x`,
        [records, slots(SOURCES.map((s, idx) => [idx, s.weight] as const)), pool.length],
      ),
    );
    await step("technologies and countries", async () => {
      const technologies = slots(Object.entries(TECHNOLOGY_WEIGHTS));
      const countries = slots(Object.entries(COUNTRY_WEIGHTS));
      // ~30% tagged, a quarter of those with a second technology; ~20% with countries, 40% of those with more.
      await client.query(
        `INSERT INTO change_technologies (change_id, technology, detected_at, seq, jurisdiction)
         SELECT id, ($1::text[])[1 + floor(random() * 100)::int], detected_at, seq, jurisdiction
         FROM change_records WHERE random() < 0.30`,
        [technologies],
      );
      await client.query(
        `INSERT INTO change_technologies (change_id, technology, detected_at, seq, jurisdiction)
         SELECT change_id, ($1::text[])[1 + floor(random() * 100)::int], detected_at, seq, jurisdiction
         FROM change_technologies WHERE random() < 0.25
         ON CONFLICT DO NOTHING`,
        [technologies],
      );
      await client.query(
        `INSERT INTO change_countries (change_id, country)
         SELECT id, ($1::text[])[1 + floor(random() * 100)::int] FROM change_records WHERE random() < 0.20`,
        [countries],
      );
      await client.query(
        `INSERT INTO change_countries (change_id, country)
         SELECT change_id, ($1::text[])[1 + floor(random() * 100)::int] FROM change_countries WHERE random() < 0.40
         ON CONFLICT DO NOTHING`,
        [countries],
      );
    });
    await step("indexes", async () => {
      // Two sessions for two cores: the GIN index, the longest build, beside the B-trees.
      const second = new pg.Client({ connectionString: url });
      await second.connect();
      try {
        await second.query("SET maintenance_work_mem = '1GB'");
        const gin = secondary.filter((i) => / USING gin /i.test(i.definition));
        const btrees = secondary.filter((i) => !gin.includes(i));
        await Promise.all([
          (async () => {
            for (const index of gin) await second.query(index.definition);
          })(),
          (async () => {
            for (const index of btrees) await client.query(index.definition);
          })(),
        ]);
      } finally {
        await second.end();
      }
    });
    await step("vacuum analyze", () =>
      client.query(
        "VACUUM (ANALYZE) change_records, change_technologies, change_countries, sources, snapshots",
      ),
    );
    const { rows } = await client.query<{
      records: string;
      technologies: string;
      countries: string;
      table: string;
      indexes: string;
      correlation: number | null;
      missing: string[];
    }>(
      `SELECT (SELECT count(*) FROM change_records) AS records,
              (SELECT count(*) FROM change_technologies) AS technologies,
              (SELECT count(*) FROM change_countries) AS countries,
              pg_table_size('change_records') AS table,
              pg_indexes_size('change_records') AS indexes,
              (SELECT correlation FROM pg_stats WHERE schemaname = current_schema()
                 AND tablename = 'change_records' AND attname = 'detected_at') AS correlation,
              ARRAY(SELECT name FROM unnest($1::text[]) name
                    WHERE name NOT IN (SELECT indexname FROM pg_indexes WHERE schemaname = current_schema())) AS missing`,
      [secondary.map((i) => i.name)],
    );
    const counts = rows[0]!;
    if (counts.missing.length) throw new Error(`indexes not rebuilt: ${counts.missing.join(", ")}`);
    return {
      records: Number(counts.records),
      technologies: Number(counts.technologies),
      countries: Number(counts.countries),
      ms: performance.now() - started,
      steps,
      tableMb: Number(counts.table) / 1048576,
      indexesMb: Number(counts.indexes) / 1048576,
      detectedAtCorrelation: counts.correlation,
      fkTriggers,
    };
  } finally {
    await client.end();
  }
}

// The queries of each scenario: a request cycles through them.
const COMMON_WORDS = ["equipment", "designed", "components", "materials", "technology"];
// In about 1% of records: the searches an analyst types most ("quantum").
const MID_WORDS = ["quantum", "lithography", "cryptographic", "epitaxial", "ultraviolet"];
const RARE_WORDS = ["turboexpanders", "centrifuges", "interferometers", "magnetometers", "gravimeters"];
const PHRASES = [
  '"quantum computers"',
  '"specially designed"',
  '"semiconductor manufacturing"',
  '"extreme ultraviolet"',
  '"physical qubits"',
];
/** Every quarter of the five seeded years. */
const QUARTERS = Array.from({ length: 20 }, (_, i) => {
  const year = 2021 + Math.floor(i / 4);
  const q = i % 4;
  const end = new Date(Date.UTC(year, q * 3 + 3, 0)).toISOString().slice(0, 10);
  return { from: `${year}-${String(q * 3 + 1).padStart(2, "0")}-01`, to: end };
});

interface Scenario {
  name: string;
  kind: "list" | "search";
  /** Query strings (without "?"), cycled through. */
  queries: string[];
  /** The search each query asks for, as the routes parse it (for the count and the plan). */
  searches: Omit<ChangeSearch, "limit">[];
  /** Words or phrases searched, for the count of matching records. */
  terms?: string[];
}

function scenarios(): Scenario[] {
  const list: Omit<ChangeSearch, "limit"> = { technologies: ["quantum"], jurisdictions: ["US"] };
  const search = (name: string, terms: string[]): Scenario => ({
    name,
    kind: "search",
    queries: terms.map((q) => new URLSearchParams({ q }).toString()),
    searches: terms.map((q) => ({ q })),
    terms,
  });
  return [
    {
      name: "filtered list (technology=quantum, jurisdiction=US)",
      kind: "list",
      queries: ["technology=quantum&jurisdiction=US"],
      searches: [list],
    },
    {
      name: "filtered list and a date range (quantum, US, one quarter of the 20 in turn)",
      kind: "list",
      queries: QUARTERS.map((d) => `technology=quantum&jurisdiction=US&from=${d.from}&to=${d.to}`),
      searches: QUARTERS.map((d) => ({ ...list, from: d.from, to: d.to })),
    },
    search("full-text search, a common word", COMMON_WORDS),
    search("full-text search, a word in about 1% of records", MID_WORDS),
    search("full-text search, a rare word", RARE_WORDS),
    search("full-text search, a phrase", PHRASES),
  ];
}

interface LoadResult {
  /** 2xx answers, whose latencies these are. */
  requests: number;
  /** All answers. */
  answers: number;
  /** The server process's CPU time (its JavaScript; not PostgreSQL's) per answer. */
  serverCpuMsPerRequest?: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : Number.NaN;
}

/** autocannon at CONNECTIONS connections for `seconds`, each request the next of `paths`. */
function load(origin: string, paths: readonly string[], seconds: number): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          { method: "GET", setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length]! }) },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = latencies.sort((a, b) => a - b);
        resolve({
          requests: sorted.length,
          answers: Object.values(statuses).reduce((a, b) => a + b, 0),
          rps: sorted.length / result.duration,
          p50Ms: percentile(sorted, 0.5),
          p95Ms: percentile(sorted, 0.95),
          p99Ms: percentile(sorted, 0.99),
          maxMs: sorted.at(-1) ?? Number.NaN,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses,
        });
      },
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** The server in a child process: the load generator must not share its event loop. */
async function serveInChild(databaseUrl: string, sources: SourceInfo[]) {
  const database = await openDatabase({ databaseUrl });
  const sourceIds = sources.map((s) => s.id);
  let reported = 0;
  // A failed request fails the scenario (non-2xx); the first few say why.
  const report = (level: string) => (obj: object | string, msg?: string) => {
    if (reported++ < 5) console.error(`web-latency server ${level}:`, msg ?? "", obj);
  };
  const log: Logger = { debug() {}, info() {}, warn: report("warn"), error: report("error") };
  const server = createAppServer({
    database,
    sourceIds,
    startedAt: new Date(),
    log,
    publicUrl: "http://127.0.0.1",
    publicRead: true,
    changes: { database, sourceIds },
    dashboard: { database, sources },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // A bench that dies leaves no server behind.
  process.on("disconnect", () => process.exit(1));
  process.on("message", (message) => {
    // The server's own CPU time (user + system, ms), for the CPU a request costs it.
    if (message === "cpu") {
      const used = process.cpuUsage();
      process.send!({ cpuMs: (used.user + used.system) / 1000 });
    }
    if (message !== "close") return;
    server.closeAllConnections();
    server.close();
    void database.close().then(() => process.exit(0));
  });
  process.send!({ port: (server.address() as AddressInfo).port });
}

async function startServer(databaseUrl: string, sources: SourceInfo[]) {
  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    [SERVER_FLAG, databaseUrl, JSON.stringify(sources)],
    { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // One reply per message sent, in order.
  const next = <T>() =>
    Promise.race([
      new Promise<T>((resolve) => child.once("message", (m) => resolve(m as T))),
      exited.then((code): never => {
        throw new Error(`the server exited with ${code}`);
      }),
    ]);
  const { port } = await next<{ port: number }>();
  return {
    origin: `http://127.0.0.1:${port}`,
    async cpuMs() {
      const reply = next<{ cpuMs: number }>();
      child.send("cpu");
      return (await reply).cpuMs;
    },
    async close() {
      if (child.exitCode === null) child.send("close");
      await exited;
    },
  };
}

/** The page query searchChanges sends for `search` (its first statement), captured by a drizzle logger. */
async function searchStatement(pool: pg.Pool, search: ChangeSearch) {
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = drizzle(pool, {
    schema,
    logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
  }) as unknown as Db;
  await searchChanges(db, search);
  return statements[0]!;
}

async function explain(pool: pg.Pool, statement: { sql: string; params: unknown[] }): Promise<string> {
  const { rows } = await pool.query<{ "QUERY PLAN": string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`,
    statement.params,
  );
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

interface ScenarioResult extends LoadResult {
  name: string;
  surface: "api" | "html";
  targetMs: number;
  /** p95 over the baseline's p95. */
  ratioToBaseline: number;
  /** Every answer a 2xx, no errors, no timeouts. */
  passed: boolean;
  meetsTarget: boolean;
}

interface Measured {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  cores: number;
  /** The machine's 1-minute load average as the scenarios began and ended: others' work shows in it. */
  loadAverage: { before: number; after: number };
  htmlPage: string;
  /** Records each filter, word and phrase matches. */
  matches: Record<string, number>;
  /** /health before and after the scenarios; p95Ms is their mean, what the ratios divide by. */
  baseline: { p95Ms: number; before: LoadResult; after: LoadResult };
  scenarios: ScenarioResult[];
  /** EXPLAIN (ANALYZE, BUFFERS) of the slowest search query of each scenario that missed its target. */
  plans: Record<string, string>;
  meetsTargets: boolean;
}

export interface WebLatencyResult extends Measured {
  records: number;
  seed: SeedResult;
}

/** The server over the seeded database at `databaseUrl`, each scenario under load, against the baseline. */
async function measureServer(databaseUrl: string): Promise<Measured> {
  const sources: SourceInfo[] = SOURCES.map((s) => ({
    id: s.id,
    schedule: "0 */6 * * *",
    cadence: "every 6 h",
  }));
  const server = await startServer(databaseUrl, sources);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const origin = server.origin;
    // Served, and answering 200: every query once, in turn (the first warm-up too).
    const all = scenarios();
    const probe = await fetch(`${origin}/changes?${all[0]!.queries[0]}`);
    await probe.arrayBuffer();
    const html = probe.status === 200 && (probe.headers.get("content-type") ?? "").startsWith("text/html");
    const htmlPage = html ? "measured" : `not measured: /changes answers ${probe.status}`;
    const surfaces = html ? (["api", "html"] as const) : (["api"] as const);
    for (const scenario of all) {
      for (const query of scenario.queries) {
        for (const surface of surfaces) {
          const res = await fetch(`${origin}${surface === "api" ? "/api/changes" : "/changes"}?${query}`);
          const body = await res.text();
          if (res.status !== 200) throw new Error(`${surface} ${query}: ${res.status} ${body.slice(0, 200)}`);
        }
      }
    }
    // How selective each query is: the records it matches.
    const matches: Record<string, number> = {};
    const count = async (where: string, params: unknown[]) =>
      Number(
        (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM change_records r WHERE ${where}`, params))
          .rows[0]!.n,
      );
    matches["technology=quantum&jurisdiction=US"] = await count(
      `jurisdiction = 'US' AND EXISTS (SELECT 1 FROM change_technologies t
         WHERE t.change_id = r.id AND t.technology = 'quantum')`,
      [],
    );
    for (const term of all.flatMap((s) => s.terms ?? []))
      matches[term] = await count("search @@ websearch_to_tsquery('english', $1)", [term]);

    const measure = async (paths: string[]): Promise<LoadResult> => {
      await load(origin, paths, WARMUP_SECONDS);
      const cpu = await server.cpuMs();
      const r = await load(origin, paths, SECONDS);
      return { ...r, serverCpuMsPerRequest: ((await server.cpuMs()) - cpu) / r.answers };
    };
    const loadBefore = loadavg()[0]!;
    const baselineBefore = await measure(["/health"]);
    const results: (Omit<ScenarioResult, "ratioToBaseline"> & { scenario: Scenario })[] = [];
    for (const scenario of all) {
      for (const surface of surfaces) {
        const path = surface === "api" ? "/api/changes" : "/changes";
        const r = await measure(scenario.queries.map((q) => `${path}?${q}`));
        const targetMs = scenario.kind === "list" ? LIST_TARGET_MS : SEARCH_TARGET_MS;
        const passed = r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.requests > 0;
        results.push({
          ...r,
          name: scenario.name,
          surface,
          targetMs,
          passed,
          meetsTarget: passed && r.p95Ms <= targetMs,
          scenario,
        });
      }
    }
    const baselineAfter = await measure(["/health"]);
    const loadAfter = loadavg()[0]!;
    // Against the mean of the baseline's p95 before and after: drift during the run weighs on both.
    const baselineP95Ms = (baselineBefore.p95Ms + baselineAfter.p95Ms) / 2;

    // For each scenario that missed: the plan of its slowest query, as searchChanges sends it.
    const plans: Record<string, string> = {};
    const explained = new Set<string>();
    for (const r of results) {
      if (r.meetsTarget || explained.has(r.name)) continue;
      explained.add(r.name);
      let slowest = { ms: -1, label: "", plan: "" };
      for (const [i, search] of r.scenario.searches.entries()) {
        const statement = await searchStatement(pool, { ...search, limit: 50 });
        const plan = await explain(pool, statement);
        const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
        if (executionMs > slowest.ms)
          slowest = { ms: executionMs, label: `${r.name} [${r.scenario.queries[i]}]`, plan };
      }
      plans[`${slowest.label}, ${slowest.ms.toFixed(1)} ms alone`] = slowest.plan;
    }
    const scenarioResults = results.map(({ scenario: _scenario, ...r }) => ({
      ...r,
      ratioToBaseline: r.p95Ms / baselineP95Ms,
    }));
    return {
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      cores: availableParallelism(),
      loadAverage: { before: loadBefore, after: loadAfter },
      htmlPage,
      matches,
      baseline: { p95Ms: baselineP95Ms, before: baselineBefore, after: baselineAfter },
      scenarios: scenarioResults,
      plans,
      meetsTargets: scenarioResults.every((r) => r.meetsTarget),
    };
  } finally {
    await pool.end();
    await server.close();
  }
}

export async function benchWebLatency(): Promise<WebLatencyResult | null> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.log(
      `\nweb latency, changes list and full-text search over ${RECORDS.toLocaleString("en")} records: skipped (DATABASE_URL is not set)`,
    );
    return null;
  }
  const scratch = await scratchPostgres(url, "regwatch_bench");
  try {
    const database = await openDatabase({ databaseUrl: scratch.url });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
    const seeded = await seed(scratch.url, RECORDS);
    console.log(
      `\nweb latency: seeded ${seeded.records.toLocaleString("en")} change records (${seeded.technologies.toLocaleString("en")} technology tags, ${seeded.countries.toLocaleString("en")} country tags) in ${(seeded.ms / 1000).toFixed(1)} s (${Object.entries(
        seeded.steps,
      )
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(
          ", ",
        )}; foreign-key triggers ${seeded.fkTriggers}); table ${seeded.tableMb.toFixed(0)} MB, its indexes ${seeded.indexesMb.toFixed(0)} MB; detected_at to row order correlation ${seeded.detectedAtCorrelation?.toFixed(3)}`,
    );
    const result: WebLatencyResult = {
      records: seeded.records,
      seed: seeded,
      ...(await measureServer(scratch.url)),
    };
    printReport(result);
    return result;
  } finally {
    await scratch.drop();
  }
}

function printReport(r: WebLatencyResult) {
  const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(9);
  const line = (label: string, x: LoadResult) =>
    `    ${label.padEnd(14)} p50 ${ms(x.p50Ms)}  p95 ${ms(x.p95Ms)}  p99 ${ms(x.p99Ms)}  ${x.rps.toFixed(0).padStart(5)} req/s  server CPU ${(x.serverCpuMsPerRequest ?? 0).toFixed(2).padStart(6)} ms/req`;
  console.log(
    `\nweb latency, the real server (child process, public read, its pool of 4 connections) over ${r.records.toLocaleString("en")} change records in PostgreSQL; autocannon, ${r.connections} connections, ${r.seconds} s per scenario after ${r.warmupSeconds} s warm-up, latencies of 2xx answers; ${r.cores} cores, load average ${r.loadAverage.before.toFixed(1)} as the scenarios began, ${r.loadAverage.after.toFixed(1)} as they ended; HTML page /changes: ${r.htmlPage}`,
  );
  console.log(`  baseline /health (p95 ${r.baseline.p95Ms.toFixed(1)} ms, the mean of the two runs)`);
  console.log(line("before", r.baseline.before));
  console.log(line("after", r.baseline.after));
  const names = [...new Set(r.scenarios.map((s) => s.name))];
  const matched = (key: string) => (r.matches[key] ?? 0).toLocaleString("en");
  for (const name of names) {
    const runs = r.scenarios.filter((s) => s.name === name);
    console.log(`  ${name}, target p95 ≤ ${runs[0]!.targetMs} ms`);
    const scenario = scenarios().find((s) => s.name === name);
    const terms = scenario?.terms;
    console.log(
      terms
        ? `    records matched: ${terms.map((t) => `${t} ${matched(t)}`).join(", ")}`
        : `    records matched by technology=quantum&jurisdiction=US: ${matched("technology=quantum&jurisdiction=US")}`,
    );
    for (const s of runs) {
      const failure = s.passed
        ? ""
        : `; FAILED: ${s.non2xx} non-2xx ${JSON.stringify(s.statuses)}, ${s.errors} errors, ${s.timeouts} timeouts`;
      console.log(
        `${line(s.surface === "api" ? "/api/changes" : "/changes", s)}  ${s.ratioToBaseline.toFixed(1).padStart(5)}× baseline  ${s.meetsTarget ? "met" : "missed"}${failure}`,
      );
    }
  }
  console.log(
    `  targets (filtered list p95 ≤ ${LIST_TARGET_MS} ms, full-text search p95 ≤ ${SEARCH_TARGET_MS} ms): ${r.meetsTargets ? "all met" : "not all met"}`,
  );
  for (const [name, plan] of Object.entries(r.plans))
    console.log(
      `\n  missed: the plan of the scenario's slowest page query (EXPLAIN ANALYZE, no load), ${name}:\n${plan.replace(/^/gm, "    ")}`,
    );
  console.log(JSON.stringify({ webLatency: r }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = process.argv.indexOf(SERVER_FLAG);
  if (flag >= 0)
    await serveInChild(process.argv[flag + 1]!, JSON.parse(process.argv[flag + 2]!) as SourceInfo[]);
  else await benchWebLatency();
}
