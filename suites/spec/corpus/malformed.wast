;; Byte sequences that are not modules at all (assert_malformed on binary modules) and one in text.
(module binary "\00asm" "\01\00\00\00")
(assert_malformed (module binary "") "unexpected end")
(assert_malformed (module binary "\00as") "unexpected end")
(assert_malformed (module binary "\00asn\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm\01\00\00") "unexpected end")
;; a type section whose size runs past the end of the module
(assert_malformed (module binary "\00asm\01\00\00\00" "\01\07\01\60\00\00") "unexpected end")
;; an unknown section id
(assert_malformed (module binary "\00asm\01\00\00\00" "\0e\01\00") "malformed section id")
;; function and code sections that disagree on the number of functions
(assert_malformed (module binary
  "\00asm\01\00\00\00"
  "\01\04\01\60\00\00"
  "\03\03\02\00\00"
  "\0a\04\01\02\00\0b")
  "function and code section have inconsistent lengths")
;; a u32 LEB128 with too many bytes
(assert_malformed (module binary "\00asm\01\00\00\00" "\05\07\01\00\82\80\80\80\80\00") "integer representation too long")
;; a custom section whose name length runs past its end
(assert_malformed (module binary "\00asm\01\00\00\00" "\00\02\05a") "unexpected end")
(assert_malformed (module quote "(func (i32.const 1) (drop)") "unexpected end of input")
(assert_malformed (module quote "(func (result i32) (i32.const 0x1_0000_0000))") "constant out of range")
