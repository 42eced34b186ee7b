; AP start-up trampoline: real mode -> protected mode -> long mode -> C.
;
; smp/boot.c copies this blob to bi->trampoline_page (4 KiB aligned, below
; 1 MiB) and sends each AP a STARTUP IPI with vector page >> 12, so the AP
; starts here in real mode with CS = page >> 4, IP = 0 (Intel SDM vol 3
; §8.4.4.1, §9.1.4).  Entry state: real mode, interrupts off, CR0 =
; 60000010h (caches disabled), no stack, other registers undefined.
;
; Everything the AP needs comes from the parameter block at PARAMS, which
; smp/internal.h declares as struct trampoline_params; its offsets below
; are checked there with _Static_assert (offsetof), and the magic, size and
; slot size at run time before any AP is started.  Fields marked "page-
; relative" hold offsets into this blob; smp/ adds the page address when it
; copies the blob, so this code never writes to the shared page: every AP
; runs through it at the same time.
;
; Which stack is mine?  In long mode each AP reads its own APIC id (CPUID
; 0Bh's x2APIC id when the leaf exists, else CPUID 1 EBX[31:24]) and scans
; the slot table (TP_SLOTS, TP_NSLOTS entries of SLOT_SIZE bytes) for it;
; the slot holds its stack top and the argument for the C entry (its
; struct percpu *).  An AP that finds no slot halts with interrupts off.
;
; Mode switches follow SDM vol 3 §9.9.1 (to protected mode) and §9.8.5
; (IA-32e initialization): PE with a flat GDT, then PAE, CR3, EFER.LME,
; PG, then a far jump to a 64-bit code segment.  NX is not used by
; numaboot's page tables, so EFER.NXE is whatever TP_EFER says (0 today).

bits 16
org 0

PARAMS		equ 0x10	; TRAMPOLINE_PARAMS_OFFSET
TP_MAGIC	equ 0x00	; u32 TRAMPOLINE_MAGIC, written here, checked by C
TP_SIZE		equ 0x04	; u32 size of the block
TP_GDT_LIMIT	equ 0x08	; u16 \ 6-byte pseudo-descriptor for lgdt
TP_GDT_BASE	equ 0x0a	; u32 / page-relative
TP_PM32		equ 0x10	; u32 page-relative offset + u16 selector (m16:32)
TP_LM64		equ 0x18	; u32 page-relative offset + u16 selector (m16:32)
TP_CR3		equ 0x20	; u32 PML4 physical address (below 4 GiB)
TP_EFER		equ 0x24	; u32 bits to set in EFER besides LME
TP_ENTRY	equ 0x28	; u64 C entry, absolute: void entry(void *arg)
TP_SLOTS	equ 0x30	; u64 slot table, absolute
TP_NSLOTS	equ 0x38	; u32 entries in it
TP_SLOT_SIZE	equ 0x3c	; u32 SLOT_SIZE, written here, checked by C
TP_END		equ 0x40

SLOT_APIC_ID	equ 0x00	; u32
SLOT_STACK_TOP	equ 0x08	; u64
SLOT_ARG	equ 0x10	; u64
SLOT_SIZE	equ 0x20

SEL_CODE32	equ 0x08
SEL_DATA	equ 0x10
SEL_CODE64	equ 0x18

CR0_PE		equ 1 << 0
CR0_MP		equ 1 << 1
CR0_ET		equ 1 << 4
CR0_NE		equ 1 << 5
CR0_WP		equ 1 << 16
CR0_PG		equ 1 << 31
CR4_PAE		equ 1 << 5
CR4_PGE		equ 1 << 7
MSR_EFER	equ 0xc0000080
EFER_LME	equ 1 << 8

start16:
	cli
	cld
	jmp short real16

	times PARAMS - ($ - $$) db 0
params:
	dd 0x5254424e				; TP_MAGIC "NBTR"
	dd TP_END				; TP_SIZE
	dw gdt_end - gdt - 1			; TP_GDT_LIMIT
	dd gdt					; TP_GDT_BASE (page-relative)
	dw 0
	dd pm32					; TP_PM32 (page-relative)
	dw SEL_CODE32, 0
	dd lm64					; TP_LM64 (page-relative)
	dw SEL_CODE64, 0
	dd 0					; TP_CR3
	dd 0					; TP_EFER
	dq 0					; TP_ENTRY
	dq 0					; TP_SLOTS
	dd 0					; TP_NSLOTS
	dd SLOT_SIZE				; TP_SLOT_SIZE
%if $ - params != TP_END
%error "parameter block size does not match TP_END"
%endif

real16:
	mov ax, cs
	mov ds, ax
	movzx esi, ax
	shl esi, 4				; esi = this page, kept to the end
	o32 lgdt [PARAMS + TP_GDT_LIMIT]	; o32: all 32 bits of the base
	mov eax, CR0_PE | CR0_ET		; caches back on: CD and NW clear
	mov cr0, eax
	jmp dword far [PARAMS + TP_PM32]

bits 32
pm32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov eax, CR4_PAE | CR4_PGE
	mov cr4, eax
	mov eax, [esi + PARAMS + TP_CR3]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	or eax, [esi + PARAMS + TP_EFER]
	wrmsr
	mov eax, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
	mov cr0, eax
	jmp far [esi + PARAMS + TP_LM64]

bits 64
lm64:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esi, esi				; upper halves are undefined after the switch
	xor eax, eax
	cpuid
	cmp eax, 0x0b
	jb .legacy_id
	mov eax, 0x0b
	xor ecx, ecx
	cpuid
	test ebx, ebx				; EBX = 0: leaf 0Bh not really there
	jz .legacy_id
	mov r8d, edx				; x2APIC id
	jmp .find_slot
.legacy_id:
	mov eax, 1
	cpuid
	shr ebx, 24
	mov r8d, ebx				; initial xAPIC id
.find_slot:
	mov rdi, [rsi + PARAMS + TP_SLOTS]
	mov ecx, [rsi + PARAMS + TP_NSLOTS]
.next:
	test ecx, ecx
	jz .no_slot
	cmp [rdi + SLOT_APIC_ID], r8d
	je .found
	add rdi, SLOT_SIZE
	dec ecx
	jmp .next
.found:
	mov rsp, [rdi + SLOT_STACK_TOP]		; 16-byte aligned; the call below
	mov rdi, [rdi + SLOT_ARG]		; leaves it as the ABI expects
	xor ebp, ebp				; end of the frame-pointer chain
	mov rax, [rsi + PARAMS + TP_ENTRY]
	call rax
.no_slot:					; the C entry never returns
	cli
	hlt
	jmp .no_slot

align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff			; SEL_CODE32: flat 4 GiB, exec/read, D
	dq 0x00cf92000000ffff			; SEL_DATA: flat 4 GiB, read/write
	dq 0x00209a0000000000			; SEL_CODE64: L, exec/read
gdt_end:
