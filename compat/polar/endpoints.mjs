// endpoints.mjs calls Polar's customer-session endpoints of a running
// server with Polar's own TypeScript SDK (@polar-sh/sdk, pinned in
// package.json) as the client, and prints what the SDK made of each
// answer, for the Go side (endpoints_test.go) to check.
//
//	node endpoints.mjs SERVER_URL < CASES_JSON
//
// Standard input is a JSON object of name -> member session token ("" for
// none); tokens are not passed on the command line, where other processes
// could read them.
// For each case both calls of polar.customerPortal.customerSession run,
// introspect and getAuthenticatedUser, with the token as the security
// argument { memberSession: token }. The output is one JSON object,
// name -> { introspect: RESULT, user: RESULT }, where RESULT is
//
//	{ ok: true, value }   the SDK's parsed answer; introspect's expiresAt
//	                      as the ISO string of the Date the SDK made
//	{ ok: false, ... }    what the SDK threw: its class name, whether it is
//	                      a PolarError, statusCode, contentType, body, and
//	                      whether the body parses as the SDK's Unauthorized
//	                      error (the 401 body Polar writes)

import { readFileSync } from "node:fs";
import { Polar } from "@polar-sh/sdk";
import { PolarError } from "@polar-sh/sdk/models/errors/polarerror.js";
import { Unauthorized$inboundSchema } from "@polar-sh/sdk/models/errors/unauthorized.js";

const [serverURL] = process.argv.slice(2);
if (!serverURL) {
  console.error("usage: node endpoints.mjs SERVER_URL < CASES_JSON");
  process.exit(2);
}
const casesJSON = readFileSync(0, "utf8");

const polar = new Polar({ serverURL });
const session = polar.customerPortal.customerSession;

async function call(fn) {
  try {
    const value = await fn();
    if (value.expiresAt !== undefined) {
      if (!(value.expiresAt instanceof Date) || Number.isNaN(value.expiresAt.getTime())) {
        return { ok: false, name: "NotADate", body: String(value.expiresAt) };
      }
      value.expiresAt = value.expiresAt.toISOString();
    }
    return { ok: true, value };
  } catch (err) {
    const out = { ok: false, name: err?.constructor?.name ?? typeof err, message: String(err?.message ?? err) };
    if (err instanceof PolarError) {
      let parsed = null;
      try {
        parsed = JSON.parse(err.body);
      } catch {
        // not JSON: unauthorized stays false
      }
      Object.assign(out, {
        polarError: true,
        statusCode: err.statusCode,
        contentType: err.contentType,
        body: err.body,
        unauthorized:
          parsed !== null &&
          Unauthorized$inboundSchema.safeParse({
            ...parsed,
            request$: new Request(serverURL),
            response$: err.rawResponse,
            body$: err.body,
          }).success,
      });
    }
    return out;
  }
}

const results = {};
for (const [name, token] of Object.entries(JSON.parse(casesJSON))) {
  const security = token === "" ? {} : { memberSession: token };
  results[name] = {
    introspect: await call(() => session.introspect(security)),
    user: await call(() => session.getAuthenticatedUser(security)),
  };
}
console.log(JSON.stringify(results));
