import type { Route } from "../router.ts";
import { ASSETS } from "../views/assets.ts";

/** `/assets/<name>.<hash>.<ext>`: the stylesheet and script, cached for good (a new content is a new path). */
export function assetsRoute(): Route {
  return {
    path: "/assets/:file",
    methods: {
      GET(c) {
        const asset = ASSETS[new URL(c.req.url).pathname];
        if (!asset)
          return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
        return new Response(asset.body, {
          status: 200,
          headers: {
            "content-type": asset.type,
            "content-length": String(Buffer.byteLength(asset.body)),
            "cache-control": "public, max-age=31536000, immutable",
          },
        });
      },
    },
  };
}
