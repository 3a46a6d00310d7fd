#!/usr/bin/env node
// The `mobileforge` executable (package.json "bin").
import { main } from './mobileforge.js';

process.exitCode = await main(process.argv.slice(2));
