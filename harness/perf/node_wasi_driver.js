'use strict';
// Runs a WASI preview1 program under node:wasi and records the phases with performance.now().
// Usage: node [v8 flags] node_wasi_driver.js MODULE.wasm PHASES.json [args...]
// stdin/stdout are the process's own (the harness redirects them to files: writing to a pipe can fail
// with EAGAIN in node 20).  The WASI object is kept in a global: node:wasi can abort mid-run if it is
// garbage-collected.
const fs = require('node:fs');
const { WASI } = require('node:wasi');
const { performance } = require('node:perf_hooks');

const [wasmPath, phasesPath, ...args] = process.argv.slice(2);
globalThis.harnessWasi = null;

async function main() {
  const t0 = performance.now();
  const bytes = fs.readFileSync(wasmPath);
  const t1 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t2 = performance.now();
  const wasi = new WASI({ version: 'preview1', args: [wasmPath, ...args], env: {}, returnOnExit: true });
  globalThis.harnessWasi = wasi;
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const t3 = performance.now();
  const code = wasi.start(instance);
  const t4 = performance.now();
  fs.writeFileSync(phasesPath, JSON.stringify({
    process_to_driver_ms: t0, read_ms: t1 - t0, compile_ms: t2 - t1, instantiate_ms: t3 - t2, execute_ms: t4 - t3,
  }));
  process.exitCode = code;
}

main().catch((e) => { process.stderr.write(String((e && e.stack) || e) + '\n'); process.exitCode = 70; });
