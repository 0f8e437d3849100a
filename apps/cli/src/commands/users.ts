import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { UsageError } from "@regwatch/core/errors";
import type { CommandRun } from "../command.ts";
import { safeLine } from "../format.ts";

const USAGE =
  "regwatch users [list] [--json] | users add [--admin|--reviewer|--viewer] <email> | users disable <email>";

/**
 * `regwatch users add --admin <email>` (the first admin, and anyone after),
 * `regwatch users` (who has an account), `regwatch users disable <email>`
 * (no more sign-in; its sessions end). Accounts sign in by emailed link.
 */
export const run: CommandRun = async (args, { io, runtime }) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      admin: { type: "boolean" },
      reviewer: { type: "boolean" },
      viewer: { type: "boolean" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  const [action = "list", ...rest] = positionals;
  const { listUsers, upsertUser, disableUser } = await import("@regwatch/db/queries/users");
  const db = (await runtime()).database.db;
  const address = () => {
    const email = rest[0]?.trim().toLowerCase();
    if (
      rest.length !== 1 ||
      !email ||
      !/^[^@\s"<>,;:()[\]\\]+@[^@\s"<>,;:()[\]\\]+\.[^@\s"<>,;:()[\]\\]+$/.test(email)
    )
      throw new UsageError(`<email>: expected one address (usage: ${USAGE})`);
    return email;
  };
  if (action === "add") {
    const roles = (["admin", "reviewer", "viewer"] as const).filter((r) => values[r]);
    if (roles.length > 1) throw new UsageError("give one of --admin, --reviewer, --viewer");
    const user = await upsertUser(
      db,
      { id: randomUUID(), email: address(), role: roles[0] ?? "viewer" },
      new Date(),
    );
    io.out(
      `${safeLine(`${user.email}: ${user.role}; signs in at /login with a link sent to this address`)}\n`,
    );
    return 0;
  }
  if (action === "disable") {
    const email = address();
    const user = await disableUser(db, email, new Date());
    if (!user) {
      io.err(`${safeLine(`regwatch: no enabled account for ${email}`)}\n`);
      return 1;
    }
    io.out(`${safeLine(`${user.email}: disabled; its sessions are over`)}\n`);
    return 0;
  }
  if (action !== "list" || rest.length) throw new UsageError(`usage: ${USAGE}`);
  const users = await listUsers(db);
  if (values.json) {
    io.out(`${JSON.stringify({ users }, null, 2)}\n`);
    return 0;
  }
  if (!users.length) io.out("no users (add the first admin: regwatch users add --admin <email>)\n");
  for (const u of users) {
    const state = u.disabledAt ? "disabled" : `last sign-in ${u.lastSignInAt?.toISOString() ?? "never"}`;
    io.out(`${safeLine(`${u.email}  ${u.role}  ${state}`)}\n`);
  }
  return 0;
};
