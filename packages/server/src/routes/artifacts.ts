import type { ArtifactFiles } from "@regwatch/db/artifact-files";
import type { Database } from "@regwatch/db/open-database";
import { getArtifact } from "@regwatch/db/queries/artifacts";
import { pageGate } from "../access.ts";
import { json, type Route } from "../router.ts";

export interface ArtifactDeps {
  database: Database;
  files: ArtifactFiles | null;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `GET /artifacts?sha256=<hex>`: the raw bytes of an archived document, as
 * fetched (what a quarantine email points at). Always a download, never a
 * page: the bytes are whatever a source served, markup and script included,
 * so they are not rendered on this origin (attachment, nosniff, a sandboxing
 * CSP).
 */
export function artifactsRoute(deps: ArtifactDeps): Route {
  return {
    path: "/artifacts",
    methods: {
      async GET(c) {
        const refused = pageGate(c, "read");
        if (refused) return refused;
        const sha256 = (c.req.query("sha256") ?? "").toLowerCase();
        if (!SHA256.test(sha256)) return json(400, { error: "sha256: expected 64 hexadecimal digits" });
        const artifact = await getArtifact(deps.database.db, sha256, deps.files);
        if (!artifact) return json(404, { error: `no archived document with sha256 ${sha256}` });
        return new Response(Buffer.from(artifact.body), {
          status: 200,
          headers: {
            "content-type": "application/octet-stream",
            "content-length": String(artifact.body.byteLength),
            "content-disposition": `attachment; filename="${sha256}.bin"`,
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox; default-src 'none'",
            // The bytes of a hash never change.
            "cache-control": "private, max-age=31536000, immutable",
            ...(artifact.contentType
              ? { "x-original-content-type": artifact.contentType.replace(/[^\x20-\x7e]/g, "") }
              : {}),
          },
        });
      },
    },
  };
}
