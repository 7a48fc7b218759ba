import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { ProposalOutcome } from "../../../approvals/change-control.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { kindNames, kinds } from "../../../registry/kinds.js";
import type { RegistryRecord } from "../../../registry/registry.js";
import { conflict } from "../../../shared/errors.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, justification, nameParam, paramsOf, queryOf } from "../body.js";

const createBody = z
  .object({
    name: z.string(),
    owner: z.string(),
    spec: z.record(z.string(), z.unknown()),
    justification: justification.optional(),
    /** Agents only: submit the new draft for approval straight away. */
    submit: z.boolean().optional(),
  })
  .strict();
const updateBody = createBody.omit({ name: true, submit: true });
const deleteBody = z.object({ justification: justification.optional() }).strict();
const versionParam = nameParam.extend({ version: z.coerce.number().int().min(1) });
const diffQuery = z.object({ from: z.coerce.number().int().min(1).optional(), to: z.coerce.number().int().min(1).optional() });

/** Answers a proposal: 201/200 when applied, 202 with the change request when it waits for approval. */
export async function sendOutcome(
  reply: FastifyReply,
  outcome: ProposalOutcome,
  current: () => Promise<unknown>,
  createdStatus = 200,
): Promise<FastifyReply> {
  if (outcome.status === "pending") return reply.code(202).send({ status: "pending", changeRequest: outcome.changeRequest });
  return reply.code(outcome.status === "applied" ? createdStatus : 200).send({ status: outcome.status, record: await current() });
}

/** CRUD, history and diff for every registry kind, at /admin/v1/{plural}. */
export function registryRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  const present = async (record: RegistryRecord) =>
    record.kind === "agent" ? { ...record, lifecycle: await gatehouse.lifecycle.status(record as RegistryRecord<"agent">) } : record;

  for (const kind of kindNames) {
    const base = `/${kinds[kind].plural}`;
    const read = { config: { permission: "registry.read" as const } };
    const write = { config: { permission: "registry.write" as const } };
    const getPresented = (tenantId: string, name: string) => async () => present(await gatehouse.registry.get(tenantId, kind, name));

    app.get(base, read, async (request) => {
      const { tenantId } = adminOf(request);
      const records = await gatehouse.registry.list(tenantId, kind);
      if (kind !== "agent") return { items: records };
      const statuses = await gatehouse.lifecycle.statuses(tenantId);
      return {
        items: records.map((r) => ({
          ...r,
          lifecycle: statuses.get(r.id) ?? { state: "draft", environments: [], reason: null, updatedAt: r.createdAt, updatedBy: r.createdBy },
        })),
      };
    });

    app.get(`${base}/:name`, read, async (request) => {
      const { name } = paramsOf(request, nameParam);
      return present(await gatehouse.registry.get(adminOf(request).tenantId, kind, name));
    });

    app.get(`${base}/:name/versions`, read, async (request) => {
      const { name } = paramsOf(request, nameParam);
      return { items: await gatehouse.registry.versions(adminOf(request).tenantId, kind, name) };
    });

    app.get(`${base}/:name/versions/:version`, read, async (request) => {
      const { name, version } = paramsOf(request, versionParam);
      return gatehouse.registry.version(adminOf(request).tenantId, kind, name, version);
    });

    app.get(`${base}/:name/diff`, read, async (request) => {
      const { tenantId } = adminOf(request);
      const { name } = paramsOf(request, nameParam);
      const query = queryOf(request, diffQuery);
      const versions = await gatehouse.registry.versions(tenantId, kind, name);
      const latest = versions.at(-1)?.version ?? 1;
      const to = query.to ?? latest;
      const from = query.from ?? Math.max(1, to - 1);
      return { from, to, changes: await gatehouse.registry.diff(tenantId, kind, name, from, to) };
    });

    app.post(base, write, async (request, reply) => {
      const { tenantId, ctx } = adminOf(request);
      const body = bodyOf(request, createBody);
      const outcome = await gatehouse.transaction(async (trx) => {
        if (await gatehouse.registry.find(tenantId, kind, body.name, trx).then((r) => r && !r.deleted)) {
          throw conflict(`${kind.replace("_", " ")} '${body.name}' already exists; use PUT to change it`);
        }
        const proposal = { action: "record.put" as const, kind, name: body.name, owner: body.owner, spec: body.spec };
        const result = await gatehouse.changes.propose(trx, ctx, tenantId, proposal, body.justification ?? null);
        if (kind === "agent" && body.submit) return gatehouse.agents.submit(trx, ctx, tenantId, body.name, body.justification ?? null);
        return result;
      });
      return sendOutcome(reply, outcome, getPresented(tenantId, body.name), 201);
    });

    app.put(`${base}/:name`, write, async (request, reply) => {
      const { tenantId, ctx } = adminOf(request);
      const { name } = paramsOf(request, nameParam);
      const body = bodyOf(request, updateBody);
      const outcome = await gatehouse.transaction(async (trx) => {
        await gatehouse.registry.get(tenantId, kind, name, trx);
        const proposal = { action: "record.put" as const, kind, name, owner: body.owner, spec: body.spec };
        return gatehouse.changes.propose(trx, ctx, tenantId, proposal, body.justification ?? null);
      });
      return sendOutcome(reply, outcome, getPresented(tenantId, name));
    });

    app.delete(`${base}/:name`, write, async (request, reply) => {
      const { tenantId, ctx } = adminOf(request);
      const { name } = paramsOf(request, nameParam);
      const body = bodyOf(request, deleteBody);
      const outcome = await gatehouse.transaction((trx) =>
        gatehouse.changes.propose(trx, ctx, tenantId, { action: "record.delete", kind, name }, body.justification ?? null),
      );
      if (outcome.status === "pending") return reply.code(202).send({ status: "pending", changeRequest: outcome.changeRequest });
      return reply.code(200).send({ status: "deleted" });
    });
  }
}
