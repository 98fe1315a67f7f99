"""Guard-page bounds checks: a fault on the inaccessible pages of a wasm memory becomes the wasm trap.

Compiled in guard mode (``translate.BOUNDS_MODES``), a load or store computes ``base + zext(addr) + offset``
and accesses it with no comparison: every memory is an 8 GiB + 64 KiB reservation (``runtime.memory``), so
the address stays inside it, and everything past the current size is ``PROT_NONE``.  An out-of-bounds
access therefore raises SIGSEGV, and the handler here -- native code, built from LLVM IR and cached like
compiled modules -- turns it into the "out of bounds memory access" trap by ``longjmp`` to the innermost
entry trampoline, the same unwinding path ``wasm_trap`` takes.

The handler claims a fault only when all of these hold, and otherwise passes it on to the handler that was
installed before it (Python's ``faulthandler``, say) or to the default action, so a real crash stays one:

* it comes from the hardware (``si_code > 0``), not from ``kill``/``raise``;
* the faulting address lies in a registered wasm memory reservation (``register_memory``);
* the faulting thread is running compiled code of a registered store (``register_state``): the store's
  ``State`` has a jmp_buf (host calls clear it while Python runs) and the handler's own stack pointer lies
  between the store's stack floor and the stack pointer at its outermost entry.  Threads' stacks do not
  overlap, and of stores nested on one thread the innermost (lowest entry) wins.

The registries are native arrays the handler reads; Python replaces an array instead of resizing it in
place and keeps old arrays alive, so a handler that runs while another thread registers a memory never
reads freed memory.
"""

from __future__ import annotations

import ctypes
import faulthandler
import functools
import os
import signal
import sys
import threading
import weakref

from ...runtime import memory
from ..native_state import OUR_SIGNAL_HANDLERS
from . import jit
from . import layout as L
from .cache import ObjectCache, cache_key

SA_SIGINFO = 4
SA_NODEFER = 0x40000000
# the handler runs on the faulting thread's stack a little below the compiled code's stack pointer (the
# kernel's signal frame, with the vector registers, comes in between): this much below the floor still counts
STACK_SLACK = 64 << 10
_SUPPORTED_MACHINES = ("x86_64", "amd64", "aarch64", "arm64")


class _SigAction(ctypes.Structure):
    """``struct sigaction`` of glibc and musl on Linux (x86-64 and aarch64 alike)."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_uint64 * 16), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]


_HANDLER_IR = """
@wasm_guard_memories = global ptr null, align 8
@wasm_guard_states = global ptr null, align 8
@wasm_guard_prev = global [{words} x i64] zeroinitializer, align 8
@wasm_guard_default = global [{words} x i64] zeroinitializer, align 8

declare void @longjmp(ptr, i32) noreturn nounwind
declare i32 @sigaction(i32, ptr, ptr) nounwind
declare i32 @pthread_sigmask(i32, ptr, ptr) nounwind
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)

