// Compiles the `regwatch` CLI into apps/cli/dist: one esbuild bundle of the
// CLI and the workspace packages it imports, split at every dynamic import so
// that a command loads only its own code. Packages from npm stay outside the
// bundle and load from node_modules as they are (PGlite finds its WebAssembly
// files next to its own module).
//
//   node apps/cli/build.mjs              build
//   node apps/cli/build.mjs --if-stale   build only when the sources changed since the last build
//
// Run by the root `prepare` script (npm install, npm ci) and by `npm start`.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildIsFresh, CLI_DIR, DIST_DIR, REPO_DIR } from "./bin/build-freshness.mjs";

if (process.argv.includes("--if-stale") && buildIsFresh()) process.exit(0);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  // An install without devDependencies: the bin runs the sources through tsx.
  console.error("regwatch build: esbuild is not installed; regwatch will run from the TypeScript sources");
  process.exit(0);
}

const startedAtMs = Date.now();
// Built beside the old build and swapped in whole: a regwatch starting meanwhile sees one or the other.
const staging = `${DIST_DIR}.${process.pid}.tmp`;
rmSync(staging, { recursive: true, force: true });

// npm packages bundled with our code: zod is some hundred small modules, ~0.1 s
// to import one by one.
const BUNDLED = ["zod"];
const bundled = (path) =>
  path.startsWith("@regwatch/") || BUNDLED.some((p) => path === p || path.startsWith(`${p}/`));

/** Workspace packages and BUNDLED are bundled; every other bare import stays an import from node_modules. */
const keepNpmPackagesOutside = {
  name: "keep-npm-packages-outside",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      bundled(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * A source file that finds something relative to itself (packages/db's
 * migrations folder) must still find it from the bundle: its `import.meta.url`
 * becomes its own file's URL, written relative to the bundle so that the
 * repository may move.
 */
const keepImportMetaUrl = {
  name: "keep-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta")) return undefined;
      if (/import\.meta\.(dirname|filename)/.test(text))
        throw new Error(
          `${relative(REPO_DIR, args.path)}: use import.meta.url, which the build keeps pointing here`,
        );
      const fromBundle = relative(DIST_DIR, args.path).split("\\").join("/");
      const contents = text.replaceAll(
        "import.meta.url",
        `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
      );
      return { contents, loader: "ts" };
    });
  },
};

let result;
try {
  result = await esbuild.build({
    entryPoints: { main: join(CLI_DIR, "src/main.ts") },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
    plugins: [keepNpmPackagesOutside, keepImportMetaUrl],
  });
} catch (err) {
  // A build that cannot run here (no binary for this platform, say) must not fail
  // `npm install`: the bin runs the TypeScript sources through tsx instead.
  rmSync(staging, { recursive: true, force: true });
  console.error(
    `regwatch build: ${err.message.split("\n")[0]}; regwatch will run from the TypeScript sources`,
  );
  process.exit(0);
}

// Every file the build read, and the package manifests whose exports maps chose them.
const manifests = ["apps", "packages"].flatMap((dir) =>
  readdirSync(join(REPO_DIR, dir)).map((name) => `${dir}/${name}/package.json`),
);
const inputs = [
  ...Object.keys(result.metafile.inputs).map((p) => relative(REPO_DIR, join(process.cwd(), p))),
  ...manifests.filter((p) => statSync(join(REPO_DIR, p), { throwIfNoEntry: false })),
  relative(REPO_DIR, join(CLI_DIR, "build.mjs")),
].map((p) => p.split("\\").join("/"));
// Which sources each output file holds: what a test (or a person) reads to tell what a command loaded.
const fromRepo = (p) => relative(REPO_DIR, join(process.cwd(), p)).split("\\").join("/");
const outputs = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith(".js"))
    .map(([file, output]) => [
      relative(staging, join(process.cwd(), file)),
      Object.keys(output.inputs).map(fromRepo),
    ]),
);
writeFileSync(
  join(staging, "build-info.json"),
  `${JSON.stringify({ startedAtMs, inputs, outputs }, null, 2)}\n`,
);

const old = `${DIST_DIR}.${process.pid}.old`;
try {
  renameSync(DIST_DIR, old);
} catch {
  // No previous build.
}
renameSync(staging, DIST_DIR);
rmSync(old, { recursive: true, force: true });
