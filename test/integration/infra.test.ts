// infra/ without Docker: the Compose file and the Dockerfile are read as text
// and held against what regwatch has (the CLI's command table, the variables
// packages/config reads, the files of this repository), so that a renamed
// command, option or variable breaks here rather than in a deployment.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ENVIRONMENT_VARIABLES } from "@regwatch/config";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMANDS } from "../../apps/cli/src/main.ts";

const repo = resolve(import.meta.dirname, "../..");
const infra = join(repo, "infra");
const dockerfilePath = join(infra, "Dockerfile");

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  "x-regwatch"?: ComposeService;
  services: Record<string, ComposeService>;
}

// Compose resolves `<<:` merge keys; YAML 1.2 parsers leave them off unless asked.
const compose = parse(readFileSync(join(infra, "compose.yaml"), "utf8"), { merge: true }) as ComposeFile;

function buildsFromInfraDockerfile(service: ComposeService): boolean {
  if (service.build === undefined) return false;
  const { context = ".", dockerfile = "Dockerfile" } =
    typeof service.build === "string" ? { context: service.build } : service.build;
  return resolve(infra, context, dockerfile) === dockerfilePath;
}

/** Services built from infra/Dockerfile, and those that run the image one of them builds. */
function regwatchServices(file: ComposeFile): [string, ComposeService][] {
  const services = Object.entries(file.services);
  const built = services.filter(([, s]) => buildsFromInfraDockerfile(s));
  const images = new Set(built.map(([, s]) => s.image).filter((image) => image !== undefined));
  return services.filter(
    ([, s]) => buildsFromInfraDockerfile(s) || (s.image !== undefined && images.has(s.image)),
  );
}

function environmentNames(environment: ComposeService["environment"]): string[] {
  if (environment === undefined) return [];
  if (Array.isArray(environment)) return environment.map((item) => item.split("=", 1)[0]!);
  return Object.keys(environment);
}

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage (a stage starts at each FROM), continuation lines joined, comments dropped. */
function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (trimmed.endsWith("\\")) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const whole = pending + trimmed;
    pending = "";
    const [keyword = "", ...rest] = whole.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** Exec form (`["a", "b"]`) or shell form, flags (`--from=build`) left out. */
function instructionWords(args: string): { flags: string[]; words: string[] } {
  const prefix = args.match(/^(?:--\S+\s+)*/)![0];
  const flags = prefix.split(/\s+/).filter(Boolean);
  const rest = args.slice(prefix.length);
  const words = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
  return { flags, words };
}

