#!/usr/bin/env node
// The operator CLI. Runs the TypeScript source through tsx, so it works straight from a checkout.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/server/cli.ts");
process.exitCode = await main(process.argv.slice(2));
