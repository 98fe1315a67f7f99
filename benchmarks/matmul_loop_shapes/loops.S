	.section .note.GNU-stack,"",@progbits
	.text
# The inner loops of the bench's matmul kernel (benchmarks/llvm_workloads.py, MATMUL) as two code
# generators emit them, wrapped in the same i/j loops, so the loop shapes can be timed on the same memory
# with no engine around them.  x86-64 only.
#
# ours:  ours:llvm at O2 with explicit bounds checks (two compare-and-branch per iteration, strength-reduced
#        addresses); nochk: the same loop without the two checks; crane: wasmtime 49's cranelift (an imul per
#        iteration, no checks: guard pages).
# All take (char *base, long limit, unsigned n, int unused) and return the sum of C's elements.

# double ours(char* base, long limit, unsigned n, int unused)
	.globl ours
ours:
	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15
	mov %rdi, %rax
	mov %rsi, %rcx
	mov %edx, %r9d
	lea (,%rdx,8), %r10d
	mov %edx, %edi
	imul %edi, %edi
	shl $3, %edi           # B offset
	lea (%rdi,%rdi), %r14d # C offset
	vxorpd %xmm0, %xmm0, %xmm0
	xor %ebx, %ebx
	xor %r11d, %r11d
1:	xor %r15, %r15
	mov %edi, %ebp
2:	vxorpd %xmm1, %xmm1, %xmm1
	mov %r9, %r12
	mov %r11d, %esi
	mov %ebp, %r13d
	.p2align 4
3:	movl	%esi, %esi
	cmpq	%rsi, %rcx
	jl	9f
	movl	%r13d, %edx
	cmpq	%rdx, %rcx
	jb	9f
	vmovsd	(%rax,%rsi), %xmm2
	addl	%r10d, %r13d
	addl	$8, %esi
	decq	%r12
	vmulsd	(%rax,%rdx), %xmm2, %xmm2
	vaddsd	%xmm2, %xmm1, %xmm1
	jne	3b
	vaddsd %xmm1, %xmm0, %xmm0
	vmovsd %xmm1, (%rax,%r14)
	add $8, %r14
	inc %r15
	add $8, %ebp
	cmp %r9, %r15
	jne 2b
	inc %ebx
	add %r10d, %r11d
	cmp %r9d, %ebx
	jne 1b
	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx
	ret
9:	ud2

# same without the 2 checks
	.globl nochk
nochk:
	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15
	mov %rdi, %rax
	mov %rsi, %rcx
	mov %edx, %r9d
	lea (,%rdx,8), %r10d
	mov %edx, %edi
	imul %edi, %edi
	shl $3, %edi
	lea (%rdi,%rdi), %r14d
	vxorpd %xmm0, %xmm0, %xmm0
	xor %ebx, %ebx
	xor %r11d, %r11d
1:	xor %r15, %r15
	mov %edi, %ebp
2:	vxorpd %xmm1, %xmm1, %xmm1
	mov %r9, %r12
	mov %r11d, %esi
	mov %ebp, %r13d
	.p2align 4
3:	movl	%esi, %esi
	movl	%r13d, %edx
	vmovsd	(%rax,%rsi), %xmm2
	addl	%r10d, %r13d
	addl	$8, %esi
	decq	%r12
	vmulsd	(%rax,%rdx), %xmm2, %xmm2
	vaddsd	%xmm2, %xmm1, %xmm1
	jne	3b
	vaddsd %xmm1, %xmm0, %xmm0
	vmovsd %xmm1, (%rax,%r14)
	add $8, %r14
	inc %r15
	add $8, %ebp
	cmp %r9, %r15
	jne 2b
	inc %ebx
	add %r10d, %r11d
	cmp %r9d, %ebx
	jne 1b
	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx
	ret

# cranelift's shape: rcx=base, r9d=n, eax=nn, r10=i*n, r8d=j, edx=k
	.globl crane
crane:
	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15
	mov %rdi, %rcx
	mov %edx, %r9d
	mov %edx, %eax
	imul %eax, %eax
	lea (%rax,%rax), %edi   # C elem offset (2nn)
	vxorpd %xmm0, %xmm0, %xmm0
	xor %esi, %esi
1:	mov %rsi, %r10
	imul %r9d, %r10d
	xor %r8d, %r8d
2:	xor %edx, %edx
	vxorpd %xmm1, %xmm1, %xmm1
	.p2align 4
3:	cmp %r9d, %edx
	jae 4f
	lea (%r10,%rdx,1), %r11d
	shl $3, %r11d
	vmovsd (%rcx,%r11,1), %xmm2
	mov %rdx, %r11
	imul %r9d, %r11d
	add %r8d, %r11d
	add %eax, %r11d
	shl $3, %r11d
	add $1, %edx
	vmulsd (%rcx,%r11,1), %xmm2, %xmm2
	vaddsd %xmm2, %xmm1, %xmm1
	jmp 3b
4:	lea (%r10,%r8,1), %edx
	add %edi, %edx
	shl $3, %edx
	vmovsd %xmm1, (%rcx,%rdx,1)
	add $1, %r8d
	vaddsd %xmm1, %xmm0, %xmm0
	cmp %r9d, %r8d
	jb 2b
	add $1, %esi
	cmp %r9d, %esi
	jb 1b
	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx
	ret
