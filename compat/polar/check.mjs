// check.mjs checks sessionstore's JSON against Polar's TypeScript SDK
// (@polar-sh/sdk, pinned in package.json; its schemas follow Polar API
// version 2026-04).
//
//	node check.mjs IN_DIR OUT_DIR
//
// 1. Every IN_DIR/*.json is a member session the Go library wrote. Its
//    member and customer are parsed with the SDK's inbound schemas (Member,
//    and CustomerIndividual or CustomerTeam by type), the session's own keys
//    with the same zod rules the SDK uses for its other session types (the
//    SDK has no MemberSession schema). Any rejection fails the run. So does
//    a key the SDK does not know: the customer and member must come back
//    with the same keys from the SDK's outbound schemas.
// 2. Sessions built as SDK objects are serialised with the SDK's outbound
//    schemas into OUT_DIR/*.json, for the Go test to decode, re-encode and
//    compare.
//
// The Go side (compat_test.go) runs this script; see the README.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/v4-mini";
import {
  CustomerIndividual$inboundSchema,
  CustomerIndividual$outboundSchema,
} from "@polar-sh/sdk/models/components/customerindividual.js";
import {
  CustomerTeam$inboundSchema,
  CustomerTeam$outboundSchema,
} from "@polar-sh/sdk/models/components/customerteam.js";
import { Customer$inboundSchema } from "@polar-sh/sdk/models/components/customer.js";
import {
  Member$inboundSchema,
  Member$outboundSchema,
} from "@polar-sh/sdk/models/components/member.js";

const [inDir, outDir] = process.argv.slice(2);
if (!inDir || !outDir) {
  console.error("usage: node check.mjs IN_DIR OUT_DIR");
  process.exit(2);
}

// The session's own keys, with the SDK's rules for timestamps and strings.
const datetime = z.iso.datetime({ offset: true });
const session = z.object({
  created_at: datetime,
  modified_at: z.nullable(datetime),
  id: z.string(),
  token: z.string(),
  expires_at: datetime,
  return_url: z.nullable(z.string()),
  member_portal_url: z.string(),
  member_id: z.string(),
  member: z.unknown(),
  customer_id: z.string(),
  customer: z.unknown(),
});

const failures = [];

function parse(file, what, schema, value) {
  const r = schema.safeParse(value);
  if (!r.success) {
    failures.push(`${file}: ${what} rejected by the SDK: ${JSON.stringify(r.error.issues)}`);
  }
  return r;
}

// sameKeys fails unless the outbound form of the parsed value has exactly
// the keys of the input: a key the SDK drops is one it does not know.
function sameKeys(file, what, input, outbound) {
  const want = Object.keys(input).sort().join(",");
  const got = Object.keys(outbound).sort().join(",");
  if (want !== got) {
    failures.push(`${file}: ${what} keys ${want} come back from the SDK as ${got}`);
  }
}

// 1. Parse what Go wrote.
const files = readdirSync(inDir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) {
  failures.push(`no *.json in ${inDir}`);
}
for (const file of files) {
  const doc = JSON.parse(readFileSync(join(inDir, file), "utf8"));
  parse(file, "session", session, doc);
  const m = parse(file, "member", Member$inboundSchema, doc.member);
  if (m.success) {
    sameKeys(file, "member", doc.member, Member$outboundSchema.parse(m.data));
  }
  parse(file, "customer (union)", Customer$inboundSchema, doc.customer);
  const team = doc.customer?.type === "team";
  const c = parse(
    file,
    team ? "CustomerTeam" : "CustomerIndividual",
    team ? CustomerTeam$inboundSchema : CustomerIndividual$inboundSchema,
    doc.customer,
  );
  if (c.success) {
    const out = (team ? CustomerTeam$outboundSchema : CustomerIndividual$outboundSchema).parse(c.data);
    sameKeys(file, "customer", doc.customer, out);
  }
}

// 2. Write SDK-built sessions.
const t = (s) => new Date(s);
const org = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";

