/*
 * The AP trampoline (trampoline.asm, assembled by NASM to a flat binary)
 * as read-only data in the kernel image; smp/boot.c copies it to the low
 * trampoline page.
 */
	.section .rodata
	.p2align 4
	.globl trampoline_blob
	.globl trampoline_blob_end
trampoline_blob:
	.incbin "trampoline.bin"
trampoline_blob_end:

	.section .note.GNU-stack, "", @progbits