; a registry: i64 capacity, then capacity entries of `width` words; an entry whose first word is 0 is free
define void @wasm_guard_handler(i32 %sig, ptr %info, ptr %uc) {{
entry:
  %code.p = getelementptr i8, ptr %info, i64 8
  %code = load volatile i32, ptr %code.p
  %hw = icmp sgt i32 %code, 0
  br i1 %hw, label %mem, label %chain

mem:
  %addr.p = getelementptr i8, ptr %info, i64 16
  %addr = load volatile i64, ptr %addr.p
  %mems = load volatile ptr, ptr @wasm_guard_memories
  %mems.null = icmp eq ptr %mems, null
  br i1 %mems.null, label %chain, label %mem.head

mem.head:
  %mcap = load volatile i64, ptr %mems
  br label %mem.loop

mem.loop:
  %k = phi i64 [ 0, %mem.head ], [ %k.next, %mem.next ]
  %k.done = icmp uge i64 %k, %mcap
  br i1 %k.done, label %chain, label %mem.body

mem.body:
  %k2 = shl i64 %k, 1
  %lo.i = add i64 %k2, 1
  %hi.i = add i64 %k2, 2
  %lo.p = getelementptr i64, ptr %mems, i64 %lo.i
  %hi.p = getelementptr i64, ptr %mems, i64 %hi.i
  %lo = load volatile i64, ptr %lo.p
  %hi = load volatile i64, ptr %hi.p
  %ge = icmp uge i64 %addr, %lo
  %lt = icmp ult i64 %addr, %hi
  %in = and i1 %ge, %lt
  %used = icmp ne i64 %lo, 0
  %hit = and i1 %in, %used
  br i1 %hit, label %state, label %mem.next

mem.next:
  %k.next = add i64 %k, 1
  br label %mem.loop

state:
  ; the interrupted code's stack pointer, from the ucontext: the handler itself may run on an alternate signal
  ; stack (when a handler installed with SA_ONSTACK, wasmtime's, was reached first and passed the fault on)
  %uc.sp.p = getelementptr i8, ptr %uc, i64 {uc_sp}
  %sp = load volatile i64, ptr %uc.sp.p
  %states = load volatile ptr, ptr @wasm_guard_states
  %states.null = icmp eq ptr %states, null
  br i1 %states.null, label %chain, label %st.head

st.head:
  %scap = load volatile i64, ptr %states
  br label %st.loop

st.loop:
  %j = phi i64 [ 0, %st.head ], [ %j.next, %st.next ]
  %best = phi i64 [ 0, %st.head ], [ %best.next, %st.next ]
  %best.top = phi i64 [ -1, %st.head ], [ %best.top.next, %st.next ]
  %j.done = icmp uge i64 %j, %scap
  br i1 %j.done, label %st.end, label %st.body

st.body:
  %j1 = add i64 %j, 1
  %s.p = getelementptr i64, ptr %states, i64 %j1
  %s = load volatile i64, ptr %s.p
  %s.used = icmp ne i64 %s, 0
  br i1 %s.used, label %st.check, label %st.next

st.check:
  %sptr = inttoptr i64 %s to ptr
  %jb.p = getelementptr i8, ptr %sptr, i64 {jmpbuf}
  %jb = load volatile i64, ptr %jb.p
  %top.p = getelementptr i8, ptr %sptr, i64 {top}
  %top = load volatile i64, ptr %top.p
  %lim.p = getelementptr i8, ptr %sptr, i64 {limit}
  %lim = load volatile i64, ptr %lim.p
  %low = sub i64 %lim, {slack}
  %c1 = icmp ne i64 %jb, 0
  %c2 = icmp ult i64 %sp, %top
  %c3 = icmp uge i64 %sp, %low
  %c4 = icmp ult i64 %top, %best.top
  %c12 = and i1 %c1, %c2
  %c34 = and i1 %c3, %c4
  %take = and i1 %c12, %c34
  %best.sel = select i1 %take, i64 %s, i64 %best
  %top.sel = select i1 %take, i64 %top, i64 %best.top
  br label %st.next

st.next:
  %best.next = phi i64 [ %best, %st.body ], [ %best.sel, %st.check ]
  %best.top.next = phi i64 [ %best.top, %st.body ], [ %top.sel, %st.check ]
  %j.next = add i64 %j, 1
  br label %st.loop

st.end:
  %found = icmp ne i64 %best, 0
  br i1 %found, label %trap, label %chain

trap:
  %bptr = inttoptr i64 %best to ptr
  %trap.p = getelementptr i8, ptr %bptr, i64 {trap}
  store volatile i64 {oob}, ptr %trap.p
  %bjb.p = getelementptr i8, ptr %bptr, i64 {jmpbuf}
  %bjb = load volatile ptr, ptr %bjb.p
  ; longjmp keeps the signal mask: if the handler that ran us was installed without SA_NODEFER (we may be
  ; chained from another library's), the signal stays blocked and the next fault would kill the process
  %set = alloca [16 x i64], align 8
  call void @llvm.memset.p0.i64(ptr %set, i8 0, i64 128, i1 false)
  %bit.n = sub i32 %sig, 1
  %bit.w = zext i32 %bit.n to i64
  %bit = shl i64 1, %bit.w
  store i64 %bit, ptr %set
  %unblocked = call i32 @pthread_sigmask(i32 1, ptr %set, ptr null)
  call void @longjmp(ptr %bjb, i32 1)
  unreachable

chain:
  %prev.h = load volatile i64, ptr @wasm_guard_prev
  %prev.flags.p = getelementptr i8, ptr @wasm_guard_prev, i64 {flags}
  %prev.flags = load volatile i32, ptr %prev.flags.p
  %is.default = icmp ule i64 %prev.h, 1
  br i1 %is.default, label %restore, label %call.prev

restore:
  ; SIG_DFL or SIG_IGN before us: back to the default action; returning re-runs the faulting instruction,
  ; which then ends the process the way it would have without us
  %ignored = call i32 @sigaction(i32 %sig, ptr @wasm_guard_default, ptr null)
  ret void

call.prev:
  %fn = inttoptr i64 %prev.h to ptr
  %siginfo.flag = and i32 %prev.flags, {sa_siginfo}
  %wants.info = icmp ne i32 %siginfo.flag, 0
  br i1 %wants.info, label %call.info, label %call.plain

call.info:
  call void %fn(i32 %sig, ptr %info, ptr %uc)
  ret void

call.plain:
  call void %fn(i32 %sig)
  ret void
}}
"""


@functools.cache
def supported() -> bool:
    """Whether this host can run guard-mode code: Linux on x86-64 or aarch64, 64-bit, the C library's
    ``sigaction`` reachable, and ``struct sigaction`` the size this module knows."""
    return (sys.platform.startswith("linux") and os.uname().machine.lower() in _SUPPORTED_MACHINES
            and sys.maxsize > 1 << 32 and ctypes.sizeof(_SigAction) == 152 and _libc_sigaction() is not None)


def preferred() -> bool:
    """Whether ``bounds="auto"`` picks guard pages here: on x86-64 Linux, where memories take guarded
    reservations (``memory.guarded_reservations``: not under ``ulimit -v`` below 1 TiB, where each 8 GiB
    reservation would leave room for only a few memories, and a store keeps dozens).

    On aarch64 the architecture lets a misaligned store that crosses into an inaccessible page write its
    accessible bytes before it faults (implementation-defined; see WebAssembly/design#1490), and wasm
    requires a trapping store to write nothing, so "auto" keeps explicit checks there; ``bounds="guard"``
    still works on aarch64 for anyone who accepts that.  Under an address-space limit, memories fall back
    to small reservations that guard-page code cannot use (``runtime/memory.py``)."""
    return (supported() and os.uname().machine.lower() in ("x86_64", "amd64")
            and memory.guarded_reservations())


@functools.cache
def _libc_sigaction():
    try:
        fn = ctypes.CDLL(None, use_errno=True).sigaction
    except AttributeError:
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    fn.restype = ctypes.c_int
    return fn


class _Registry:
    """A native array the handler scans: ``[capacity, entry 0 ..., entry 1 ..., ...]``, ``width`` words per
    entry, published through the handler module's pointer global ``cell``."""

    def __init__(self, cell: int, width: int):
        self.cell = ctypes.c_uint64.from_address(cell)
        self.width = width
        self.slots: dict[int, int] = {}  # key -> entry index
        self.free: list[int] = []
        self.arrays: list = []  # every array ever published: a handler may still be reading an old one
        self._grow(16)

    def _grow(self, capacity: int) -> None:
        arr = (ctypes.c_uint64 * (1 + self.width * capacity))()
        old = self.arrays[-1] if self.arrays else None
        used = 0
        if old is not None:
            used = old[0]
            ctypes.memmove(arr, old, ctypes.sizeof(ctypes.c_uint64) * (1 + self.width * used))
        arr[0] = capacity
        self.arrays.append(arr)
        self.free.extend(range(capacity - 1, used - 1, -1))
        self.cell.value = ctypes.addressof(arr)

    def add(self, key: int, words: tuple[int, ...]) -> None:
        if key in self.slots:
            return
        if not self.free:
            self._grow(2 * self.arrays[-1][0])
        i = self.free.pop()
        arr = self.arrays[-1]
        for w in range(self.width - 1, -1, -1):  # the first word last: it marks the entry as used
            arr[1 + self.width * i + w] = words[w]
        self.slots[key] = i

    def remove(self, key: int) -> None:
        i = self.slots.pop(key, None)
        if i is None:
            return
        arr = self.arrays[-1]
        arr[1 + self.width * i] = 0
        self.free.append(i)


class _Guard:
    def __init__(self, cache: ObjectCache | None):
        self.loaded = jit.LoadedObject(_handler_object(cache), 0)
        self.handler = self.loaded.symbol("wasm_guard_handler")
        self.prev = self.loaded.symbol("wasm_guard_prev")
        self.memories = _Registry(self.loaded.symbol("wasm_guard_memories"), 2)
        self.states = _Registry(self.loaded.symbol("wasm_guard_states"), 1)
        self.sigaction = _libc_sigaction()
        self.installed = False

    def install(self) -> None:
        """Make the handler the process's SIGSEGV handler unless it already is, or unless another of our
        tiers' handlers, installed after ours, is (it passes our faults on to us); what was there before
        becomes the handler it passes foreign faults on to.  A foreign handler above ours is replaced:
        ``faulthandler``, re-enabled, would report our guard-page faults as crashes."""
        cur = _SigAction()
        if self.sigaction(signal.SIGSEGV, None, ctypes.byref(cur)) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed: cannot query the fault handler")
        if cur.handler == self.handler or (self.installed and cur.handler in OUR_SIGNAL_HANDLERS):
            return
        self.installed = True
        OUR_SIGNAL_HANDLERS[self.handler] = self
        new = _SigAction()
        new.handler = self.handler
        new.flags = SA_SIGINFO | SA_NODEFER
        prev = _SigAction()
        if self.sigaction(signal.SIGSEGV, ctypes.byref(new), ctypes.byref(prev)) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed: cannot install the fault handler")
        ctypes.memmove(self.prev, ctypes.byref(prev), ctypes.sizeof(prev))


# Where the interrupted stack pointer lies in the kernel's ucontext_t on Linux: x86-64 uc_mcontext.gregs
# (offset 40) [REG_RSP = 15]; aarch64 uc_mcontext (offset 176: fault_address, regs[31], then sp)
_UC_SP = {"x86_64": 40 + 8 * 15, "aarch64": 176 + 8 + 8 * 31}


def _machine() -> str:
    import platform

    return "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def _handler_object(cache: ObjectCache | None) -> bytes:
    text = _HANDLER_IR.format(
        words=ctypes.sizeof(_SigAction) // 8, jmpbuf=L.STATE_JMPBUF, top=L.STATE_STACK_TOP,
        limit=L.STATE_STACK_LIMIT, trap=L.STATE_TRAP, oob=L.TRAP_CODES["out of bounds memory access"],
        slack=STACK_SLACK, flags=_SigAction.flags.offset, sa_siginfo=SA_SIGINFO, uc_sp=_UC_SP[_machine()])
    key = cache_key(b"guard-handler:" + text.encode(), jit.engine_version(), 0, jit.host_cpu())
    obj = cache.load(key) if cache is not None else None
    if obj is None:
        obj = jit.compile_ir(text, 0)
        if cache is not None:
            cache.store(key, obj)
    return obj


_guard: _Guard | None = None
_lock = threading.Lock()
_faulthandler_seen: bool | None = None
# (registry, key) of memories and stores that died: finalizers run wherever the garbage collector runs,
# possibly inside this module's locked sections, so they only queue; the queue is drained under the lock
# (on the next registration and before compiled code runs from Python)
_dead: list[tuple[_Registry, int]] = []
_memories_seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def guard(cache: ObjectCache | None = None) -> _Guard:
    """The process's guard: the handler loaded and installed (again, if a foreign handler replaced it; not
    over another of our tiers' handlers, which pass our faults on: see ``_Guard.install``)."""
    global _guard, _faulthandler_seen
    with _lock:
        if _guard is None:
            if not supported():
                raise RuntimeError("LLVM tier: guard-page bounds checks need Linux on x86-64 or aarch64 "
                                   "(use bounds='explicit')")
            _guard = _Guard(cache)
        _faulthandler_seen = faulthandler.is_enabled()
        _guard.install()
        _drain()
        return _guard


def check() -> None:
    """Before compiled code runs from Python: if ``faulthandler`` was enabled or disabled since the handler
    was installed, it took SIGSEGV over (or gave it back to the default), so install the handler again.
    (Enabled after us, faulthandler would see an out-of-bounds access first, print a "Fatal Python error"
    and re-raise the signal in a way that no longer says where the fault was.)  Costs one C call; asking
    the kernel on every entry would cost ~0.7 us."""
    if faulthandler.is_enabled() is not _faulthandler_seen:
        guard()
    if _dead:
        with _lock:
            _drain()


def register_memory(mem) -> None:
    """Let faults inside ``mem``'s reservation become traps, for as long as ``mem`` lives."""
    g = guard()
    with _lock:
        if mem in _memories_seen:
            return
        _drain()  # a dead memory's entry may hold this very address
        _memories_seen[mem] = True
        key = mem.address
        g.memories.add(key, (mem.address, mem.address + mem.reserved))
    weakref.finalize(mem, _unregister, g.memories, key)


def register_state(owner, state_addr: int) -> None:
    """Let faults of compiled code running under ``state_addr`` (a ``NativeStore``'s State) become traps,
    for as long as ``owner`` lives."""
    g = guard()
    with _lock:
        _drain()
        g.states.add(state_addr, (state_addr,))
    weakref.finalize(owner, _unregister, g.states, state_addr)


def _unregister(registry: _Registry, key: int) -> None:
    _dead.append((registry, key))  # atomic; no lock here (see _dead)


def _drain() -> None:
    while _dead:
        registry, key = _dead.pop()
        registry.remove(key)
