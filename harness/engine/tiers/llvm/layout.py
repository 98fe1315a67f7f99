"""Memory layouts shared by the generated code and the Python side of the LLVM tier.

Everything compiled code touches at run time lives in native structs whose layout is fixed here, so the
code generator (``translate.py``) and the linker (``native.py``) cannot drift apart.  All fields are 8 bytes.

``State`` (one per store): where a trap unwinds to and how compiled code reaches Python.
``VMContext`` (one per module instance, passed as the first argument of every compiled function):
pointers to the instance's memory cell, table cells, global cells, function records and canonical type ids.
A host function's context starts with the same ``state`` field, so the trap path is the same for both.
"""

from __future__ import annotations

# -- State ---------------------------------------------------------------------------------------------
STATE_JMPBUF = 0  # ptr: jmp_buf of the innermost entry trampoline
STATE_TRAP = 8  # i64: trap code set by the trap routine
STATE_STACK_LIMIT = 16  # i64: lowest allowed stack address (0 = not set: the outermost entry sets it)
STATE_HOST_CB = 24  # ptr: i32 host_cb(ptr hostctx, ptr slots)
STATE_HELPER_CB = 32  # ptr: i32 helper_cb(ptr vmctx, i32 op, ptr slots)
STATE_STACK_BUDGET = 40  # i64: bytes of native stack compiled code may use below the outermost entry
STATE_STACK_TOP = 48  # i64: stack pointer at the outermost entry (0 = not in compiled code; see ``faults``)
STATE_HANDLER = 56  # ptr: the innermost try_table handler frame of this entry (0 = none: throw to the entry)
STATE_EXN = 64  # i64: the exception in flight (address of its record, see EXN_*)
STATE_SIZE = 72
# Every call raises the callee's stack floor by this many bytes (see translate.FunctionCompiler._stack_check).
CALL_CHARGE = 16

# -- VMContext -----------------------------------------------------------------------------------------
CTX_STATE = 0  # ptr State
CTX_MEMORY = 8  # ptr MemoryCell (or null)
CTX_INSTANCE = 16  # i64: key of the instance on the Python side
CTX_FIXED = 24  # then: tables, globals, funcs, types (8 bytes each)


def ctx_offsets(n_tables: int, n_globals: int, n_funcs: int, n_types: int, n_mems: int = 0,
                n_tags: int = 0) -> dict[str, int]:
    """Byte offsets of the variable-length arrays of a VMContext, and its total size.

    ``mems``: the memory cell of each memory (multi-memory; memory 0's is also at ``CTX_MEMORY``);
    ``tags``: the native id of each exception tag (its identity: equal ids, the same ``TagInstance``)."""
    tables = CTX_FIXED
    globals_ = tables + 8 * n_tables
    funcs = globals_ + 8 * n_globals
    types = funcs + 8 * n_funcs
    mems = types + 8 * n_types
    tags = mems + 8 * n_mems
    return {"tables": tables, "globals": globals_, "funcs": funcs, "types": types, "mems": mems, "tags": tags,
            "size": tags + 8 * n_tags}


# -- Host function context -----------------------------------------------------------------------------
HOSTCTX_STATE = 0  # ptr State (same offset as CTX_STATE)
HOSTCTX_KEY = 8  # i64: key of the host function on the Python side
HOSTCTX_SIZE = 16

# -- Cells ---------------------------------------------------------------------------------------------
MEM_BASE = 0  # ptr
MEM_SIZE = 8  # i64 bytes
MEM_CELL_SIZE = 16
TABLE_ELEMS = 0  # ptr to i64[capacity]
TABLE_SIZE = 8  # i64 elements
TABLE_CELL_SIZE = 16
GLOBAL_CELL_SIZE = 16  # room for a v128

# -- Function record (what a funcref points at) --------------------------------------------------------
REC_TYPE = 0  # i64 canonical type id
REC_CODE = 8  # ptr: compiled code, signature ret f(ptr ctx, i64 floor, params...)
REC_CTX = 16  # ptr: VMContext or host function context
REC_SIZE = 24

# -- Argument/result slots for entry trampolines and host calls ------------------------------------------
SLOT_SIZE = 16

# -- Trap codes ------------------------------------------------------------------------------------------
TRAP_KINDS = {
    1: "unreachable",
    2: "integer divide by zero",
    3: "integer overflow",
    4: "invalid conversion to integer",
    5: "out of bounds memory access",
    6: "out of bounds table access",
    7: "undefined element",
    8: "uninitialized element",
    9: "indirect call type mismatch",
    10: "call stack exhausted",
    11: "null function reference",
    12: "null reference",
    13: "null exception reference",
    14: "null i31 reference",
    15: "cast failure",
}
TRAP_CODES = {kind: code for code, kind in TRAP_KINDS.items()}
TRAP_HOST = 100  # a host function or helper raised: the exception is pending on the Python side
TRAP_EXCEPTION = 101  # a wasm exception left the entry uncaught: it is in STATE_EXN
TRAP_THROW = 102  # (host callback -> thunk) the host raised a wasm exception, in STATE_EXN: throw it on

# -- Exceptions (3.0) --------------------------------------------------------------------------------------
# An exnref is the address of a native record: the tag's id, then the payload in 16-byte slots.  Python keeps
# the record alive and maps it back to its ``WasmException`` (``NativeStore.exns``).
EXN_TAG = 0  # i64: id of the tag (``native.tag_id``)
EXN_VALUES = 16
# A try_table's handler frame, on the native stack of the function that holds it: a jmp_buf, then the
# handler that was innermost before it (restored when control leaves the try_table any way but a throw).
HANDLER_JMPBUF = 0
HANDLER_PREV = 512
HANDLER_WORDS = 66

# -- Helper operations (compiled code -> Python, for rare instructions) ----------------------------------
HELPER_OPS = (
    "memory.grow",
    "memory.init",
    "data.drop",
    "table.set",
    "table.grow",
    "table.fill",
    "table.copy",
    "table.init",
    "elem.drop",
    "throw",
    "gc",  # every GC instruction not compiled inline (``gc.py``; the runtime side is ``gcops.py``)
)
HELPER_CODES = {name: i for i, name in enumerate(HELPER_OPS)}
