/*
 * A bare-metal x86 guest for bench-kvm.sh: the cost of a virtio queue
 * notify seen from the vCPU. Built as a 64 KiB firmware image for the top
 * of the first 4 GiB (the reset vector in its last 16 bytes), it goes to
 * flat 32-bit protected mode, finds the virtio-rng device among the
 * virtio-mmio slots at 0xfeb00000, brings queue 0 up with no buffers, and
 * writes QueueNotify NOTIFIES times (an assembler symbol: the script times
 * an image with and one without them). Each write is an MMIO exit to the
 * emulator, or an ioeventfd the kernel signals without one; the device
 * then finds nothing to do. Ends through isa-debug-exit (port 0xf4) with
 * 0x10 (status 33); 0x01 (status 3) when no virtio-rng slot answers.
 */

    .equ    VIRTIO_MMIO, 0xfeb00000
    .equ    DEBUG_EXIT, 0xf4
    .equ    RINGS, 0x13000             /* zeroed RAM: descriptors, avail, used */

    .section .text
    .globl start16
    .code16
start16:
    cli
    lgdtl   %cs:(gdtr - start16)
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $0x08, $start32

    .code32
start32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $VIRTIO_MMIO, %ebx
1:  cmpl    $4, 8(%ebx)                 /* device ID: entropy source */
    je      2f
    add     $0x200, %ebx
    cmp     $(VIRTIO_MMIO + 8 * 0x200), %ebx
    jne     1b
    mov     $0x01, %al
    outb    %al, $DEBUG_EXIT
    jmp     halt

2:  movl    $0, 0x70(%ebx)              /* reset, ACKNOWLEDGE | DRIVER */
    movl    $3, 0x70(%ebx)
    movl    $1, 0x24(%ebx)              /* VIRTIO_F_VERSION_1 only */
    movl    $1, 0x20(%ebx)
    movl    $0, 0x24(%ebx)
    movl    $0, 0x20(%ebx)
    movl    $0xb, 0x70(%ebx)            /* FEATURES_OK */
    movl    $0, 0x30(%ebx)              /* queue 0: 4 entries, rings at RINGS */
    movl    $4, 0x38(%ebx)
    movl    $RINGS, 0x80(%ebx)
    movl    $(RINGS + 0x100), 0x90(%ebx)
    movl    $(RINGS + 0x200), 0xa0(%ebx)
    movl    $1, 0x44(%ebx)              /* QueueReady */
    movl    $0xf, 0x70(%ebx)            /* DRIVER_OK */

    mov     $NOTIFIES, %ecx
    test    %ecx, %ecx
    jz      4f
3:  movl    $0, 0x50(%ebx)              /* QueueNotify: queue 0 */
    dec     %ecx
    jnz     3b
4:  mov     $0x10, %al
    outb    %al, $DEBUG_EXIT
halt:
    hlt
    jmp     halt

    .balign 8
gdt:
    .quad   0
    .quad   0x00cf9a000000ffff          /* 0x08: 32-bit code, flat */
    .quad   0x00cf92000000ffff          /* 0x10: data, flat */
gdt_end:
gdtr:
    .word   gdt_end - gdt - 1
    .long   gdt

    .code16
    .org    0xfff0
reset:
    jmp     start16
    .org    0x10000
