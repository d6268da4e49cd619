// A merchant's integration, written only against the client generated from the server's OpenAPI
// document: push an order, sign a link, let a shopper ask for a refund through it, find the
// request in the merchant's queue and approve it. `tsc` checks it against the document's types;
// `tsx` runs it against a live server (REFUND_URL, REFUND_SECRET_KEY, REFUND_PUBLISHABLE_KEY).

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type ErrorBody = components["schemas"]["ErrorBody"];

const baseUrl = process.env.REFUND_URL ?? "http://127.0.0.1:8080";
const secretKey = process.env.REFUND_SECRET_KEY ?? "";
const publishableKey = process.env.REFUND_PUBLISHABLE_KEY ?? "";

const merchant = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${secretKey}` },
});

let failures = 0;
function check(what: string, ok: boolean, detail?: unknown): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) {
    failures += 1;
    if (detail !== undefined) console.log("     ", JSON.stringify(detail));
  }
}

function fail(what: string, error: ErrorBody | undefined): never {
  throw new Error(`${what}: ${error?.error.code} ${error?.error.message}`);
}

const day = 86_400_000;
const now = Date.now();
const number = `TS-${now}`;

// 1. The order, as the store's backend pushes it.
const pushed = await merchant.PUT("/api/v1/merchant/orders/{number}", {
  params: { path: { number } },
  body: {
    number,
    currency: "CNY",
    customer_email: "ts.client@example.com",
    status: "paid",
    placed_at: new Date(now - 3 * day).toISOString(),
    paid_at: new Date(now - 3 * day).toISOString(),
    shipped_at: new Date(now - 2 * day).toISOString(),
    delivered_at: new Date(now - day).toISOString(),
    lines: [
      { id: "L1", sku: "TEE-M", title: "T-shirt", unit_price: "129.00", quantity: 2 },
    ],
    shipping_fee: "0.00",
    payments: [{ method: "wechat_pay", amount: "258.00" }],
  },
});
if (!pushed.data) fail("push the order", pushed.error);
check("the order is stored with no flags", pushed.data.flags.length === 0, pushed.data);

// A push that does not add up is refused with the field at fault.
const wrong = await merchant.PUT("/api/v1/merchant/orders/{number}", {
  params: { path: { number: `${number}-X` } },
  body: { ...pushed.data.order, number: `${number}-X`, payments: [{ method: "card", amount: "1.00" }] },
});
check(
  "payments that do not add up are refused",
  wrong.error?.error.code === "payments_mismatch" && wrong.error.error.field === "payments",
  wrong.error,
);

// 2. A signed link for the shopper.
const link = await merchant.POST("/api/v1/merchant/orders/{number}/links", {
  params: { path: { number } },
  body: { ttl_seconds: 3600 },
});
if (!link.data) fail("sign a link", link.error);
check("the link opens the refund page", link.data.url.includes(link.data.token));

// 3. The shopper opens it, quotes and submits (as the widget would).
const shopper = createClient<paths>({ baseUrl });
const session = await shopper.POST("/api/v1/shops/{pk}/session", {
  params: { path: { pk: publishableKey } },
  body: { token: link.data.token },
});
if (!session.data) fail("open a session", session.error);
const asShopper = { Authorization: `Bearer ${session.data.session}` };
const ask = {
  kind: "refund_only" as const,
  reason: "changed_mind" as const,
  lines: [{ line_id: "L1", quantity: 1 }],
};
const quote = await shopper.POST("/api/v1/shops/{pk}/quote", {
  params: { path: { pk: publishableKey } },
  headers: asShopper,
  body: ask,
});
if (!quote.data) fail("quote", quote.error);
check("one T-shirt comes back at its price", quote.data.total === "129.00", quote.data);
const submitted = await shopper.POST("/api/v1/shops/{pk}/requests", {
  params: { path: { pk: publishableKey }, header: { "Idempotency-Key": `ts-${now}` } },
  headers: asShopper,
  body: { ...ask, expected_total: quote.data.total, expected_outcome: quote.data.outcome },
});
if (!submitted.data) fail("submit", submitted.error);
check("keeping the goods waits for the merchant", submitted.data.state === "submitted", submitted.data);

// 4. The merchant's queue, then the decision.
const queue = await merchant.GET("/api/v1/merchant/requests", {
  params: { query: { state: "submitted", limit: 200 } },
});
if (!queue.data) fail("list the queue", queue.error);
const mine = queue.data.requests.find((r) => r.id === submitted.data.id);
check("the request is in the queue", mine !== undefined);
const approved = await merchant.POST("/api/v1/merchant/requests/{id}/approve", {
  params: { path: { id: submitted.data.id } },
});
if (!approved.data) fail("approve", approved.error);
check("the request is approved", approved.data.state === "approved", approved.data);
const steps = approved.data.history.map((step) => `${step.actor}:${step.action}`);
check("its history says who did what", steps.join(" ") === "shopper:submit merchant:approve", steps);

// Approving twice is a conflict with the request's state, in the error shape.
const again = await merchant.POST("/api/v1/merchant/requests/{id}/approve", {
  params: { path: { id: submitted.data.id } },
});
check("a second approval is refused", again.response.status === 409 && again.error?.error.code === "transition_not_allowed", again.error);

console.log(failures === 0 ? "the integration works" : `${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
