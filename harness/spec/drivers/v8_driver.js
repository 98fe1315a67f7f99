// V8 side of the spec driver: a request/response loop over stdin/stdout (one JSON object per line).
// The Python executor (harness/spec/drivers/node.py) decides what to run and scores it; this file only
// performs compile / instantiate / invoke / get with the WebAssembly JS API and reports what happened, and
// builds the host modules (spectest) it is sent as data.
//
// Values cross as strings of raw bits so nothing is lost: i64 goes to V8 as BigInt, and any function or
// global whose type has f32/f64/v128 is reached through a small generated wrapper module that takes and
// returns integer bit patterns (f32<->i32, f64<->i64, v128<->two i64), so NaN payloads and v128 values
// are exact even though JS numbers and the JS API cannot carry them.
// Types come from the JS type reflection API (node --experimental-wasm-type-reflection).
'use strict';
const readline = require('readline');

const modules = new Map();   // handle -> WebAssembly.Module
const instances = new Map(); // handle -> exports object
const funcRefs = new Map();  // id -> function (non-null funcref results handed to Python)
const funcIds = new Map();   // function -> id
const hostRefs = new Map();  // n -> host object for (ref.extern n)
let nextHandle = 1;

function hostRef(n) {
  if (!hostRefs.has(n)) hostRefs.set(n, { hostref: n });
  return hostRefs.get(n);
}

const VALTYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, anyfunc: 0x70, externref: 0x6f };
// node 18's V8 (10.2) reflects v128 as 's128' (WebAssembly.Function.type, Global.type); node 20's says 'v128'
const NORM = { anyfunc: 'funcref', s128: 'v128' };
const norm = (t) => NORM[t] || t;

