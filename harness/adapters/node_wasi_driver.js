'use strict';
// Runs one WASI preview1 command under node:wasi; with --phases, also records how long reading,
// compiling, instantiating and executing took (performance.now(), milliseconds) for harness perf.
//
// Usage: node [v8 flags] node_wasi_driver.js [--phases FILE] [--dir HOST::GUEST]... [--env KEY=VALUE]...
//                                            [--argv0 NAME] MODULE.wasm [ARGS...]
//
// Exit status: the program's (proc_exit's code, or 0 when _start returns); 134 after a trap (as wasmtime);
// 1 when the module cannot be compiled or instantiated.  stdio is the process's own: give it files, not
// pipes (node:wasi writes non-blocking, and EAGAIN on a full pipe loses output in node 20).
//
// returnOnExit is false: node 20 can crash (SIGTRAP/SIGSEGV) returning from wasi.start() after proc_exit
// with returnOnExit once a large program has run, so proc_exit ends the process right there (uvwasi calls
// exit() with the code, which keeps exit statuses exact).  No 'exit' event follows that, so the phases are
// written by a wrapper around proc_exit, and from the 'exit' event when _start returns.  The WASI object
// is kept in a global: node:wasi can abort mid-run if it is garbage-collected.
const fs = require('node:fs');
const { WASI } = require('node:wasi');
const { performance } = require('node:perf_hooks');

function parseArgs(argv) {
  const cfg = { phases: null, preopens: {}, env: {}, argv0: null, wasm: null, args: [] };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i += 2) {
    const [opt, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${opt} needs a value`);
    if (opt === '--phases') cfg.phases = value;
    else if (opt === '--argv0') cfg.argv0 = value;
    else if (opt === '--dir') {
      const sep = value.indexOf('::');
      if (sep < 0) cfg.preopens[value] = value;
      else cfg.preopens[value.slice(sep + 2)] = value.slice(0, sep);
    } else if (opt === '--env') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got ${value}`);
      cfg.env[value.slice(0, eq)] = value.slice(eq + 1);
    } else throw new Error(`unknown option ${opt}`);
  }
  if (i >= argv.length) throw new Error('no module given');
  cfg.wasm = argv[i];
  cfg.args = argv.slice(i + 1);
  return cfg;
}

function fail(e, code) {
  fs.writeSync(2, 'error: ' + (e && e.stack ? e.stack : String(e)) + '\n');
  process.exitCode = code;
}

const marks = {};
let phasesWritten = false;

function writePhases(cfg) {
  const t4 = performance.now();
  if (!cfg.phases || phasesWritten || marks.t3 === undefined) return;
  phasesWritten = true;
  fs.writeFileSync(cfg.phases, JSON.stringify({
    process_to_driver_ms: marks.t0, read_ms: marks.t1 - marks.t0, compile_ms: marks.t2 - marks.t1,
    instantiate_ms: marks.t3 - marks.t2, execute_ms: t4 - marks.t3,
  }));
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  process.on('exit', () => writePhases(cfg));
  let instance;
  try {
    const t0 = performance.now();
    const bytes = fs.readFileSync(cfg.wasm);
    const t1 = performance.now();
    const module = await WebAssembly.compile(bytes);
    const t2 = performance.now();
    globalThis.harnessWasi = new WASI({
      version: 'preview1', args: [cfg.argv0 || cfg.wasm, ...cfg.args], env: cfg.env, preopens: cfg.preopens,
      returnOnExit: false, stdin: 0, stdout: 1, stderr: 2,
    });
    // wasiImport, not getImportObject() (node 20+): Debian bookworm's node 18 runs this driver too
    const imports = { wasi_snapshot_preview1: globalThis.harnessWasi.wasiImport };
    const wasiImport = imports.wasi_snapshot_preview1;
    const procExit = wasiImport.proc_exit;
    imports.wasi_snapshot_preview1 = { ...wasiImport, proc_exit: (code) => { writePhases(cfg); return procExit(code); } };
    instance = await WebAssembly.instantiate(module, imports);
    const t3 = performance.now();
    Object.assign(marks, { t0, t1, t2, t3 });
  } catch (e) {
    fail(e, 1);
    return;
  }
  try {
    globalThis.harnessWasi.start(instance);  // returns only if _start returns without proc_exit
  } catch (e) {
    fail(e, 134);
  }
}

main().catch((e) => fail(e, 1));
