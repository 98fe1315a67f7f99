"""The native structs generated code reads, shared by the code generator and the Python side (``native``).
All fields are 8 bytes; value slots (arguments, results, helper operands) are 16 (``SLOT_WORDS`` words):
a ``v128`` fills one, a scalar its low 8 bytes.

``State`` (one per store): where a trap unwinds to, the stack limit, the callback into Python.
``VMContext`` (one per module instance, in ``r15`` while its code runs): the state, the trap exit, the
instance's key, its memory cell, then arrays of table cells, global cells, function records and canonical
type ids.  A host function's context has the same first three fields, so traps unwind the same way.
"""

from __future__ import annotations

from ... import errors

SLOT_WORDS = 2  # 64-bit words per value slot

# -- State ---------------------------------------------------------------------------------------------
ST_SAVED_RSP = 0  # stack pointer of the innermost entry trampoline (where a trap unwinds to)
ST_LIMIT = 8  # lowest stack address generated code may use (0: the outermost entry sets it)
ST_BUDGET = 16  # bytes of native stack below the outermost entry
ST_CALLBACK = 24  # int32 callback(ctx, op, slots, imm): host calls and helper operations
ST_CRASH_PC = 32  # a signal in generated code (``faults``): the faulting address ...
ST_CRASH_SIG = 40  # ... and the signal
ST_SIZE = 48

# -- VMContext -----------------------------------------------------------------------------------------
CTX_STATE = 0
CTX_TRAP_EXIT = 8  # address of the code that unwinds to the innermost entry, trap code in eax
CTX_KEY = 16  # the instance's (or host function's) key on the Python side
CTX_MEMORY = 24  # memory cell of memory 0, or 0
CTX_FIXED = 32  # then: tables, globals, funcs, types


def ctx_offsets(n_tables: int, n_globals: int, n_funcs: int, n_types: int) -> dict[str, int]:
    """Byte offsets of the arrays of a VMContext, and its size."""
    tables = CTX_FIXED
    globals_ = tables + 8 * n_tables
    funcs = globals_ + 8 * n_globals
    types = funcs + 8 * n_funcs
    return {"tables": tables, "globals": globals_, "funcs": funcs, "types": types, "size": types + 8 * n_types}


# -- Cells and records ---------------------------------------------------------------------------------
MEM_BASE, MEM_SIZE = 0, 8  # memory cell: base address, size in bytes
TABLE_ELEMS, TABLE_SIZE = 0, 8  # table cell: address of the element array, element count
REC_TYPE, REC_CODE, REC_CTX = 0, 8, 16  # function record (what a funcref is): canonical type id, code, context

# -- Traps -----------------------------------------------------------------------------------------------
TRAP_KINDS = (None, errors.TRAP_UNREACHABLE, errors.TRAP_DIV_ZERO, errors.TRAP_INT_OVERFLOW,
              errors.TRAP_INVALID_CONVERSION, errors.TRAP_OOB_MEMORY, errors.TRAP_OOB_TABLE,
              errors.TRAP_UNDEFINED_ELEMENT, errors.TRAP_UNINITIALIZED_ELEMENT, errors.TRAP_INDIRECT_MISMATCH,
              errors.TRAP_CALL_STACK)
TRAP_CODES = {kind: code for code, kind in enumerate(TRAP_KINDS) if kind}
TRAP_PENDING = 100  # Python raised: the exception waits on the Python side
TRAP_CRASH = 101  # a signal in generated code (``faults``): an engine bug, not a wasm trap

# -- Callback operations -------------------------------------------------------------------------------------
OP_HOST = 0  # call the host function whose context is ``ctx``
HELPER_OPS = ("host", "memory.grow", "memory.init", "data.drop", "table.get",
              "table.set", "table.grow", "table.fill", "table.copy", "table.init", "elem.drop", "simd")
HELPER_CODES = {name: i for i, name in enumerate(HELPER_OPS)}
