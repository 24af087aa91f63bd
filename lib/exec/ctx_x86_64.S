/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Task context switch for x86-64 System V. Only callee-saved state moves:
 * rbx, rbp, r12-r15, the stack pointer, MXCSR's control bits and the x87
 * control word (the ABI makes those two callee-saved as well). Everything
 * else is caller-saved, so the C caller has already spilled it. rax and
 * rcx are scratch here (caller-saved, and not an argument register).
 *
 * void px__ctx_switch(void **save_sp, void *load_sp);
 *   Pushes the state on the current stack, stores rsp in *save_sp, loads
 *   load_sp and pops the state saved there.
 *
 * A new stack is laid out by ctx_prepare() in task.c so that the first
 * switch to it "returns" into px__ctx_trampoline with r12 = argument and
 * r13 = entry function.
 */

	.text
	.globl	px__ctx_switch
	.type	px__ctx_switch, @function
	.p2align 4
px__ctx_switch:
	.cfi_startproc
	endbr64
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/* Control words in one zeroed slot: MXCSR in the low 4 bytes, the
	 * x87 control word in the next 2, so the slot compares as a whole. */
	pushq	$0
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	(%rsp), %rax
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	/* Loading MXCSR and the x87 control word is slow (tens of cycles)
	 * and they almost never differ between tasks: load only on change. */
	cmpq	(%rsp), %rax
	jne	2f
1:
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	/* pop + jmp, not ret: the return address belongs to the other
	 * context, so a ret would always mispredict (the return stack buffer
	 * holds our caller); an indirect jump is predicted from history. */
	popq	%rcx
	jmp	*%rcx
2:
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	jmp	1b
	.cfi_endproc
	.size	px__ctx_switch, .-px__ctx_switch

	.globl	px__ctx_trampoline
	.type	px__ctx_trampoline, @function
	.p2align 4
px__ctx_trampoline:
	.cfi_startproc
	/* Outermost frame: debuggers stop unwinding here. */
	.cfi_undefined rip
	endbr64
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	andq	$-16, %rsp
	callq	*%r13
	ud2	/* the entry function never returns */
	.cfi_endproc
	.size	px__ctx_trampoline, .-px__ctx_trampoline

	.section .note.GNU-stack,"",@progbits