// ---- binary encoding of wrapper modules ---------------------------------------------------------------
function uleb(n) {
  const out = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
function str(s) { const b = Buffer.from(s, 'utf8'); return [...uleb(b.length), ...b]; }
function section(id, body) { return [id, ...uleb(body.length), ...body]; }
function vec(items) { return [...uleb(items.length), ...items.flat()]; }
function functype(params, results) {
  return [0x60, ...vec(params.map((t) => [VALTYPE[t]])), ...vec(results.map((t) => [VALTYPE[t]]))];
}
const OUTER = { f32: ['i32'], f64: ['i64'], v128: ['i64', 'i64'] };
const outer = (types) => types.flatMap((t) => OUTER[t] || [t]);
const needsWrapper = (types) => types.some((t) => t in OUTER);

const wrapperCache = new Map();
function funcWrapperModule(params, results) {
  const key = `f:${params}|${results}`;
  if (wrapperCache.has(key)) return wrapperCache.get(key);
  const wparams = outer(params);
  const code = [];
  let k = 0;
  for (const t of params) {
    if (t === 'v128') {
      code.push(0xfd, 0x0c, ...new Array(16).fill(0)); // v128.const 0
      code.push(0x20, ...uleb(k), 0xfd, 0x1e, 0);      // local.get lo; i64x2.replace_lane 0
      code.push(0x20, ...uleb(k + 1), 0xfd, 0x1e, 1);  // local.get hi; i64x2.replace_lane 1
      k += 2;
    } else {
      code.push(0x20, ...uleb(k));
      if (t === 'f32') code.push(0xbe); // f32.reinterpret_i32
      if (t === 'f64') code.push(0xbf); // f64.reinterpret_i64
      k += 1;
    }
  }
  code.push(0x10, 0); // call the import
  const base = wparams.length;
  for (let j = results.length - 1; j >= 0; j--) code.push(0x21, ...uleb(base + j)); // local.set
  results.forEach((t, j) => {
    if (t === 'v128') {
      code.push(0x20, ...uleb(base + j), 0xfd, 0x1d, 0);
      code.push(0x20, ...uleb(base + j), 0xfd, 0x1d, 1);
    } else {
      code.push(0x20, ...uleb(base + j));
      if (t === 'f32') code.push(0xbc); // i32.reinterpret_f32
      if (t === 'f64') code.push(0xbd); // i64.reinterpret_f64
    }
  });
  code.push(0x0b);
  const locals = vec(results.map((t) => [1, VALTYPE[t]]));
  const body = [...locals, ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([functype(params, results), functype(wparams, outer(results))])),
    ...section(2, vec([[...str('m'), ...str('f'), 0x00, 0]])),
    ...section(3, vec([[1]])),
    ...section(7, vec([[...str('w'), 0x00, 1]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  const mod = new WebAssembly.Module(new Uint8Array(bytes));
  wrapperCache.set(key, mod);
  return mod;
}

function globalWrapperModule(type, mutable) {
  const key = `g:${type}|${mutable}`;
  if (wrapperCache.has(key)) return wrapperCache.get(key);
  const code = [0x23, 0]; // global.get 0
  const locals = type === 'v128' ? vec([[1, VALTYPE.v128]]) : vec([]);
  if (type === 'f32') code.push(0xbc);
  if (type === 'f64') code.push(0xbd);
  if (type === 'v128') code.push(0x21, 0, 0x20, 0, 0xfd, 0x1d, 0, 0x20, 0, 0xfd, 0x1d, 1);
  code.push(0x0b);
  const body = [...locals, ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([functype([], outer([type]))])),
    ...section(2, vec([[...str('m'), ...str('g'), 0x03, VALTYPE[type], mutable ? 1 : 0]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str('w'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  const mod = new WebAssembly.Module(new Uint8Array(bytes));
  wrapperCache.set(key, mod);
  return mod;
}

const wrappers = new WeakMap(); // function or global -> wrapper function
function wrapped(target, makeModule, importName) {
  let w = wrappers.get(target);
  if (!w) {
    w = new WebAssembly.Instance(makeModule(), { m: { [importName]: target } }).exports.w;
    wrappers.set(target, w);
  }
  return w;
}

// ---- value conversion -------------------------------------------------------------------------------------
function toJs(t, raw) {
  // raw: decimal string for numbers; null | {host:n} | {func:id} for references
  switch (t) {
    case 'i32': case 'f32': return Number(BigInt.asIntN(32, BigInt(raw)));
    case 'i64': case 'f64': return BigInt.asIntN(64, BigInt(raw));
    case 'v128': {
      const v = BigInt(raw);
      return [BigInt.asIntN(64, v & 0xffffffffffffffffn), BigInt.asIntN(64, v >> 64n)];
    }
    default:
      if (raw === null) return null;
      if (raw.host !== undefined) return hostRef(raw.host);
      if (raw.func !== undefined) return funcRefs.get(raw.func);
      throw new Error(`cannot pass ${t} ${JSON.stringify(raw)}`);
  }
}

function fromJs(t, values) {
  // consumes one or two values from the iterator `values`
  switch (t) {
    case 'i32': case 'f32': return String(values.next().value >>> 0);
    case 'i64': case 'f64': return BigInt.asUintN(64, values.next().value).toString();
    case 'v128': {
      const lo = BigInt.asUintN(64, values.next().value);
      const hi = BigInt.asUintN(64, values.next().value);
      return ((hi << 64n) | lo).toString();
    }
    default: {
      const v = values.next().value;
      if (v === null || v === undefined) return null;
      if (t === 'externref') return v && v.hostref !== undefined ? { host: v.hostref } : { host: -1 };
      if (!funcIds.has(v)) { const id = funcIds.size + 1; funcIds.set(v, id); funcRefs.set(id, v); }
      return { func: funcIds.get(v) };
    }
  }
}

// ---- errors ---------------------------------------------------------------------------------------------------
function classify(e) {
  if (e instanceof WebAssembly.CompileError) return { error: 'compile', message: e.message };
  if (e instanceof WebAssembly.LinkError) return { error: 'link', message: e.message };
  if (e instanceof WebAssembly.RuntimeError) return { error: 'trap', message: e.message };
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { error: 'exhaustion', message: e.message };
  if (typeof WebAssembly.Exception === 'function' && e instanceof WebAssembly.Exception) return { error: 'exception', message: 'wasm exception' };
  if (e instanceof TypeError) return { error: 'type', message: e.message };
  return { error: 'other', message: String(e && e.stack || e) };
}

// ---- host modules ----------------------------------------------------------------------------------------
// A host module arrives as data (spectest: harness/spec/spectest.py) and is built with the JS API.  Its
// functions are WebAssembly.Function objects, which carry a wasm type, so importing one with another type
// is a LinkError as for a wasm function.
function hostExtern(d) {
  switch (d.kind) {
    case 'func': return new WebAssembly.Function({ parameters: d.params, results: d.results }, () => {});
    case 'global': return new WebAssembly.Global({ value: d.type, mutable: false }, d.type === 'i64' ? BigInt(d.value) : d.value);
    case 'table': return new WebAssembly.Table({ element: d.element === 'funcref' ? 'anyfunc' : d.element, initial: d.min, maximum: d.max });
    case 'memory': return new WebAssembly.Memory({ initial: d.min, maximum: d.max });
    default: throw new Error(`unknown host extern ${JSON.stringify(d)}`);
  }
}

// ---- operations -----------------------------------------------------------------------------------------
const ops = {
  host(req) {
    const exports = {};
    for (const [name, d] of Object.entries(req.exports)) exports[name] = hostExtern(d);
    const h = nextHandle++;
    instances.set(h, exports);
    return { handle: h };
  },
  compile(req) {
    const mod = new WebAssembly.Module(Buffer.from(req.bytes, 'base64'));
    const h = nextHandle++;
    modules.set(h, mod);
    return { handle: h, imports: WebAssembly.Module.imports(mod).map((i) => i.module) };
  },
  instantiate(req) {
    const mod = modules.get(req.module);
    const imports = {};
    for (const [name, h] of Object.entries(req.registry)) imports[name] = instances.get(h);
    let exports;
    try {
      exports = new WebAssembly.Instance(mod, imports).exports;
    } catch (e) {
      const c = classify(e);
      if (c.error === 'type') c.error = 'link'; // missing import module: V8 throws TypeError
      throw Object.assign(new Error(c.message), { classified: c });
    }
    const h = nextHandle++;
    instances.set(h, exports);
    return { handle: h };
  },
  invoke(req) {
    const f = instances.get(req.instance)[req.field];
    if (typeof f !== 'function') return { error: 'link', message: `no exported function ${req.field}` };
    const type = WebAssembly.Function.type(f);
    const params = type.parameters.map(norm);
    const results = type.results.map(norm);
    const args = req.args.map(([t, raw]) => toJs(t, raw)).flat();
    let target = f;
    if (needsWrapper(params) || needsWrapper(results)) target = wrapped(f, () => funcWrapperModule(params, results), 'f');
    const out = target(...args);
    const flat = outer(results).length === 1 ? [out] : (out === undefined ? [] : out);
    const it = flat[Symbol.iterator]();
    return { results: results.map((t) => [t, fromJs(t, it)]) };
  },
  get(req) {
    const g = instances.get(req.instance)[req.field];
    if (!(g instanceof WebAssembly.Global)) return { error: 'link', message: `no exported global ${req.field}` };
    const type = g.type();
    const t = norm(type.value);
    let value = g.value;
    if (needsWrapper([t])) {
      const w = wrapped(g, () => globalWrapperModule(t, type.mutable), 'g');
      const out = w();
      value = t === 'v128' ? out : out;
      const it = (t === 'v128' ? out : [out])[Symbol.iterator]();
      return { result: [t, fromJs(t, it)] };
    }
    return { result: [t, fromJs(t, [value][Symbol.iterator]())] };
  },
};

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  let reply;
  let req;
  try {
    req = JSON.parse(line);
    reply = ops[req.op](req);
  } catch (e) {
    reply = e.classified || classify(e);
  }
  reply.id = req ? req.id : null;
  process.stdout.write(JSON.stringify(reply) + '\n');
});
rl.on('close', () => process.exit(0));
