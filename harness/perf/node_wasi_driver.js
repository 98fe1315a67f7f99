'use strict';
// Runs a WASI preview1 program under node:wasi and records the phases with performance.now().
// Usage: node [v8 flags] node_wasi_driver.js MODULE.wasm PHASES.json [args...]
// stdin/stdout are the process's own (the harness redirects them to files: writing to a pipe can fail
// with EAGAIN in node 20).  The WASI object is kept in a global: node:wasi can abort mid-run if it is
// garbage-collected.  returnOnExit is false: node 20 can crash (SIGTRAP/SIGSEGV) returning from
// wasi.start() with returnOnExit after large programs, so proc_exit ends the process directly and the
// phases are written from the 'exit' handler.
const fs = require('node:fs');
const { WASI } = require('node:wasi');
const { performance } = require('node:perf_hooks');

const [wasmPath, phasesPath, ...args] = process.argv.slice(2);
globalThis.harnessWasi = null;

const marks = {};

process.on('exit', () => {
  const t4 = performance.now();
  if (marks.t3 === undefined) return;
  fs.writeFileSync(phasesPath, JSON.stringify({
    process_to_driver_ms: marks.t0, read_ms: marks.t1 - marks.t0, compile_ms: marks.t2 - marks.t1,
    instantiate_ms: marks.t3 - marks.t2, execute_ms: t4 - marks.t3,
  }));
});

async function main() {
  const t0 = performance.now();
  const bytes = fs.readFileSync(wasmPath);
  const t1 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t2 = performance.now();
  const wasi = new WASI({ version: 'preview1', args: [wasmPath, ...args], env: {}, returnOnExit: false });
  globalThis.harnessWasi = wasi;
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const t3 = performance.now();
  Object.assign(marks, { t0, t1, t2, t3 });
  wasi.start(instance);  // returns only if _start returns without proc_exit
}

main().catch((e) => { process.stderr.write(String((e && e.stack) || e) + '\n'); process.exitCode = 70; });
