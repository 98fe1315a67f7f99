;; harness fuzz finding: crash | ours:llvm vs ours:interp | LLVM ERROR: failed to perform tail call elimination
;; on a call site marked musttail (SIGABRT while compiling). Module 77:62 of 'harness fuzz --engines
;; ours:interp,ours:llvm --features tail-call --seed 77', minimised by wasm-tools shrink 1638 -> 579 bytes.
(module
  (type (;0;) (func (param i32) (result i64 i32 f64 i64 i64 i32)))
  (type (;1;) (func (param f64) (result i32 f64 funcref i64 funcref i64 f32 i32 i32)))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (func (;0;) (type 0) (param i32) (result i64 i32 f64 i64 i64 i32)
    unreachable
  )
  (func (;1;) (type 0) (param i32) (result i64 i32 f64 i64 i64 i32)
    (local funcref i32 i64 f32 f32)
    global.get 4
    if ;; label = @1
      unreachable
    end
    global.get 4
    global.set 4
    f64.const -0x1.56753e8cb5569p+451 (;=-7778491419931181000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
    f32.const -0x1.f544dap+127 (;=-333150360000000000000000000000000000000;)
    f32.const nan (;=NaN;)
    i32.const 0
    select
    data.drop 0
    local.get 5
    f32.lt
    loop ;; label = @1
      global.get 4
      i32.eqz
      if ;; label = @2
        unreachable
      end
      global.get 4
      global.set 4
      block (result f64) ;; label = @2
        block (result i32) ;; label = @3
          i32.const 0
          return_call 2
          f32.const -nan:0x7c0000 (;=NaN;)
          block ;; label = @4
            i64.const 0
            block (result i32) ;; label = @5
              block (result f32) ;; label = @6
                i64.const 0
                i32.const 0
                call 0
                f32.reinterpret_i32
                f32.abs
                i32.reinterpret_f32
                global.get 0
                i32.xor
                global.set 0
                global.get 3
                i64.xor
                global.set 3
                global.get 3
                i64.xor
                global.set 3
                i64.reinterpret_f64
                global.get 2
                i64.xor
                global.set 2
                global.get 1
                i32.xor
                global.set 1
                global.get 3
                i64.xor
                global.set 3
                global.get 3
                i64.xor
                global.set 3
                f32.const -0x1.f58412p-103 (;=-0.0000000000000000000000000000001931769;)
              end
              i32.reinterpret_f32
              i32.const 1
              i32.xor
              global.set 0
              i32.const 0
            end
            global.get 1
            i32.xor
            global.set 1
            global.get 3
            i64.xor
            global.set 3
          end
          i32.reinterpret_f32
          global.get 0
          i32.xor
          global.set 0
          global.get 1
          i32.xor
          global.set 1
          global.get 3
          i64.xor
          global.set 3
          global.get 3
          i64.xor
          global.set 3
          i64.reinterpret_f64
          global.get 2
          i64.xor
          global.set 2
          global.get 1
          i32.xor
          global.set 1
          global.get 3
          i64.xor
          global.set 3
          i32.const 0
        end
        i32.const 0
        i32.xor
        global.set 1
        f64.const 0x1.24ba3f4a322b3p+497 (;=467876729281291300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
      end
      i64.reinterpret_f64
      global.get 2
      i64.xor
      global.set 2
    end
    global.get 1
    i32.xor
    global.set 1
    i64.reinterpret_f64
    global.get 2
    i64.xor
    global.set 2
    i64.const 0
    i32.const 140275779
    f64.const 0x1.e3b2b77553d34p-291 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000047490384801356555;)
    i64.const -3146481718329893043
    i64.const 9221120237041090560
    i32.const 0
  )
  (func (;2;) (type 0) (param i32) (result i64 i32 f64 i64 i64 i32)
    (local f64)
    global.get 4
    if ;; label = @1
      unreachable
    end
    global.get 4
    global.set 4
    block (result i64) ;; label = @1
      data.drop 0
      local.get 0
      f64.convert_i32_u
      f64.trunc
      local.tee 1
      f64.const nan (;=NaN;)
      local.get 1
      local.get 1
      f64.eq
      select
      data.drop 0
      block (type 1) (param f64) (result i32 f64 funcref i64 funcref i64 f32 i32 i32) ;; label = @2
        f32.const 0x1.ffffp-133 (;=0.00000000000000000000000000000000000000018367;)
        ref.null extern
        f32.const 0x1p-123 (;=0.00000000000000000000000000000000000009403955;)
        i64.trunc_sat_f32_u
        i32.wrap_i64
        data.drop 0
        f32.const 0x1.fea69ap+28 (;=535456160;)
        i64.const 0
        nop
        br 1 (;@1;)
        data.drop 0
        data.drop 0
        ref.null func
        drop
        i64.const 0
        global.get 2
        i64.xor
        global.set 2
        i32.reinterpret_f32
        global.get 0
        i32.xor
        global.set 0
        i32.const 1
        i32.xor
        global.set 1
        drop
        i32.reinterpret_f32
        global.get 0
        i32.xor
        global.set 0
        i64.reinterpret_f64
        global.get 2
        i64.xor
        global.set 2
        i32.const 1048575
        f64.const -nan:0xffffe00000000 (;=NaN;)
        ref.null func
        i64.const 0
        ref.null func
        i64.const 1
        f32.const -0x1.9186c4p-43 (;=-0.00000000000017831355;)
        i32.const 506864095
        i32.const -71107950
      end
      global.get 1
      i32.xor
      global.set 1
      global.get 1
      i32.xor
      global.set 1
      i32.reinterpret_f32
      global.get 0
      i32.xor
      global.set 0
      global.get 3
      i64.xor
      global.set 3
      drop
      global.get 3
      i64.xor
      global.set 3
      drop
      i64.reinterpret_f64
      global.get 2
      i64.xor
      global.set 2
      global.get 1
      i32.xor
      global.set 1
      i64.const 0
    end
    i32.const -4097
    f64.const -0x1.35290552c2f48p-263 (;=-0.00000000000000000000000000000000000000000000000000000000000000000000000000000008148071049144555;)
    i64.const -1278623450004188309
    i64.const 0
    i32.const -145451247
  )
  (data (;0;) "")
)
