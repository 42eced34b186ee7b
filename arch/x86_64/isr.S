/*
 * Interrupt and exception entry stubs: one per vector.  Vectors that push
 * an error code (Intel SDM vol 3 §6.15: 8, 10-14, 17, 21, 29, 30) keep it;
 * the others push a zero so every frame has the same layout
 * (struct trap_frame in include/trap.h).
 */
	.text
	.code64

.macro STUB vec
	.p2align 4
isr_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

.altmacro
.set vec, 0
.rept 256
	STUB %vec
	.set vec, vec + 1
.endr

isr_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

.macro STUB_ADDR vec
	.quad isr_stub_\vec
.endm

	.section .rodata
	.p2align 3
	.globl isr_stubs
isr_stubs:
.set vec, 0
.rept 256
	STUB_ADDR %vec
	.set vec, vec + 1
.endr

	.section .note.GNU-stack, "", @progbits
