/*
 * A PVH "kernel" for -M microvm -kernel: an x86-64 ELF whose Xen note
 * XEN_ELFNOTE_PHYS32_ENTRY (18) names pvh_start, entered in 32-bit
 * protected mode with EBX = struct hvm_start_info (Xen's start_info.h).
 * It prints on the UART at 0x3f8, one line each:
 *   "pvh magic ok"             the start info's magic
 *   the command line           from cmdline_paddr
 *   the initrd's text          module 0 of modlist_paddr (size bytes)
 *   "memmap N"                 memmap_entries (one digit)
 * The first time, it then prints "reset" and resets the machine through
 * port 0xcf9 (a flag in RAM that the loader does not touch tells), so all
 * of it is printed twice; the second time it leaves through isa-debug-exit
 * at 0xf4 with 0x21 (exit status 67). A bad magic or a missing module
 * exits with 0x01 (status 3) instead.
 */
.equ UART,       0x3f8
.equ UART_LSR,   UART + 5
.equ LSR_THRE,   0x20
.equ DEBUG_EXIT, 0xf4
.equ HVM_MAGIC,  0x336ec578
.equ RESET_PORT, 0xcf9
.equ RESET_CPU,  0x06
.equ RESET_FLAG, 0x9000             /* below the loader's structures' pages */

    .code32
    .text
    .globl pvh_start
pvh_start:
    movl $stack_top, %esp
    cmpl $HVM_MAGIC, 0(%ebx)
    jne fail
    movl $msg_magic, %esi
    call puts
    movl 24(%ebx), %esi             /* cmdline_paddr */
    call puts
    cmpl $1, 12(%ebx)               /* nr_modules */
    jne fail
    movl 16(%ebx), %edi             /* modlist_paddr */
    movl 0(%edi), %esi              /* paddr */
    movl 8(%edi), %ecx              /* size */
    jecxz fail
1:  movb (%esi), %al
    call putc
    incl %esi
    loop 1b
    movl $msg_memmap, %esi
    call puts_raw
    movb 48(%ebx), %al              /* memmap_entries */
    addb $'0', %al
    call putc
    movb $'\n', %al
    call putc
    cmpl $HVM_MAGIC, RESET_FLAG
    je 5f
    movl $HVM_MAGIC, RESET_FLAG
    movl $msg_reset, %esi
    call puts
    movb $RESET_CPU, %al
    movw $RESET_PORT, %dx
    outb %al, %dx
    jmp 2f
5:  movb $0x21, %al
    jmp exit

fail:
    movb $0x01, %al
exit:
    outb %al, $DEBUG_EXIT
2:  cli
    hlt
    jmp 2b

/* Writes the NUL-terminated string at ESI, then a newline. */
puts:
    call puts_raw
    movb $'\n', %al
    jmp putc

/* Writes the NUL-terminated string at ESI. */
puts_raw:
    movb (%esi), %al
    testb %al, %al
    jz 3f
    call putc
    incl %esi
    jmp puts_raw
3:  ret

/* Writes AL once the transmitter is empty. */
putc:
    pushl %edx
    pushl %eax
    movw $UART_LSR, %dx
4:  inb %dx, %al
    testb $LSR_THRE, %al
    jz 4b
    popl %eax
    movw $UART, %dx
    outb %al, %dx
    popl %edx
    ret

    .data
msg_magic:
    .asciz "pvh magic ok"
msg_memmap:
    .asciz "memmap "
msg_reset:
    .asciz "reset"

    .bss
    .balign 16
    .skip 4096
stack_top:

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         /* namesz */
    .long 8                         /* descsz */
    .long 18                        /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_start
    .balign 4
