// The demo's support-assistant, written with the Gatehouse SDK (see the README's "An agent, step
// by step"). It opens a task, asks for the grants it needs (send_email waits for a person), looks
// an order up over HTTP, searches the knowledge base over MCP, and then tries to mail the order to
// an outside address: Gatehouse refuses, because the task read confidential data.
//
//   node examples/agent-tour/agent.mjs
//
// GATEHOUSE_URL (http://127.0.0.1:7800) and AGENT_KEY_FILE (support-assistant.key.json) change
// where it looks. It exits 0 when everything went as told, 1 otherwise.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { GatehouseAgent, GatehouseApiError } from "gatehouse/sdk";

const baseUrl = process.env.GATEHOUSE_URL ?? "http://127.0.0.1:7800";
const keyFile = process.env.AGENT_KEY_FILE ?? "support-assistant.key.json";
const OUTSIDE = "orders@outside.example";

const agent = await GatehouseAgent.create({
  baseUrl,
  tenant: "acme",
  agent: "support-assistant",
  environment: "production",
  privateKey: JSON.parse(readFileSync(keyFile, "utf8")),
});

const task = await agent.openTask({ purpose: "answer a question about order #12345", reference: "order #12345" });
console.log(`1. opened task ${task.id}`);

// The grant that needs a person first, so the others' five minutes do not run out while it waits.
let mail = await task.requestGrant({ resource: { kind: "tool", name: "send_email" } });
if (mail.status === "pending") {
  console.log(`2. send_email waits for a person (${mail.decision.reasons.join("; ")}). Approve it from another terminal:`);
  console.log(`     npx gatehouse grants approve ${mail.id} --justification "the assistant mails customers"`);
  try {
    mail = await task.waitForGrant(mail.id, { timeoutMs: 600_000 });
  } catch (error) {
    console.log(`   ${error.message}`);
    await task.cancel("send_email was not approved");
    process.exit(1);
  }
}
console.log(`   send_email: ${mail.status}, approved by ${mail.decision.by}`);
const lookup = await task.requestGrant({ resource: { kind: "tool", name: "lookup_order" }, scope: { arguments: { order_id: { equals: "12345" } } } });
const search = await task.requestGrant({ resource: { kind: "tool", name: "kb_search" } });
console.log(`3. lookup_order (order 12345 only): ${lookup.status}; kb_search: ${search.status}`);

const order = await task.tools.invoke("lookup_order", { order_id: "12345" });
console.log(`4. lookup_order over HTTP: ${JSON.stringify(order.result.structuredContent)}`);
console.log(`   the task's label is now ${order.taskSensitivity}`);

const mcp = new Client({ name: "support-assistant", version: "1.0.0" });
await mcp.connect(new StreamableHTTPClientTransport(task.mcp.url, { fetch: task.mcp.fetch }));
const listed = (await mcp.listTools()).tools.map((t) => t.name);
const found = await mcp.callTool({ name: "kb_search", arguments: { query: "my order is late" } });
await mcp.close();
console.log(`5. kb_search over MCP (tools/list: ${listed.join(", ")}): ${found.content.map((c) => c.text).join(" | ")}`);

let refusal;
try {
  await task.tools.invoke("send_email", { to: OUTSIDE, subject: "Order 12345", body: JSON.stringify(order.result.structuredContent) });
} catch (error) {
  if (!(error instanceof GatehouseApiError)) throw error;
  refusal = error;
}
if (refusal) console.log(`6. mailing the order to ${OUTSIDE} was refused (${refusal.status}): ${refusal.message}`);
else console.log(`6. the order was mailed to ${OUTSIDE}: Gatehouse should have refused it`);

await task.complete("answered; mailing the order outside was refused");

const asTold =
  mail.status === "active" &&
  lookup.status === "active" &&
  search.status === "active" &&
  !order.result.isError &&
  order.taskSensitivity === "confidential" &&
  !found.isError &&
  refusal?.status === 403 &&
  refusal.message.startsWith("flow refused");
process.exit(asTold ? 0 : 1);
