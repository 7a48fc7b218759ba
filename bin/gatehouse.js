#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// Cedar runs as WebAssembly that V8 recompiles with TurboFan once it is hot. Each compile thread
// keeps the memory it used in its own malloc arena after it is done; one thread instead of one per
// core leaves the gateway 25-40 MB smaller, and the recompilation happens in the background either way.
setFlagsFromString("--wasm-num-compilation-tasks=1");
await import("../dist/cli/gatehouse.js");
