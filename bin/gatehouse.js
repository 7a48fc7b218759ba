#!/usr/bin/env node
import "../dist/cli/gatehouse.js";
