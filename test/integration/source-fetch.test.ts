// Every registered source's fetch, end to end as a live run does it: the real
// HttpClient (REGWATCH_ORIGIN_MAP-style "*" catch-all, validators read from the
// database as the runtime reads them), the real pipeline (`runSource`), a real
// database, and one local server answering every publisher's addresses from the
// sources' own hand-written fixtures. The server gives every body an ETag and
// answers a matching If-None-Match with 304, as the publishers do.
//
// Per source: the first run is stored (baseline, healthy, the documents or
// entries of the fixtures, the raw artifact archived); a second run against an
// unchanged server asks only the probe and stores nothing; list sources then
// take their newer fixture and give exactly its records. Where a source does not
// work end to end, the test says what the right behaviour is (and fails).
//
// fr.jorf.export-control: its browser path needs Chromium and is not run here;
// its PISTE path is, with credentials in the environment its fetch reads.

import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { ChangeRecord } from "@regwatch/core/schemas";
import { sha256Hex } from "@regwatch/core/text";
import type { Database } from "@regwatch/db/open-database";
import { getArtifact, getValidators } from "@regwatch/db/queries/artifacts";
import { currentEntries, listSnapshots } from "@regwatch/db/queries/snapshots";
import { getSource } from "@regwatch/db/queries/sources";
import { createExclusive, type PipelineDeps } from "@regwatch/pipeline/deps";
import { type RunOutcome, runSource } from "@regwatch/pipeline/run-source";
import type { SourceDefinition } from "@regwatch/sources/define-source";
import { findSource } from "@regwatch/sources/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../support/databases.ts";
import { type Reply, startSourceServer } from "../support/source-server.ts";
import { silentLog, testHttpClient } from "../support/test-http.ts";

const SOURCES_DIR = join(import.meta.dirname, "../../packages/sources/src");
const fixture = (path: string): Buffer => readFileSync(join(SOURCES_DIR, path));
const text = (path: string) => fixture(path).toString("utf8");

const registered = (id: string): SourceDefinition => {
  const source = findSource(id);
  if (!source) throw new Error(`${id} is not in the registry`);
  return source;
};
/**
 * The registered source with its minimum entry count lowered to what a small
 * fixture holds: the real lists are sized for the real documents (as
 * test/integration/pipeline.test.ts does). Fetch, parse and the rest are the
 * registered ones.
 */
const sized = (id: string, minEntries: number): SourceDefinition => {
  const source = registered(id);
  return { ...source, expectations: { ...source.expectations, minEntries } };
};

// ---------------------------------------------------------------------------
// The stand-in server: what it serves (moved along by the tests), and its log.
// ---------------------------------------------------------------------------

interface Hit {
  method: string;
  path: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

const XML = "application/xml; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

const world = {
  ecoSchedules: "eco-schedules-2022-12-14.xml",
  bwbExpressions: ["2023-09-01_0"],
  staatscourant2025: false,
  lovtidendModified: "2025-12-09T02:31:00Z",
  regulation: { archive: new Uint8Array() as Uint8Array, modified: "2025-12-09T02:32:00Z" },
};

function resetWorld() {
  world.ecoSchedules = "eco-schedules-2022-12-14.xml";
  world.bwbExpressions = ["2023-09-01_0"];
  world.staatscourant2025 = false;
  world.lovtidendModified = "2025-12-09T02:31:00Z";
  // The regulation as in force from 2025-06-02, in a plain tar (the source reads tar or tar.bz2).
  world.regulation = {
    archive: tarOf([
      "sf/sf-20130619-0718.xml",
      fixture("no/export-control-regulation/fixtures/sf-20130619-0718-before.xml"),
    ]),
    modified: "2025-12-09T02:32:00Z",
  };
}

const etagOf = (body: Uint8Array) => `"${sha256Hex(body).slice(0, 16)}"`;

/** A body with its ETag; 304 when the request names that ETag. */
function validated(req: IncomingMessage, body: Uint8Array | string, type: string): Reply {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const etag = etagOf(bytes);
  if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
  return { body: bytes, headers: { etag, "content-type": type } };
}

const notFound = (): Reply => ({
  status: 404,
  headers: { "content-type": JSON_TYPE },
  body: '{"status":404}',
});

/** One regular file in a POSIX ustar archive, then the end marker. */
function tarOf(...files: [string, Uint8Array][]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, content] of files) {
    const header = new Uint8Array(512);
    const put = (s: string, at: number) => header.set(Buffer.from(s, "utf8"), at);
    put(name, 0);
    put("0000664\0", 100);
    put("0000000\0", 108);
    put("0000000\0", 116);
    put(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
    put("15120000000\0", 136);
    put("        ", 148);
    header[156] = 0x30;
    put("ustar\u000000", 257);
    const sum = header.reduce((a, b) => a + b, 0);
    put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const body = new Uint8Array(Math.ceil(content.length / 512) * 512);
    body.set(content);
    blocks.push(header, body);
  }
  return Buffer.concat([...blocks, new Uint8Array(1024)]);
}

// --- per publisher ---------------------------------------------------------

const BOE = "es/boe/fixtures/";
const CELLAR = "eu/cellar-acts/fixtures/";
const ANNEX = "eu/annex-i/fixtures/";
const EFFECTS = "gb/legislation-effects/fixtures/";
const ECO = "gb/eco-schedules/fixtures/";
const NTE = "gb/notices-to-exporters/fixtures/";
const NORMATTIVA = "it/normattiva/fixtures/";
const STCRT = "nl/staatscourant/fixtures/";
const BWB = "nl/bwb/fixtures/";
const FINLEX = "fi/finlex/fixtures/";
const LOVDATA = "no/lovdata/fixtures/";
const JORF = "fr/jorf/fixtures/";