function member(customerId, full) {
  return {
    id: "7d1e0c6b-5a49-4382-9716-05f4e3d2c1b0",
    createdAt: t("2025-12-01T09:00:00.250Z"),
    modifiedAt: full ? t("2026-01-05T10:11:12.345Z") : null,
    customerId,
    email: "member@example.com",
    name: full ? "Jane Doe" : null,
    externalId: full ? "usr_1337" : null,
    role: full ? "billing_manager" : "member",
  };
}

const fullCustomer = {
  id: "c0ffee00-1234-4abc-8def-001122334455",
  createdAt: t("2025-11-30T08:30:00.500Z"),
  modifiedAt: t("2026-01-02T12:00:00Z"),
  metadata: { plan: "pro", seats: 5, ratio: 1.5, beta: true, off: false, neg: -3 },
  externalId: "cus_42",
  email: "billing@example.com",
  emailVerified: true,
  type: "individual",
  name: "Acme Inc.",
  billingName: "Acme Inc. Accounts Payable",
  billingAddress: {
    line1: "1 Infinite Loop",
    line2: "Suite 5",
    postalCode: "95014",
    city: "Cupertino",
    state: "US-CA",
    country: "US",
  },
  taxId: ["911144442", "us_ein"],
  locale: "en-US",
  organizationId: org,
  defaultPaymentMethodId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
  deletedAt: null,
  avatarUrl: "https://www.gravatar.com/avatar/5d41402abc4b2a76b9719d911017c592?d=404",
};

// Every nullable field null, every optional key left out.
const bareCustomer = {
  id: "c0ffee00-0000-4abc-8def-000000000001",
  createdAt: t("2026-02-01T00:00:00Z"),
  modifiedAt: null,
  metadata: {},
  email: "solo@example.com",
  emailVerified: false,
  type: "individual",
  name: null,
  billingName: null,
  billingAddress: null,
  taxId: null,
  organizationId: org,
  deletedAt: null,
  avatarUrl: null,
};

const customers = {
  "individual-full": fullCustomer,
  "individual-bare": bareCustomer,
  "individual-optional-null": { ...bareCustomer, externalId: null, locale: null, defaultPaymentMethodId: null },
  "individual-address-country-only": { ...bareCustomer, billingAddress: { country: "FR" } },
  "individual-tax-id-null-format": { ...bareCustomer, taxId: ["DE123456789", null] },
  "team-full": { ...fullCustomer, type: "team", email: "team@example.com" },
  "team-email-null": { ...fullCustomer, type: "team", email: null, emailVerified: false },
  "team-email-absent": (({ email, ...rest }) => ({ ...rest, type: "team", emailVerified: false }))(fullCustomer),
  "team-bare": { ...bareCustomer, type: "team", email: null },
  "team-tax-id-null-value": { ...bareCustomer, type: "team", taxId: [null, "eu_vat"] },
  "team-deleted": { ...fullCustomer, type: "team", deletedAt: t("2026-03-01T00:00:00.123Z") },
};

mkdirSync(outDir, { recursive: true });
for (const [name, customer] of Object.entries(customers)) {
  const full = !name.endsWith("bare");
  const outbound = customer.type === "team" ? CustomerTeam$outboundSchema : CustomerIndividual$outboundSchema;
  const doc = {
    created_at: t("2026-01-20T10:00:00.123Z").toISOString(),
    modified_at: full ? t("2026-01-20T10:30:00Z").toISOString() : null,
    id: "3b2f4d9e-8c1a-4e57-9b6d-2a0c7e5f1d43",
    token: "polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7",
    expires_at: t("2026-01-20T11:00:00.123Z").toISOString(),
    return_url: full ? "https://example.com/account?a=1&b=2" : null,
    member_portal_url: "https://polar.sh/acme/portal?member_session_token=polar_mst_x&email=member%40example.com",
    member_id: "7d1e0c6b-5a49-4382-9716-05f4e3d2c1b0",
    member: Member$outboundSchema.parse(member(customer.id, full)),
    customer_id: customer.id,
    customer: outbound.parse(customer),
  };
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(doc, null, 2) + "\n");
}

if (failures.length > 0) {
  for (const f of failures) console.error(f);
  process.exit(1);
}
console.log(`check.mjs: the SDK accepted ${files.length} documents; wrote ${Object.keys(customers).length} to ${outDir}`);
