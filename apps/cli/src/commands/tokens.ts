import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";

// Long enough to say what uses it ("nightly export to the compliance archive").
const MAX_NAME = 100;

/**
 * API tokens for programs (`Authorization: Bearer rwt_…`), acting as a user
 * with that user's role: `regwatch tokens add <email> --name …` prints the
 * token once (stdout; only its hash is kept), `regwatch tokens` lists them
 * (never the token), `regwatch tokens revoke <id>` stops one.
 */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: "string" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  const [action = "list", ...rest] = positionals;
  if (!["list", "add", "revoke"].includes(action))
    throw new UsageError(`unknown action ${JSON.stringify(action)}`);
  if (action !== "list" && rest.length !== 1)
    throw new UsageError(action === "add" ? "<email>: expected one address" : "<id>: expected one token id");
  if (action === "list" && rest.length) throw new UsageError(`unexpected ${JSON.stringify(rest[0])}`);
  if (values.name !== undefined && action !== "add") throw new UsageError("--name goes with tokens add");
  const name = (values.name ?? "cli").trim();
  if (!name || name.length > MAX_NAME || /\p{Cc}/u.test(name))
    throw new UsageError(`--name: say what uses the token, in 1–${MAX_NAME} characters`);

  const { createApiToken, listApiTokens, revokeApiToken } = await import("@regwatch/db/queries/api-tokens");
  const db = (await runtime()).database.db;

  if (action === "add") {
    const email = rest[0]!.trim().toLowerCase();
    const { userByEmail } = await import("@regwatch/db/queries/users");
    const user = await userByEmail(db, email);
    if (!user) {
      io.err(
        `${safeLine(`regwatch: no account for ${email} (add one first: regwatch users add <email>)`)}\n`,
      );
      return 1;
    }
    if (user.disabledAt) {
      io.err(`${safeLine(`regwatch: ${email} is disabled; a token would not work`)}\n`);
      return 1;
    }
    const { token, row } = await createApiToken(db, { userId: user.id, name }, new Date());
    if (values.json) {
      io.out(
        `${JSON.stringify({ token, id: row.id, user: user.email, role: user.role, name: row.name, createdAt: row.createdAt }, null, 2)}\n`,
      );
    } else {
      // The token alone on stdout, so `regwatch tokens add … > file` keeps just the secret.
      io.out(`${token}\n`);
    }
    io.err(
      `${safeLine(`token ${row.id} "${row.name}" for ${user.email} (${user.role}): shown once, only its hash is kept; send it as Authorization: Bearer <token>`)}\n`,
    );
    return 0;
  }

  if (action === "revoke") {
    const id = rest[0]!.trim();
    if (!(await revokeApiToken(db, id, new Date()))) {
      io.err(`${safeLine(`regwatch: no live token with id ${id} (see regwatch tokens)`)}\n`);
      return 1;
    }
    io.out(`${safeLine(`token ${id} revoked: programs using it now get 401`)}\n`);
    return 0;
  }

  // Never the token nor its hash: what it is, whose, and whether it still works.
  const tokens = (await listApiTokens(db)).map((t) => ({
    id: t.id,
    user: t.email,
    name: t.name,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  }));
  if (values.json) {
    io.out(`${JSON.stringify({ tokens }, null, 2)}\n`);
    return 0;
  }
  if (!tokens.length) io.out("no API tokens (make one: regwatch tokens add <email> --name <what uses it>)\n");
  for (const t of tokens) {
    const used = t.lastUsedAt ? `last used ${t.lastUsedAt.toISOString()}` : "never used";
    const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : "live";
    io.out(
      `${safeLine(`${t.id}  ${t.user}  ${t.name}  created ${t.createdAt.toISOString()}  ${used}  ${state}`)}\n`,
    );
  }
  return 0;
};