/** The ECO's table of contents as the probe reads it: the served schedules' own `ukm:Metadata`, cut out. */
function ecoContents(): string {
  const schedules = text(ECO + world.ecoSchedules);
  const end = schedules.indexOf("</ukm:Metadata>") + "</ukm:Metadata>".length;
  return `${schedules.slice(0, end).replace("/uksi/2008/3231/schedules", "/uksi/2008/3231/contents")}</Legislation>`;
}

/** A toestand by expression label; 2025-04-01_0 (no fixture) is the 2024 text re-dated, for the published-ahead case. */
function bwbToestand(label: string): Buffer | null {
  if (label === "2023-09-01_0" || label === "2024-09-07_0") return fixture(`${BWB}regeling-${label}.xml`);
  if (label === "2025-04-01_0")
    return Buffer.from(
      text(`${BWB}regeling-2024-09-07_0.xml`).replace(
        'inwerkingtreding="2024-09-07"',
        'inwerkingtreding="2025-04-01"',
      ),
    );
  return null;
}

/** KOOP's repository manifest of the work, listing `world.bwbExpressions` (the shape of the real manifest). */
function bwbManifest(): string {
  const expressions = world.bwbExpressions.map((label, i, all) => {
    const next = all[i + 1];
    const end = next
      ? new Date(Date.parse(`${next.slice(0, 10)}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
      : "9999-12-31";
    const body = bwbToestand(label)!;
    return `  <expression label="${label}"><metadata><datum_inwerkingtreding>${label.slice(0, 10)}</datum_inwerkingtreding><einddatum>${end}</einddatum></metadata>
    <manifestation label="xml"><metadata><hashcode>${sha256Hex(body)}</hashcode><size>${body.length}</size></metadata><item label="BWBR0099999_${label}.xml" _deleted="false"/></manifestation></expression>`;
  });
  const latest = world.bwbExpressions.at(-1)!;
  return `<?xml version="1.0" encoding="utf-8"?>
<work label="BWBR0099999" _latestItem="${latest}/xml/BWBR0099999_${latest}.xml">
  <metadata><datum_inwerkingtreding>2023-09-01</datum_inwerkingtreding></metadata>
${expressions.join("\n")}
</work>`;
}

/** A day on which the Staatscourant published nothing: the day-page fixture's envelope, no records. */
function emptySruDay(): string {
  return text(`${STCRT}sru-stcrt-2024-09-06-p2.xml`)
    .replace(
      /<sru:numberOfRecords>\d+<\/sru:numberOfRecords>/,
      "<sru:numberOfRecords>0</sru:numberOfRecords>",
    )
    .replace(/<sru:records>[\s\S]*<\/sru:records>/, "");
}

/** A Normattiva search answer holding only the hits `keep` accepts. */
function normattivaSearch(file: string, keep: (hit: { codiceRedazionale: string }) => boolean): string {
  const answer = JSON.parse(text(NORMATTIVA + file)) as { listaAtti: { codiceRedazionale: string }[] };
  const listaAtti = answer.listaAtti.filter(keep);
  return JSON.stringify({ ...answer, listaAtti, numeroAttiTrovati: listaAtti.length });
}

/** Lovdata's public-data list as the probe reads it, of the files served. */
function lovdataList(): string {
  const lovtidend = fixture(`${LOVDATA}lovtidend-avd1-2025-hand-written.tar.bz2`);
  return JSON.stringify([
    {
      filename: "gjeldende-lover.tar.bz2",
      description: "Gjeldende lover",
      sizeBytes: "7340032",
      lastModified: "2025-12-09T01:31:00Z",
    },
    {
      filename: "gjeldende-sentrale-forskrifter.tar.bz2",
      description: "Gjeldende sentrale forskrifter",
      sizeBytes: String(world.regulation.archive.length),
      lastModified: world.regulation.modified,
    },
    {
      filename: "lovtidend-avd1-2001-2024.tar.bz2",
      description: "Norsk Lovtidend avd. I 2001-2024",
      sizeBytes: "69000000",
      lastModified: "2025-01-02T02:31:00Z",
    },
    {
      filename: "lovtidend-avd1-2025.tar.bz2",
      description: "Norsk Lovtidend avd. I - lover og sentrale forskrifter",
      sizeBytes: String(lovtidend.length),
      lastModified: world.lovtidendModified,
    },
  ]);
}

const PISTE_TOKEN = "fixture-access-token-7c1f";
const NTE_BY_PATH: Record<string, string> = {
  "/government/publications/notice-to-exporters-202405-new-controls-on-emerging-technologies":
    "nte-2024-05-emerging-technologies.json",
  "/government/publications/notice-to-exporters-202409-open-general-export-licence-military-goods-updated":
    "nte-2024-09-general-licence.json",
  "/government/publications/notice-to-exporters-202411-lite-replaces-spire":
    "nte-2024-11-script-in-body.json",
};

/** Every publisher's answer, by path (the "*" origin map keeps paths and queries, not hosts). */
function answer(req: IncomingMessage, url: URL, body: string): Reply {
  const p = url.pathname;
  const q = url.searchParams;
  // BOE open data
  const sumario = /^\/datosabiertos\/api\/boe\/sumario\/(\d{8})$/.exec(p);
  if (sumario)
    return sumario[1] === "20251112"
      ? validated(req, fixture(`${BOE}sumario-api-one-order.xml`), XML)
      : notFound();
  if (p === "/diario_boe/xml.php" && q.get("id") === "BOE-A-2025-90003")
    return validated(req, fixture(`${BOE}documento-orden-ecm-anexos.xml`), XML);
  // Cellar
  if (p === "/webapi/rdf/sparql") {
    const query = q.get("query") ?? "";
    const type = "application/sparql-results+json";
    if (query.includes("act_consolidated_based_on_resource_legal"))
      return validated(req, fixture(`${ANNEX}sparql-consolidations.json`), type);
    if (query.includes("resource_legal_amends_resource_legal"))
      return validated(req, fixture(`${CELLAR}sparql-amending-acts.json`), type);
    return notFound();
  }
  const formex = /^\/resource\/consolidation\/2021R0821%2F(\d{8})\.ENG\.fmx4$/.exec(p);
  if (formex) {
    const file = { "20241108": "cons-2021R0821-20241108.xml", "20251115": "cons-2021R0821-20251115.xml" }[
      formex[1]!
    ];
    return file ? validated(req, fixture(ANNEX + file), XML) : notFound();
  }
  // legislation.gov.uk
  const atom = "application/atom+xml; charset=utf-8";
  if (p === "/changes/affected/uksi/2008/3231/data.feed")
    return validated(req, fixture(`${EFFECTS}changes-affected-eco-page${q.get("page") ?? "1"}.feed`), atom);
  const affecting =
    /^\/changes\/affected\/uksi\/2008\/3231\/affecting\/uksi\/(\d{4})\/(\d+)\/data\.feed$/.exec(p);
  if (affecting)
    return validated(
      req,
      fixture(`${EFFECTS}changes-affected-eco-affecting-uksi-${affecting[1]}-${affecting[2]}.feed`),
      atom,
    );
  if (p === "/uksi/2008/3231/contents/data.xml") return validated(req, ecoContents(), XML);
  if (p === "/uksi/2008/3231/schedules/data.xml")
    return validated(req, fixture(ECO + world.ecoSchedules), XML);
  // GOV.UK
  if (p === "/api/search.json") return validated(req, fixture(`${NTE}search-ecju-notices.json`), JSON_TYPE);
  if (p.startsWith("/api/content/")) {
    const file = NTE_BY_PATH[p.slice("/api/content".length)];
    return file ? validated(req, fixture(NTE + file), JSON_TYPE) : notFound();
  }
  // Normattiva
  const api = "/t/normattiva.api/bff-opendata/v1/api/v1/ricerca/";
  if (p === `${api}avanzata` && req.method === "POST") {
    const day = (JSON.parse(body) as { dataInizioEmanazione?: string }).dataInizioEmanazione;
    if (day === "2017-12-15")
      return {
        headers: { "content-type": JSON_TYPE },
        body: normattivaSearch(
          "search-aggiornati-221-2017-updated.json",
          (h) => h.codiceRedazionale === "18G00901",
        ),
      };
    if (day === "2025-06-18")
      return {
        headers: { "content-type": JSON_TYPE },
        body: text(`${NORMATTIVA}search-avanzata-emanazione-2025-06-18.json`),
      };
    return {
      headers: { "content-type": JSON_TYPE },
      body: normattivaSearch("search-avanzata-emanazione-2025-06-18.json", () => false),
    };
  }
  if (p === `${api}aggiornati` && req.method === "POST")
    return {
      headers: { "content-type": JSON_TYPE },
      body: normattivaSearch(
        "search-aggiornati-221-2017-updated.json",
        // D.Lgs. 221/2017 (18G00901) not updated since the last run: the other act only.
        (h) => h.codiceRedazionale !== "18G00901",
      ),
    };
  if (p === "/do/atto/caricaAKN") {
    const file = {
      "18G00901": "akn-dlgs-2017-221-vigente-abridged.xml",
      "25G00901": "akn-dlgs-2025-901-amends-221-2017.xml",
    }[q.get("codiceRedaz") ?? ""];
    return file ? validated(req, fixture(NORMATTIVA + file), XML) : notFound();
  }
  // KOOP: Staatscourant SRU and texts, BWB search, repository
  if (p === "/sru") {
    const day = /dt\.modified==(\d{4}-\d{2}-\d{2})/.exec(q.get("query") ?? "")?.[1];
    const start = q.get("startRecord") ?? "1";
    let page = emptySruDay();
    if (day === "2024-09-06") page = text(`${STCRT}sru-stcrt-2024-09-06-p${start === "1" ? "1" : "2"}.xml`);
    if (day === "2025-01-15" && world.staatscourant2025) page = text(`${STCRT}sru-stcrt-2025-01-15.xml`);
    return validated(req, page, XML);
  }
  const publication = /^\/frbr\/officielepublicaties\/stcrt\/\d{4}\/(stcrt-\d{4}-\d+)\/1\/xml\/\1\.xml$/.exec(
    p,
  );
  if (publication) {
    const file = `${STCRT}${publication[1]}.xml`;
    return ["stcrt-2024-99999", "stcrt-2025-99998", "stcrt-2023-18212"].includes(publication[1]!)
      ? validated(req, fixture(file), XML)
      : notFound();
  }
  if (p === "/sru/Search") return validated(req, fixture(`${BWB}sru-bwb-search.xml`), XML);
  if (p === "/bwb/BWBR0099999/manifest.xml") return validated(req, bwbManifest(), XML);
  const toestand = /^\/bwb\/BWBR0099999\/([\d-]+_\d+)\/xml\/BWBR0099999_\1\.xml$/.exec(p);
  if (toestand) {
    const bytes = world.bwbExpressions.includes(toestand[1]!) ? bwbToestand(toestand[1]!) : null;
    return bytes ? validated(req, bytes, XML) : notFound();
  }
  // Finlex open data
  if (p === "/finlex/avoindata/v1/akn/fi/act/statute/list") {
    const listed =
      q.get("startYear") === "2025" && q.get("titleContains") === "kaksikäyttötuotteiden vientivalvonnasta"
        ? fixture(`${FINLEX}list-statutes-2025-kaksikayttotuotteiden-vientivalvonnasta.json`)
        : Buffer.from("[]");
    return validated(req, listed, JSON_TYPE);
  }
  if (p === "/finlex/avoindata/v1/akn/fi/act/statute/2025/1234/fin@")
    return validated(req, fixture(`${FINLEX}akn-amendment-of-500-2024.xml`), XML);
  // Lovdata public data
  if (p === "/v1/publicData/list") return validated(req, lovdataList(), JSON_TYPE);
  if (p === "/v1/publicData/get/lovtidend-avd1-2025.tar.bz2")
    return validated(
      req,
      fixture(`${LOVDATA}lovtidend-avd1-2025-hand-written.tar.bz2`),
      "application/x-bzip2",
    );
  if (p === "/v1/publicData/get/gjeldende-sentrale-forskrifter.tar.bz2")
    return validated(req, world.regulation.archive, "application/x-tar");
  // PISTE (Légifrance API)
  if (p === "/api/oauth/token" && req.method === "POST") {
    const form = new URLSearchParams(body);
    const ok = form.get("grant_type") === "client_credentials" && form.get("client_id") === "fixture-client";
    return ok
      ? { headers: { "content-type": JSON_TYPE }, body: text(`${JORF}piste-token.json`) }
      : { status: 401 };
  }
  if (p.startsWith("/dila/legifrance/lf-engine-app/") && req.method === "POST") {
    if (req.headers.authorization !== `Bearer ${PISTE_TOKEN}`) return { status: 401 };
    const call = JSON.parse(body) as { textCid?: string; recherche?: { champs?: { typeChamp?: string }[] } };
    if (p.endsWith("/search")) {
      const field = call.recherche?.champs?.[0]?.typeChamp;
      const file = field === "NOR" ? "piste-search-nor-ECOI2401482A.json" : "piste-search-amendments.json";
      return { headers: { "content-type": JSON_TYPE }, body: text(JORF + file) };
    }
    if (p.endsWith("/consult/jorf")) {
      const file = {
        JORFTEXT000049999001: "piste-consult-jorf-ECOI2401482A.json",
        JORFTEXT000051499001: "piste-consult-jorf-ECOI2599999A.json",
      }[call.textCid ?? ""];
      return file ? { headers: { "content-type": JSON_TYPE }, body: text(JORF + file) } : notFound();
    }
  }
  return notFound();
}

const log: Hit[] = [];
let server: Awaited<ReturnType<typeof startSourceServer>>;

beforeAll(async () => {
  resetWorld();
  server = await startSourceServer((url) => async (req) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    log.push({
      method: req.method ?? "GET",
      path: `${url.pathname}${url.search}`,
      url,
      headers: req.headers,
      body,
    });
    return answer(req, url, body);
  });
});
afterAll(() => server?.close());

// ---------------------------------------------------------------------------
// The runs.
// ---------------------------------------------------------------------------

describe.each(testDatabases())("every source's fetch against its fixtures on $name", (testDb) => {
  let database: Database;
  let deps: PipelineDeps;

  beforeAll(async () => {
    database = await testDb.open();
    resetWorld();
    deps = {
      db: database.db,
      log: silentLog,
      exclusive: createExclusive(),
      http: testHttpClient(
        { "*": server.origin },
        { validators: { get: (url) => getValidators(database.db, url) } },
      ),
      // As the runtime hands them over from the configuration (LEGIFRANCE_CLIENT_ID/SECRET).
      secrets: { LEGIFRANCE_CLIENT_ID: "fixture-client", LEGIFRANCE_CLIENT_SECRET: "fixture-secret" },
    };
  });
  afterAll(() => database?.close());

  /** One run of the source at `at`, with the requests it made. */
  async function run(source: SourceDefinition, at: string): Promise<{ outcome: RunOutcome; asked: Hit[] }> {
    const before = log.length;
    const outcome = await runSource(deps, source, { runAt: new Date(at) });
    return { outcome, asked: log.slice(before) };
  }
  const paths = (asked: Hit[]) => asked.map((h) => h.url.pathname);
  const keys = async (id: string) => (await currentEntries(database.db, id)).map((e) => e.key).sort();
  const snapshotCount = async (id: string) => (await listSnapshots(database.db, id, 1000)).length;
  const health = async (id: string) => (await getSource(database.db, id))?.health;
  const state = async (id: string) => (await getSource(database.db, id))?.state ?? {};
  const changes = (records: ChangeRecord[]) => records.map((r) => `${r.kind} ${r.subject}`).sort();

  /** A first run: stored as the baseline, healthy, every snapshot accepted with its bytes archived. */
  async function expectBaseline(id: string, outcome: RunOutcome) {
    expect(outcome.reason).toBeNull();
    expect(outcome.status).toBe("baseline");
    expect(outcome.health).toBe("healthy");
    expect(await health(id)).toBe("healthy");
    const snapshots = await listSnapshots(database.db, id, 1000);
    expect(snapshots.length).toBeGreaterThan(0);
    expect(snapshots.map((s) => s.status)).toEqual(snapshots.map(() => "accepted"));
    for (const s of snapshots)
      expect((await getArtifact(database.db, s.artifactSha256))?.body.length).toBeGreaterThan(0);
  }
  /** These exact bytes are archived. */
  async function expectArchived(bytes: Uint8Array) {
    const stored = await getArtifact(database.db, sha256Hex(bytes));
    expect(stored, "raw artifact archived").toBeDefined();
    expect(Buffer.from(stored!.body).equals(Buffer.from(bytes))).toBe(true);
  }
  /** A run that found nothing new and stored nothing. */
  async function expectNothingNew(id: string, outcome: RunOutcome, snapshotsBefore: number) {
    expect(outcome.reason).toBeNull();
    expect(outcome.status).toBe("unchanged");
    expect(outcome.records).toEqual([]);
    expect(await health(id)).toBe("healthy");
    expect(await snapshotCount(id)).toBe(snapshotsBefore);
  }

  describe("es.boe.export-control", () => {
    const source = registered("es.boe.export-control");
    const id = source.id;

    it("reads the day's summary and the export-control order it lists", async () => {
      const { outcome, asked } = await run(source, "2025-11-12T07:00:00Z");
      expect(asked.map((h) => h.path)).toEqual([
        "/datosabiertos/api/boe/sumario/20251112",
        "/diario_boe/xml.php?id=BOE-A-2025-90003",
      ]);
      // The summary is asked for as XML, the header the client passes on unchanged.
      expect(asked[0]!.headers.accept).toBe("application/xml");
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["BOE-A-2025-90003"]);
      await expectArchived(fixture(`${BOE}sumario-api-one-order.xml`));
      await expectArchived(fixture(`${BOE}documento-orden-ecm-anexos.xml`));
    });

    it("asks only the summary again later that day, conditionally, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-11-12T13:00:00Z");
      expect(asked.map((h) => h.path)).toEqual(["/datosabiertos/api/boe/sumario/20251112"]);
      expect(asked[0]!.headers["if-none-match"]).toBe(etagOf(fixture(`${BOE}sumario-api-one-order.xml`)));
      await expectNothingNew(id, outcome, before);
    });

    it("after a day without a run, reads the day it missed", async () => {
      const { outcome, asked } = await run(source, "2025-11-14T07:00:00Z");
      expect(outcome.status).toBe("unchanged");
      // 2025-11-13 was never read. The cursor never moves: a run reads only today while
      // it has no lastDay, and sets lastDay only for days before today (es/boe/source.ts
      // daysToRead, `if (day < isoDay(ctx.now)) lastDay = day`), so state stays {}.
      expect(paths(asked)).toEqual(
        expect.arrayContaining([
          "/datosabiertos/api/boe/sumario/20251113",
          "/datosabiertos/api/boe/sumario/20251114",
        ]),
      );
    });
  });

  describe("eu.cellar.amending-acts", () => {
    const source = registered("eu.cellar.amending-acts");
    const id = source.id;

    it("stores the acts amending Regulation (EU) 2021/821 from one SPARQL answer", async () => {
      const { outcome, asked } = await run(source, "2025-12-01T07:40:00Z");
      expect(paths(asked)).toEqual(["/webapi/rdf/sparql"]);
      expect(asked[0]!.url.searchParams.get("format")).toBe("application/sparql-results+json");
      expect(asked[0]!.headers.accept).toBe("application/sparql-results+json");
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["32024R2547", "32025R2003"]);
      await expectArchived(fixture(`${CELLAR}sparql-amending-acts.json`));
    });

    it("asks the one query again and stores nothing when the answer is the same", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-01T15:40:00Z");
      expect(paths(asked)).toEqual(["/webapi/rdf/sparql"]);
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("eu.cellar.annex-i", () => {
    const source = sized("eu.cellar.annex-i", 10);
    const id = source.id;
    const formex = (date: string) => `/resource/consolidation/2021R0821%2F${date}.ENG.fmx4`;

    it("probes the consolidations and downloads the Formex of the version in force", async () => {
      const { outcome, asked } = await run(source, "2025-06-02T06:20:00Z");
      expect(paths(asked)).toEqual(["/webapi/rdf/sparql", formex("20241108")]);
      await expectBaseline(id, outcome);
      const entries = await keys(id);
      expect(entries).toHaveLength(49);
      expect(entries).toEqual(
        expect.arrayContaining(["3A001.a.1.c", "3B001.c.1.a", "5A002", "def:Accuracy"]),
      );
      await expectArchived(fixture(`${ANNEX}cons-2021R0821-20241108.xml`));
      expect(await state(id)).toMatchObject({ lastCelex: "02021R0821-20241108" });
    });

    it("asks only the probe while the same version is in force", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-06-03T06:20:00Z");
      expect(paths(asked)).toEqual(["/webapi/rdf/sparql"]);
      await expectNothingNew(id, outcome, before);
    });

    it("takes the 2025-11-15 version once in force, with exactly its records", async () => {
      const { outcome, asked } = await run(source, "2025-11-17T06:20:00Z");
      expect(paths(asked)).toEqual(["/webapi/rdf/sparql", formex("20251115")]);
      expect(outcome.status).toBe("changed");
      // Added entries come as one record each, their paragraphs with them.
      expect(changes(outcome.records)).toEqual([
        "added 1A907",
        "added 4A906",
        "modified 3A001.a.2",
        "removed 3A001.b.3",
      ]);
      expect(outcome.records.every((r) => r.effectiveAt === "2025-11-15")).toBe(true);
      expect(await health(id)).toBe("healthy");
    });
  });

  describe("gb.legislation.eco-amendments", () => {
    const source = registered("gb.legislation.eco-amendments");
    const id = source.id;

    it("reads page 1 of the Order's changes, then each amending instrument's effects", async () => {
      const { outcome, asked } = await run(source, "2025-06-15T06:47:00Z");
      expect(paths(asked)).toEqual([
        "/changes/affected/uksi/2008/3231/data.feed",
        "/changes/affected/uksi/2008/3231/affecting/uksi/2024/346/data.feed",
        "/changes/affected/uksi/2008/3231/affecting/uksi/2025/532/data.feed",
      ]);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["uksi/2024/346", "uksi/2025/532"]);
      await expectArchived(fixture(`${EFFECTS}changes-affected-eco-affecting-uksi-2024-346.feed`));
      await expectArchived(fixture(`${EFFECTS}changes-affected-eco-affecting-uksi-2025-532.feed`));
    });

    it("asks only page 1 again, with the ETag it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-06-15T18:47:00Z");
      expect(asked.map((h) => h.path)).toEqual([
        "/changes/affected/uksi/2008/3231/data.feed?results-count=50&sort=modified",
      ]);
      expect(asked[0]!.headers["if-none-match"]).toBe(
        etagOf(fixture(`${EFFECTS}changes-affected-eco-page1.feed`)),
      );
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("gb.legislation.eco-schedules", () => {
    const source = sized("gb.legislation.eco-schedules", 10);
    const id = source.id;

    it("probes the contents, then downloads the schedules", async () => {
      const { outcome, asked } = await run(source, "2024-01-10T06:17:00Z");
      expect(paths(asked)).toEqual([
        "/uksi/2008/3231/contents/data.xml",
        "/uksi/2008/3231/schedules/data.xml",
      ]);
      await expectBaseline(id, outcome);
      const entries = await keys(id);
      expect(entries).toHaveLength(32);
      expect(entries).toEqual(
        expect.arrayContaining(["ML1.b.2.b", "PL9009.b", "Sch.3.def.digital-computer"]),
      );
      expect(entries).not.toContain("PL9013");
      await expectArchived(fixture(`${ECO}eco-schedules-2022-12-14.xml`));
    });

    it("asks only the contents again, with the ETag it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2024-01-10T18:17:00Z");
      expect(paths(asked)).toEqual(["/uksi/2008/3231/contents/data.xml"]);
      expect(asked[0]!.headers["if-none-match"]).toBe(etagOf(Buffer.from(ecoContents())));
      await expectNothingNew(id, outcome, before);
    });

    it("takes the schedules after S.I. 2024/346, with exactly their records", async () => {
      world.ecoSchedules = "eco-schedules-2024-04-01.xml";
      const { outcome, asked } = await run(source, "2024-05-15T06:17:00Z");
      expect(paths(asked)).toEqual([
        "/uksi/2008/3231/contents/data.xml",
        "/uksi/2008/3231/schedules/data.xml",
      ]);
      // The schedules are asked conditionally (the validators of the body stored last time): the server changed them.
      expect(asked[1]!.headers["if-none-match"]).toBe(etagOf(fixture(`${ECO}eco-schedules-2022-12-14.xml`)));
      expect(outcome.status).toBe("changed");
      expect(changes(outcome.records)).toEqual([
        "added PL9013",
        "added PL9014",
        "added PL9015",
        "modified ML4.b.technical-note",
        "modified PL9009.b",
      ]);
      expect(outcome.records.every((r) => r.effectiveAt === "2024-04-01")).toBe(true);
    });
  });

  describe("gb.govuk.notices-to-exporters", () => {
    const source = registered("gb.govuk.notices-to-exporters");
    const id = source.id;
    const content = (file: string) =>
      `/api/content${Object.entries(NTE_BY_PATH).find(([, f]) => f === file)![0]}`;

    it("searches ECJU notices, then reads each Notice to Exporters, oldest first", async () => {
      const { outcome, asked } = await run(source, "2024-07-02T08:15:00Z");
      expect(paths(asked)).toEqual([
        "/api/search.json",
        content("nte-2024-05-emerging-technologies.json"),
        content("nte-2024-11-script-in-body.json"),
        content("nte-2024-09-general-licence.json"),
      ]);
      expect(asked[0]!.url.searchParams.getAll("filter_organisations")).toEqual([
        "export-control-joint-unit",
      ]);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(Object.keys(NTE_BY_PATH).sort());
      for (const file of Object.values(NTE_BY_PATH)) await expectArchived(fixture(NTE + file));
    });

    it("asks only the search again and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2024-07-02T12:15:00Z");
      expect(paths(asked)).toEqual(["/api/search.json"]);
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("fr.jorf.export-control (PISTE; the browser path needs Chromium and is not run here)", () => {
    const source = registered("fr.jorf.export-control");
    const id = source.id;
    const api = "/dila/legifrance/lf-engine-app";
    const calls = (asked: Hit[]) =>
      asked
        .filter((h) => h.url.pathname !== "/api/oauth/token")
        .map((h) => {
          const body = JSON.parse(h.body) as {
            textCid?: string;
            recherche?: { champs?: { typeChamp?: string }[] };
          };
          return `${h.method} ${h.url.pathname} ${body.textCid ?? body.recherche?.champs?.[0]?.typeChamp}`;
        });

    it("finds the arrêté by NOR, the arrêtés amending it by title, and consults each", async () => {
      const { outcome, asked } = await run(source, "2025-05-01T07:20:00Z");
      expect(calls(asked)).toEqual([
        `POST ${api}/search NOR`,
        `POST ${api}/search TITLE`,
        `POST ${api}/consult/jorf JORFTEXT000049999001`,
        `POST ${api}/consult/jorf JORFTEXT000051499001`,
      ]);
      // The token (asked once per process, kept in memory): a form POST with the credentials.
      for (const h of asked.filter((a) => a.url.pathname === "/api/oauth/token")) {
        expect(h.method).toBe("POST");
        expect(h.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      }
      expect(
        asked
          .filter((h) => h.url.pathname.startsWith(api))
          .every((h) => h.headers.authorization === `Bearer ${PISTE_TOKEN}`),
      ).toBe(true);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["ECOI2401482A", "ECOI2599999A"]);
      await expectArchived(fixture(`${JORF}piste-consult-jorf-ECOI2401482A.json`));
      expect(JSON.stringify(await state(id))).not.toContain("fixture-secret");
    });

    it("asks only the title search again and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-05-02T07:20:00Z");
      expect(calls(asked)).toEqual([`POST ${api}/search TITLE`]);
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("it.normattiva.export-control", () => {
    const source = registered("it.normattiva.export-control");
    const id = source.id;
    const api = "/t/normattiva.api/bff-opendata/v1/api/v1/ricerca/";

    it("locates D.Lgs. 221/2017, reads its export, then the act amending it", async () => {
      const { outcome, asked } = await run(source, "2025-07-02T06:40:00Z");
      expect(
        asked.map((h) =>
          `${h.method} ${h.url.pathname} ${h.url.searchParams.get("codiceRedaz") ?? ""}`.trim(),
        ),
      ).toEqual([
        `POST ${api}avanzata`,
        "GET /do/atto/caricaAKN 18G00901",
        `POST ${api}avanzata`,
        "GET /do/atto/caricaAKN 25G00901",
      ]);
      // The searches are JSON POSTs through the real client.
      expect(asked[0]!.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(asked[0]!.body)).toMatchObject({ dataInizioEmanazione: "2017-12-15" });
      expect(JSON.parse(asked[2]!.body)).toMatchObject({ dataInizioEmanazione: "2025-06-18" });
      expect(asked[1]!.url.searchParams.get("dataVigenza")).toBe("20250702");
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual([
        "urn:nir:stato:decreto.legislativo:2017-12-15;221",
        "urn:nir:stato:decreto.legislativo:2025-06-18;901",
      ]);
      await expectArchived(fixture(`${NORMATTIVA}akn-dlgs-2025-901-amends-221-2017.xml`));
    });

    it("asks only whether a followed act was updated, and stores nothing when none was", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-07-03T06:40:00Z");
      expect(asked.map((h) => `${h.method} ${h.url.pathname}`)).toEqual([`POST ${api}aggiornati`]);
      expect(JSON.parse(asked[0]!.body)).toEqual({
        dataInizioAggiornamento: "2025-07-02T06:40:00.000Z",
        dataFineAggiornamento: "2025-07-03T06:40:00.000Z",
      });
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("nl.staatscourant.export-control", () => {
    const source = registered("nl.staatscourant.export-control");
    const id = source.id;
    const day = (h: Hit) => /dt\.modified==(\S+)/.exec(h.url.searchParams.get("query") ?? "")?.[1];
    const described = (asked: Hit[]) =>
      asked.map((h) =>
        h.url.pathname === "/sru"
          ? `sru ${day(h)} ${h.url.searchParams.get("startRecord")}`
          : h.url.pathname.split("/").at(-1),
      );

    it("reads the day's pages and the text of the export-control regulation kept", async () => {
      const { outcome, asked } = await run(source, "2024-09-06T06:40:00Z");
      expect(described(asked)).toEqual(["sru 2024-09-06 1", "sru 2024-09-06 3", "stcrt-2024-99999.xml"]);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["stcrt-2024-99999"]);
    });

    it("asks only the day's pages again later that day, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2024-09-06T15:40:00Z");
      await expectNothingNew(id, outcome, before);
      // The text of a regulation stored this morning is not downloaded again (artifactFor
      // fetches every kept record's text, unconditionally, on every run).
      expect(described(asked)).toEqual(["sru 2024-09-06 1", "sru 2024-09-06 3"]);
    });

    it("after a day without a run, reads the day it missed", async () => {
      const { asked } = await run(source, "2024-09-08T06:40:00Z");
      // 2024-09-07 was never read. The cursor never moves: a run reads only today while
      // it has no lastDay, and sets lastDay only for days before today
      // (nl/staatscourant/source.ts daysToRead, `if (day < today) lastDay = day`).
      expect(described(asked)).toEqual(expect.arrayContaining(["sru 2024-09-07 1", "sru 2024-09-08 1"]));
    });

    it("takes the 2025 amendment and the base regulation changed that day", async () => {
      world.staatscourant2025 = true;
      const { outcome, asked } = await run(source, "2025-01-15T15:40:00Z");
      expect(described(asked)).toEqual(
        expect.arrayContaining(["sru 2025-01-15 1", "stcrt-2025-99998.xml", "stcrt-2023-18212.xml"]),
      );
      expect(outcome.reason).toBeNull();
      expect(outcome.status).toBe("changed");
      expect(changes(outcome.records)).toEqual(["published stcrt-2023-18212", "published stcrt-2025-99998"]);
      expect(await keys(id)).toEqual(["stcrt-2023-18212", "stcrt-2024-99999", "stcrt-2025-99998"]);
    });
  });

  describe("nl.bwb.strategic-goods", () => {
    const source = registered("nl.bwb.strategic-goods");
    const id = source.id;
    const expression = (label: string) => `/bwb/BWBR0099999/${label}/xml/BWBR0099999_${label}.xml`;

    it("finds the work by title, reads its manifest, downloads the expression in force", async () => {
      const { outcome, asked } = await run(source, "2024-09-05T07:23:00Z");
      expect(paths(asked)).toEqual([
        "/sru/Search",
        "/bwb/BWBR0099999/manifest.xml",
        expression("2023-09-01_0"),
      ]);
      await expectBaseline(id, outcome);
      const entries = await keys(id);
      expect(entries).toHaveLength(18);
      expect(entries).toEqual(expect.arrayContaining(["art.2.lid.2.a", "bijlage.b.1°"]));
      await expectArchived(fixture(`${BWB}regeling-2023-09-01_0.xml`));
    });

    it("asks only the manifest again, with the ETag it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2024-09-05T19:23:00Z");
      expect(paths(asked)).toEqual(["/bwb/BWBR0099999/manifest.xml"]);
      expect(asked[0]!.headers["if-none-match"]).toBe(etagOf(Buffer.from(bwbManifest())));
      await expectNothingNew(id, outcome, before);
    });

    it("takes the 2024-09-07 expression once the manifest lists it, with exactly its records", async () => {
      world.bwbExpressions = ["2023-09-01_0", "2024-09-07_0"];
      const { outcome, asked } = await run(source, "2024-09-08T07:23:00Z");
      expect(paths(asked)).toEqual(["/bwb/BWBR0099999/manifest.xml", expression("2024-09-07_0")]);
      expect(outcome.status).toBe("changed");
      expect(changes(outcome.records)).toEqual([
        "added bijlage.d",
        "modified art.2.lid.3",
        "modified art.3",
        "modified bijlage.c",
      ]);
      expect(outcome.records.every((r) => r.effectiveAt === "2024-09-07")).toBe(true);
    });

    it("takes an expression published ahead on the day it comes into force, the manifest unchanged", async () => {
      // KOOP publishes consolidations ahead of their date: listed on 2025-03-28, in force
      // 2025-04-01. The manifest does not move when the day comes: its 304 must not end the
      // run before the expression in force is compared with the one taken.
      world.bwbExpressions = ["2023-09-01_0", "2024-09-07_0", "2025-04-01_0"];
      const ahead = await run(source, "2025-03-28T07:23:00Z");
      // (More than a week since the work was found by title: it is looked up again.)
      expect(paths(ahead.asked)).toEqual(["/sru/Search", "/bwb/BWBR0099999/manifest.xml"]);
      expect(ahead.outcome.status).toBe("unchanged");
      const { outcome, asked } = await run(source, "2025-04-02T07:23:00Z");
      expect(paths(asked)).toEqual(["/bwb/BWBR0099999/manifest.xml", expression("2025-04-01_0")]);
      expect(outcome.reason).toBeNull();
      expect(await state(id)).toMatchObject({ lastExpression: "2025-04-01_0" });
    });
  });

  describe("fi.finlex.export-control", () => {
    const source = registered("fi.finlex.export-control");
    const id = source.id;
    const described = (asked: Hit[]) =>
      asked.map((h) =>
        h.url.pathname.endsWith("/list")
          ? `list ${h.url.searchParams.get("startYear")} ${h.url.searchParams.get("titleContains")}`
          : h.url.pathname.replace("/finlex/avoindata/v1", ""),
      );

    it("lists the year's statutes by each followed title, then reads the Finnish original listed", async () => {
      const { outcome, asked } = await run(source, "2025-12-20T06:30:00Z");
      expect(described(asked)).toEqual([
        "list 2025 kaksikäyttötuotteiden vientivalvonnasta",
        "list 2025 puolustustarvikkeiden viennistä",
        "/akn/fi/act/statute/2025/1234/fin@",
      ]);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["finlex/sd/2025/1234"]);
      await expectArchived(fixture(`${FINLEX}akn-amendment-of-500-2024.xml`));
    });

    it("asks only the lists again, with the validators it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-20T13:30:00Z");
      expect(described(asked)).toEqual([
        "list 2025 kaksikäyttötuotteiden vientivalvonnasta",
        "list 2025 puolustustarvikkeiden viennistä",
      ]);
      expect(asked.every((h) => h.headers["if-none-match"] !== undefined)).toBe(true);
      await expectNothingNew(id, outcome, before);
    });
  });

  describe("no.lovdata.export-control", () => {
    const source = registered("no.lovdata.export-control");
    const id = source.id;
    const archive = "/v1/publicData/get/lovtidend-avd1-2025.tar.bz2";

    it("reads the public-data list, then the year's Lovtidend archive, keeping the amendment", async () => {
      const { outcome, asked } = await run(source, "2025-12-10T04:20:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list", archive]);
      await expectBaseline(id, outcome);
      expect(await keys(id)).toEqual(["LTI/forskrift/2025-12-01-2100"]);
      // The member, byte for byte as the archive holds it.
      await expectArchived(fixture(`${LOVDATA}lti-export-control-amendment.xml`));
    });

    it("asks only the list again, with the validators it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-10T14:20:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list"]);
      expect(asked[0]!.headers["if-none-match"]).toBe(etagOf(Buffer.from(lovdataList())));
      await expectNothingNew(id, outcome, before);
    });

    it("asks for the archive conditionally when the list's time moved over the same bytes", async () => {
      world.lovtidendModified = "2025-12-11T02:31:00Z";
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-11T04:20:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list", archive]);
      await expectNothingNew(id, outcome, before);
      // "Conditional too": the archive's validators from the last download make this a 304.
      // The pipeline keeps validators under the artifact's URL, which is the member's
      // (`…tar.bz2#lti/2025/…`), not the archive's that the client looks up.
      expect(asked[1]!.headers["if-none-match"]).toBe(
        etagOf(fixture(`${LOVDATA}lovtidend-avd1-2025-hand-written.tar.bz2`)),
      );
    });
  });

  describe("no.lovdata.export-control-regulation", () => {
    const source = sized("no.lovdata.export-control-regulation", 10);
    const id = source.id;
    const archive = "/v1/publicData/get/gjeldende-sentrale-forskrifter.tar.bz2";

    it("reads the public-data list, then the regulation out of the archive of current regulations", async () => {
      const { outcome, asked } = await run(source, "2025-12-10T04:50:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list", archive]);
      await expectBaseline(id, outcome);
      const entries = await keys(id);
      expect(entries).toHaveLength(31);
      expect(entries).toEqual(expect.arrayContaining(["§8(2).b.1", "vedlegg.I", "vedlegg.II"]));
      await expectArchived(fixture("no/export-control-regulation/fixtures/sf-20130619-0718-before.xml"));
    });

    it("asks only the list again, with the validators it kept, and stores nothing", async () => {
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-10T14:50:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list"]);
      expect(asked[0]!.headers["if-none-match"]).toBe(etagOf(Buffer.from(lovdataList())));
      await expectNothingNew(id, outcome, before);
    });

    it("asks for the archive conditionally when the list's time moved over the same bytes", async () => {
      world.regulation = { ...world.regulation, modified: "2025-12-11T02:32:00Z" };
      const before = await snapshotCount(id);
      const { outcome, asked } = await run(source, "2025-12-11T04:50:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list", archive]);
      await expectNothingNew(id, outcome, before);
      // "Conditional too: a list time that moved over the same bytes costs a 304." The
      // validators are kept under the member's URL (`…tar.bz2#sf/…`), not the archive's.
      expect(asked[1]!.headers["if-none-match"]).toBe(etagOf(world.regulation.archive));
    });

    it("takes the regulation after FOR-2025-12-01-2100, with exactly its records", async () => {
      world.regulation = {
        archive: fixture(
          "no/export-control-regulation/fixtures/gjeldende-sentrale-forskrifter-hand-written.tar.bz2",
        ),
        modified: "2026-01-02T02:32:00Z",
      };
      const { outcome, asked } = await run(source, "2026-01-02T04:50:00Z");
      expect(paths(asked)).toEqual(["/v1/publicData/list", archive]);
      expect(outcome.reason).toBeNull();
      expect(outcome.status).toBe("changed");
      expect(changes(outcome.records)).toEqual([
        "added vedlegg.III",
        "added §4(2)",
        "modified vedlegg.II",
        "modified §4(1)",
      ]);
      expect(await keys(id)).toEqual(
        expect.arrayContaining(["3A904", "4A906.b.note.1", "vedlegg.III.kategori.3"]),
      );
    });
  });
});
