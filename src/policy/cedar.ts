import { setFlagsFromString } from "node:v8";

/**
 * Cedar (@cedar-policy/cedar-wasm), for everything that calls it: through here, so that the
 * workaround below is in force before the first call.
 *
 * V8 in Node 20 inlines calls from optimised JavaScript into WebAssembly. When such code is
 * deoptimised just as a cedar-wasm export returns its answer (a JavaScript object), the
 * deoptimizer aborts the whole process ("Fatal error … unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation): seen under load in the admin API tests and the
 * policy benchmark, and not with the inlining off. A call into Cedar does microseconds of work,
 * so the inlining saves nothing worth a crash. The flag applies to code optimised from now on.
 */
setFlagsFromString("--no-turbo-inline-js-wasm-calls");

export { policySetTextToParts, policyToJson, preparsePolicySet, statefulIsAuthorized, validate } from "@cedar-policy/cedar-wasm/nodejs";
