import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { parseInput } from "../../shared/validation.js";

/** Parses a request body with a schema; a missing body counts as an empty object (a JSON null does not). */
export const bodyOf = <S extends z.ZodType>(request: FastifyRequest, schema: S): z.output<S> =>
  parseInput(schema, request.body === undefined ? {} : request.body);

export const queryOf = <S extends z.ZodType>(request: FastifyRequest, schema: S): z.output<S> =>
  parseInput(schema, request.query ?? {}, "query");

export const paramsOf = <S extends z.ZodType>(request: FastifyRequest, schema: S): z.output<S> =>
  parseInput(schema, request.params ?? {}, "path");

export const justification = z.string().min(1).max(4000);
export const nameParam = z.object({ name: z.string().min(1).max(200) });
export const idParam = z.object({ id: z.string().min(1).max(200) });
