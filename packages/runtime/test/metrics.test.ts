import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// What Go's ParseFloat reads, as the format says: NaN and Inf in any case (prom-client writes `Nan`).
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;
const SAMPLE_LINE = /^([^\s{]+)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
// A label pair: a name, `="`, then characters with \\, \" and \n as the only escapes.
const LABEL_PAIR = /^([^=,"]+)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
const SUFFIXES: Record<string, readonly string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/**
 * A strict reader of Prometheus text format 0.0.4: every line is a HELP, a
 * TYPE, blank, or a sample of a family whose TYPE came before it.
 */
function parseExposition(text: string): Sample[] {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a newline");
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  const lines = text.slice(0, -1).split("\n");
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) throw new Error(`unknown comment, ${where}`);
      const [, keyword, name, rest = ""] = meta as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      if (keyword === "TYPE") {
        if (!(rest in SUFFIXES)) throw new Error(`bad type, ${where}`);
        if (types.has(name)) throw new Error(`second TYPE, ${where}`);
        if (samples.some((s) => familyOf(s.name, types) === name))
          throw new Error(`TYPE after samples, ${where}`);
        types.set(name, rest);
      } else {
        if (helped.has(name)) throw new Error(`second HELP, ${where}`);
        helped.add(name);
      }
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample, ${where}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
    if (!FLOAT.test(valueText)) throw new Error(`bad value, ${where}`);
    const labels: Record<string, string> = {};
    let rest = labelText ?? "";
    while (rest !== "") {
      const pair = LABEL_PAIR.exec(rest);
      if (!pair) throw new Error(`bad labels, ${where}`);
      const [whole, labelName, labelValue] = pair as unknown as [string, string, string];
      if (!LABEL_NAME.test(labelName)) throw new Error(`bad label name, ${where}`);
      if (labelName in labels) throw new Error(`repeated label, ${where}`);
      labels[labelName] = labelValue;
      rest = rest.slice(whole.length);
    }
    const family = familyOf(name, types);
    if (!family) throw new Error(`sample without a preceding TYPE, ${where}`);
    if (name.endsWith("_bucket") && types.get(family) === "histogram" && !("le" in labels))
      throw new Error(`bucket without le, ${where}`);
    samples.push({ name, labels, value: readFloat(valueText) });
  }
  return samples;
}

function readFloat(text: string): number {
  if (/nan/i.test(text)) return Number.NaN;
  if (/inf/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  for (const [family, type] of types)
    if (SUFFIXES[type]?.some((suffix) => `${family}${suffix}` === name)) return family;
  return undefined;
}

/** The samples of `name` whose labels include `labels`. */
function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/** The one sample of `name` with exactly these labels, or undefined. */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}`);
  return found[0]?.value;
}

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, "m").exec(text)?.[1];
}

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  const text = await metrics.text();
  return { text, samples: parseExposition(text) };
}

describe("the exposition checker used below", () => {
  it("accepts well-formed text and reads its samples", () => {
    const samples = parseExposition(
      [
        "# HELP a_total help",
        "# TYPE a_total counter",
        'a_total{x="1",y="q\\"uote"} 2',
        "# TYPE h histogram",
        'h_bucket{le="+Inf"} 3',
        "h_sum 1.5e-3",
        "h_count 3",
        "# TYPE g gauge",
        "g Nan",
        "",
      ].join("\n"),
    );
    expect(samples).toEqual([
      { name: "a_total", labels: { x: "1", y: 'q\\"uote' }, value: 2 },
      { name: "h_bucket", labels: { le: "+Inf" }, value: 3 },
      { name: "h_sum", labels: {}, value: 0.0015 },
      { name: "h_count", labels: {}, value: 3 },
      { name: "g", labels: {}, value: Number.NaN },
    ]);
  });

  it.each([
    ["a sample before its TYPE", "a 1\n# TYPE a gauge\n"],
    ["a sample of no family", "# TYPE a gauge\nb 1\n"],
    ["a value that is not a float", "# TYPE a gauge\na one\n"],
    ["a value with trailing text", "# TYPE a gauge\na 1.5x\n"],
    ["a bad metric name", "# TYPE 1a gauge\n1a 1\n"],
    ["an unquoted label", "# TYPE a gauge\na{x=1} 1\n"],
    ["a repeated label", '# TYPE a gauge\na{x="1",x="2"} 1\n'],
    ["a bucket without le", "# TYPE h histogram\nh_bucket 1\n"],
    ["an unknown type", "# TYPE a thing\n"],
    ["a stray comment", "# a note\n"],
    ["no final newline", "# TYPE a gauge\na 1"],
  ])("rejects %s", (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});

describe("createMetrics", () => {
  it("counts a source run by outcome, times it and counts its records by kind", async () => {
    const metrics = createMetrics({ collectProcess: false });
    metrics.observeRun(
      {
        sourceId: "us.ecfr.ccl",
        status: "changed",
        records: [{ kind: "added" }, { kind: "modified" }, { kind: "added" }],
      },
      0.7,
    );
    metrics.observeRun({ sourceId: "us.ecfr.ccl", status: "unchanged", records: [] }, 12);
    metrics.observeRun({ sourceId: "eu.dual-use", status: "failed", records: [] }, 300);

    const { text, samples } = await scrape(metrics);
    expect(typeOf(text, "regwatch_source_fetches_total")).toBe("counter");
    expect(typeOf(text, "regwatch_source_fetch_duration_seconds")).toBe("histogram");
    expect(typeOf(text, "regwatch_changes_detected_total")).toBe("counter");

    const fetches = "regwatch_source_fetches_total";
    expect(sampleValue(samples, fetches, { source: "us.ecfr.ccl", outcome: "changed" })).toBe(1);
    expect(sampleValue(samples, fetches, { source: "us.ecfr.ccl", outcome: "unchanged" })).toBe(1);
    expect(sampleValue(samples, fetches, { source: "eu.dual-use", outcome: "failed" })).toBe(1);
    expect(samplesOf(samples, fetches)).toHaveLength(3);

    const changes = "regwatch_changes_detected_total";
    expect(samplesOf(samples, changes)).toEqual([
      { name: changes, labels: { source: "us.ecfr.ccl", kind: "added" }, value: 2 },
      { name: changes, labels: { source: "us.ecfr.ccl", kind: "modified" }, value: 1 },
    ]);

    const seconds = "regwatch_source_fetch_duration_seconds";
    const changed = { source: "us.ecfr.ccl", outcome: "changed" };
    expect(sampleValue(samples, `${seconds}_count`, changed)).toBe(1);
    expect(sampleValue(samples, `${seconds}_sum`, changed)).toBe(0.7);
    expect(sampleValue(samples, `${seconds}_bucket`, { ...changed, le: "0.5" })).toBe(0);
    expect(sampleValue(samples, `${seconds}_bucket`, { ...changed, le: "1" })).toBe(1);
    // The buckets reach from 0.05 s to the 300 s a fetch may take.
    const les = samplesOf(samples, `${seconds}_bucket`, changed).map((s) => s.labels.le);
    expect(les[0]).toBe("0.05");
    expect(les.at(-2)).toBe("300");
    expect(les.at(-1)).toBe("+Inf");
    expect(
      sampleValue(samples, `${seconds}_bucket`, { source: "eu.dual-use", outcome: "failed", le: "300" }),
    ).toBe(1);
  });

  it("counts jobs by outcome and times their run and their start against when they were due", async () => {
    const metrics = createMetrics({ collectProcess: false });
    const job = { queue: "fetch", job: "fetch-source" };
    metrics.observeJob({ ...job, outcome: "completed", seconds: 2, latencySeconds: 0.2 });
    metrics.observeJob({ ...job, outcome: "retried", seconds: 1 });
    metrics.observeJob({ ...job, outcome: "completed", seconds: 3, latencySeconds: -4 });
    metrics.observeJob({ queue: "mail", job: "send-digest", outcome: "delayed", seconds: 0.5 });

    const { text, samples } = await scrape(metrics);
    expect(typeOf(text, "regwatch_jobs_total")).toBe("counter");
    expect(typeOf(text, "regwatch_job_duration_seconds")).toBe("histogram");
    expect(typeOf(text, "regwatch_job_latency_seconds")).toBe("histogram");

    expect(sampleValue(samples, "regwatch_jobs_total", { ...job, outcome: "completed" })).toBe(2);
    expect(sampleValue(samples, "regwatch_jobs_total", { ...job, outcome: "retried" })).toBe(1);
    expect(
      sampleValue(samples, "regwatch_jobs_total", { queue: "mail", job: "send-digest", outcome: "delayed" }),
    ).toBe(1);
    expect(sampleValue(samples, "regwatch_job_duration_seconds_count", job)).toBe(3);
    expect(sampleValue(samples, "regwatch_job_duration_seconds_sum", job)).toBe(6);
    // Only the attempts that said how late they started; an early start (clock skew) counts as on time.
    expect(sampleValue(samples, "regwatch_job_latency_seconds_count", job)).toBe(2);
    expect(sampleValue(samples, "regwatch_job_latency_seconds_sum", job)).toBe(0.2);
    expect(sampleValue(samples, "regwatch_job_latency_seconds_bucket", { ...job, le: "0.01" })).toBe(1);
    expect(samplesOf(samples, "regwatch_job_latency_seconds_count", { queue: "mail" })).toEqual([]);
  });

  it("reports 1 for a source's current health and 0 for every other", async () => {
    const metrics = createMetrics({ collectProcess: false });
    metrics.setSourceHealth("us.ecfr.ccl", "healthy");
    metrics.setSourceHealth("us.ecfr.ccl", "quarantined");
    metrics.setSourceHealth("eu.dual-use", "unreachable");

    const { text, samples } = await scrape(metrics);
    expect(typeOf(text, "regwatch_source_health")).toBe("gauge");
    const health = (source: string) =>
      Object.fromEntries(
        samplesOf(samples, "regwatch_source_health", { source }).map((s) => [s.labels.status, s.value]),
      );
    expect(health("us.ecfr.ccl")).toEqual({
      healthy: 0,
      unreachable: 0,
      stale: 0,
      quarantined: 1,
      broken: 0,
      unknown: 0,
    });
    expect(health("eu.dual-use")).toEqual({
      healthy: 0,
      unreachable: 1,
      stale: 0,
      quarantined: 0,
      broken: 0,
      unknown: 0,
    });
  });

  it("keeps each instance's values to itself", async () => {
    const first = createMetrics({ collectProcess: false });
    const second = createMetrics({ collectProcess: false });
    first.observeRun({ sourceId: "us.ecfr.ccl", status: "changed", records: [{ kind: "added" }] }, 1);
    first.observeRun({ sourceId: "us.ecfr.ccl", status: "changed", records: [] }, 1);
    second.observeRun({ sourceId: "us.ecfr.ccl", status: "changed", records: [] }, 1);
    first.setSourceHealth("us.ecfr.ccl", "broken");

    const labels = { source: "us.ecfr.ccl", outcome: "changed" };
    const a = (await scrape(first)).samples;
    const b = (await scrape(second)).samples;
    expect(sampleValue(a, "regwatch_source_fetches_total", labels)).toBe(2);
    expect(sampleValue(b, "regwatch_source_fetches_total", labels)).toBe(1);
    expect(samplesOf(b, "regwatch_changes_detected_total")).toEqual([]);
    expect(samplesOf(b, "regwatch_source_health")).toEqual([]);
    expect(first.registry).not.toBe(second.registry);
  });

  it("reads queue depth from the provider at every scrape", async () => {
    const metrics = createMetrics({ collectProcess: false });
    let reads = 0;
    let rows = [
      { queue: "fetch", state: "waiting", count: 3 },
      { queue: "fetch", state: "active", count: 1 },
      { queue: "mail", state: "failed", count: 2 },
    ];
    metrics.setQueueDepthProvider(async () => {
      reads++;
      return rows;
    });
    expect(reads).toBe(0);

    const first = await scrape(metrics);
    expect(typeOf(first.text, "regwatch_queue_jobs")).toBe("gauge");
    expect(samplesOf(first.samples, "regwatch_queue_jobs")).toEqual([
      { name: "regwatch_queue_jobs", labels: { queue: "fetch", state: "waiting" }, value: 3 },
      { name: "regwatch_queue_jobs", labels: { queue: "fetch", state: "active" }, value: 1 },
      { name: "regwatch_queue_jobs", labels: { queue: "mail", state: "failed" }, value: 2 },
    ]);

    // A state no longer reported is gone, not left at its last count.
    rows = [{ queue: "fetch", state: "delayed", count: 7 }];
    const second = await scrape(metrics);
    expect(reads).toBe(2);
    expect(samplesOf(second.samples, "regwatch_queue_jobs")).toEqual([
      { name: "regwatch_queue_jobs", labels: { queue: "fetch", state: "delayed" }, value: 7 },
    ]);
    expect(sampleValue(second.samples, "regwatch_queue_depth_errors_total")).toBe(0);
  });

  it("reports no queue depth without a provider", async () => {
    const metrics = createMetrics({ collectProcess: false });
    const { text, samples } = await scrape(metrics);
    expect(text).toContain("# TYPE regwatch_queue_jobs gauge");
    expect(samplesOf(samples, "regwatch_queue_jobs")).toEqual([]);
    expect(sampleValue(samples, "regwatch_queue_depth_errors_total")).toBe(0);

    metrics.setQueueDepthProvider(async () => [{ queue: "fetch", state: "waiting", count: 1 }]);
    expect(samplesOf((await scrape(metrics)).samples, "regwatch_queue_jobs")).toHaveLength(1);
    metrics.setQueueDepthProvider(null);
    expect(samplesOf((await scrape(metrics)).samples, "regwatch_queue_jobs")).toEqual([]);
  });

  it("counts a queue depth that cannot be read, in the same scrape, and still answers", async () => {
    const metrics = createMetrics({ collectProcess: false });
    let fail: "no" | "reject" | "throw" | "malformed" = "no";
    metrics.setQueueDepthProvider(() => {
      if (fail === "throw") throw new Error("redis is down");
      if (fail === "reject") return Promise.reject(new Error("redis is down"));
      if (fail === "malformed")
        return Promise.resolve([{ queue: "fetch", state: "waiting", count: Number.NaN }]);
      return Promise.resolve([{ queue: "fetch", state: "waiting", count: 4 }]);
    });
    metrics.observeRun({ sourceId: "us.ecfr.ccl", status: "changed", records: [] }, 1);
    expect(samplesOf((await scrape(metrics)).samples, "regwatch_queue_jobs")).toHaveLength(1);

    let errors = 0;
    for (const how of ["reject", "throw", "malformed"] as const) {
      fail = how;
      const { text, samples } = await scrape(metrics);
      errors++;
      expect(typeOf(text, "regwatch_queue_depth_errors_total"), how).toBe("counter");
      expect(sampleValue(samples, "regwatch_queue_depth_errors_total"), how).toBe(errors);
      // The last good counts are not passed off as current.
      expect(samplesOf(samples, "regwatch_queue_jobs"), how).toEqual([]);
      expect(
        sampleValue(samples, "regwatch_source_fetches_total", { source: "us.ecfr.ccl", outcome: "changed" }),
      ).toBe(1);
    }
  });

  it("gives up on a queue depth provider that does not answer", async () => {
    const metrics = createMetrics({ collectProcess: false, queueDepthTimeoutMs: 20 });
    metrics.setQueueDepthProvider(() => new Promise(() => {}));
    const { samples } = await scrape(metrics);
    expect(sampleValue(samples, "regwatch_queue_depth_errors_total")).toBe(1);
    expect(samplesOf(samples, "regwatch_queue_jobs")).toEqual([]);
  });

  it("exposes process metrics with the prefix when asked, and none when not", async () => {
    const withProcess = await scrape(createMetrics());
    expect(typeOf(withProcess.text, "regwatch_process_cpu_user_seconds_total")).toBe("counter");
    expect(sampleValue(withProcess.samples, "regwatch_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(samplesOf(withProcess.samples, "regwatch_nodejs_heap_size_total_bytes")).toHaveLength(1);
    expect(withProcess.samples.filter((s) => !s.name.startsWith("regwatch_"))).toEqual([]);

    const without = await scrape(createMetrics({ collectProcess: false }));
    expect(without.samples.filter((s) => /process_|nodejs_/.test(s.name))).toEqual([]);
    expect(without.text).not.toMatch(/process_|nodejs_/);
  });

  it("names every metric with the given prefix", async () => {
    const metrics = createMetrics({ prefix: "test_", collectProcess: true });
    metrics.observeRun({ sourceId: "us.ecfr.ccl", status: "baseline", records: [{ kind: "published" }] }, 1);
    metrics.setSourceHealth("us.ecfr.ccl", "healthy");
    const { samples } = await scrape(metrics);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.filter((s) => !s.name.startsWith("test_"))).toEqual([]);
    expect(
      sampleValue(samples, "test_changes_detected_total", { source: "us.ecfr.ccl", kind: "published" }),
    ).toBe(1);
  });

  it("serves Prometheus text format under its content type", async () => {
    const metrics = createMetrics();
    metrics.observeRun({ sourceId: 'odd "source"\nid', status: "stopped", records: [] }, 0.01);
    metrics.observeJob({ queue: "fetch", job: "fetch-source", outcome: "failed", seconds: 1 });
    metrics.setQueueDepthProvider(async () => [{ queue: "fetch", state: "waiting", count: 0 }]);
    metrics.setSourceHealth("us.ecfr.ccl", "stale");
    expect(metrics.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    const { text, samples } = await scrape(metrics);
    for (const family of [
      "regwatch_source_fetches_total",
      "regwatch_source_fetch_duration_seconds",
      "regwatch_changes_detected_total",
      "regwatch_jobs_total",
      "regwatch_job_duration_seconds",
      "regwatch_job_latency_seconds",
      "regwatch_queue_jobs",
      "regwatch_queue_depth_errors_total",
      "regwatch_source_health",
    ])
      expect(text, family).toMatch(new RegExp(`^# TYPE ${family} (counter|gauge|histogram)$`, "m"));
    expect(
      sampleValue(samples, "regwatch_source_fetches_total", {
        source: 'odd \\"source\\"\\nid',
        outcome: "stopped",
      }),
    ).toBe(1);
  });
});
