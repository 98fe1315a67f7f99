;; Grows a funcref table by 50,000,000 entries: past our engine's host limit of 10^7 (the spec lets a grow
;; fail for lack of resources, so -1 is conforming), within what wasmtime would honour.  Seed 20261207's
;; module 11719 grew one by 2,063,209,382 entries: ours returned -1 at once, wasmtime tried to fill 16 GB and
;; gave no answer within 60 s (a false `hang` finding).
(module
  (table $t 1 funcref)
  (func (export "grow") (result i32)
    (table.grow $t (ref.null func) (i32.const 50000000)))
  (func (export "size") (result i32)
    (table.size $t)))