/** Paths in the repository that a COPY source matches: `*` and `?` within one path segment. */
function expandGlob(pattern: string): string[] {
  const segments = pattern.replace(/^\.\//, "").split("/").filter(Boolean);
  let matches = [""];
  for (const segment of segments) {
    if (!/[*?]/.test(segment)) {
      matches = matches.map((m) => join(m, segment)).filter((m) => existsSync(join(repo, m)));
      continue;
    }
    const re = new RegExp(
      `^${segment
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replaceAll("*", "[^/]*")
        .replaceAll("?", "[^/]")}$`,
    );
    matches = matches.flatMap((m) => {
      const dir = join(repo, m);
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
      return readdirSync(dir)
        .filter((name) => re.test(name))
        .map((name) => join(m, name));
    });
  }
  return matches.map((m) => (m === "" ? "." : m));
}

const stages = dockerfileStages(readFileSync(dockerfilePath, "utf8"));
const buildStage = stages[0] ?? [];
const runtimeStage = stages.at(-1) ?? [];

/** COPY sources taken from the build context (not `--from` another stage). */
function contextCopySources(instructions: Instruction[]): string[] {
  return instructions
    .filter((i) => i.keyword === "COPY")
    .map((i) => instructionWords(i.args))
    .filter(({ flags }) => !flags.some((f) => f.startsWith("--from")))
    .flatMap(({ words }) => words.slice(0, -1));
}

describe("infra/compose.yaml", () => {
  const services = regwatchServices(compose);

  it("runs web, worker and migrate from the image infra/Dockerfile builds", () => {
    expect(Object.values(compose.services).some(buildsFromInfraDockerfile)).toBe(true);
    expect(services.map(([name]) => name)).toEqual(expect.arrayContaining(["web", "worker", "migrate"]));
  });

  it("starts each regwatch service with a command of the CLI, with options its usage lists", () => {
    const problems: string[] = [];
    for (const [name, service] of services) {
      const words =
        typeof service.command === "string" ? service.command.split(/\s+/) : (service.command ?? []);
      const command = COMMANDS.find((c) => c.name === words[0]);
      if (!command) {
        problems.push(`${name}: regwatch has no command ${JSON.stringify(words[0])}`);
        continue;
      }
      for (const option of words.filter((w) => w.startsWith("--")).map((w) => w.split("=", 1)[0]!)) {
        const escaped = option.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        if (!new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(command.usage))
          problems.push(`${name}: ${option} is not in "${command.usage}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("sets only variables that packages/config reads, the shared ones on every regwatch service", () => {
    const known = new Set<string>(ENVIRONMENT_VARIABLES);
    const shared = environmentNames(compose["x-regwatch"]?.environment);
    expect(shared).toContain("DATABASE_URL");
    const problems: string[] = [];
    for (const [name, service] of services) {
      const names = environmentNames(service.environment);
      for (const variable of names)
        if (!known.has(variable)) problems.push(`${name}: regwatch reads no ${variable}`);
      for (const variable of shared)
        if (!names.includes(variable)) problems.push(`${name}: misses the shared ${variable}`);
    }
    expect(problems).toEqual([]);
  });

  it("starts web and worker only after migrate has succeeded", () => {
    for (const name of ["web", "worker"]) {
      const dependsOn = compose.services[name]?.depends_on;
      expect(Array.isArray(dependsOn) ? undefined : dependsOn?.migrate?.condition, name).toBe(
        "service_completed_successfully",
      );
    }
  });
});

describe("infra/Dockerfile", () => {
  it("builds in one stage and runs in another", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it("runs as a user that is not root", () => {
    const user = runtimeStage
      .filter((i) => i.keyword === "USER")
      .at(-1)
      ?.args.trim();
    expect(user).toBeDefined();
    expect(user!.split(":")[0]).not.toMatch(/^(root|0)$/);
  });

  it("checks /health and listens on every interface", () => {
    const healthcheck = runtimeStage.find((i) => i.keyword === "HEALTHCHECK");
    expect(healthcheck?.args).toMatch(/\/health\b/);
    const env = runtimeStage.filter((i) => i.keyword === "ENV").map((i) => i.args);
    expect(env.join(" ")).toMatch(/(^|\s)HOST=0\.0\.0\.0(\s|$)/);
  });

  it("enters through the regwatch bin", () => {
    const entrypoint = runtimeStage.find((i) => i.keyword === "ENTRYPOINT");
    expect(entrypoint).toBeDefined();
    expect(instructionWords(entrypoint!.args).words).toContain("apps/cli/bin/regwatch.mjs");
    expect(existsSync(join(repo, "apps/cli/bin/regwatch.mjs"))).toBe(true);
  });

  it("copies into the build stage only paths that exist in the repository", () => {
    const sources = contextCopySources(buildStage);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => expandGlob(source).length === 0)).toEqual([]);
  });

  it("has the lockfile and every workspace's package.json in place before npm ci", () => {
    const install = buildStage.findIndex((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args));
    expect(install).toBeGreaterThan(0);
    const copied = new Set(contextCopySources(buildStage.slice(0, install)).flatMap(expandGlob));
    const { workspaces } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
      workspaces: string[];
    };
    const manifests = workspaces
      .flatMap(expandGlob)
      .map((dir) => join(dir, "package.json"))
      .filter((manifest) => existsSync(join(repo, manifest)));
    expect(manifests.length).toBeGreaterThan(0);
    for (const file of ["package.json", "package-lock.json", ...manifests])
      expect(copied.has(file), file).toBe(true);
  });
});
