/*
 * A bare-metal x86 guest for -M microvm -accel kvm, built as a 64 KiB
 * firmware image for the top of the first 4 GiB (linked at 0xffff0000,
 * the reset vector in its last 16 bytes). Its steps, each announced on
 * the UART (I/O port 0x3f8) once it passed:
 *
 *   1 "real mode"       running from the reset vector
 *   2 "protected mode"  a flat GDT, CR0.PE, a far jump
 *     "reset ok"        the first time, it leaves a mark in RAM and resets
 *                       the machine through port 0xcf9 (bit 2), or, where
 *                       nothing answers there (QEMU's microvm), with a
 *                       triple fault; RAM survives the reset, so the second
 *                       time it goes on
 *   3 "long mode"       identity-mapped 4 GiB (2 MiB pages), EFER.LME, CR0.PG;
 *                       then "cpuid 1:ecx=XXXXXXXX 7:ebx=XXXXXXXX", the feature
 *                       words the CPU model (-cpu) left
 *   4 "mmio ok"         finds the virtio-rng device among the eight
 *                       virtio-mmio slots at 0xfeb00000 (-device
 *                       virtio-rng-device): magic, version 2, device ID 4,
 *                       then DeviceFeaturesSel selects which half of the
 *                       features DeviceFeatures reads (VIRTIO_F_VERSION_1 in
 *                       the high one): MMIO exits, reads and writes
 *   5 "fw_cfg ok"       the fw_cfg DMA interface reads the signature into RAM
 *   6 "pit ok"          three PIT interrupts (IRQ 0, through the in-kernel
 *                       8259 and the local APIC's LINT0) wake HLT
 *   7 "virtio ok"       one virtio-rng request through a split virtqueue:
 *                       negotiation, the rings, a QueueNotify (an ioeventfd
 *                       under proteus), and the used buffer's interrupt on
 *                       the slot's line (IRQ 5 + slot) through the 8259,
 *                       acknowledged through InterruptACK; 16 random bytes
 *   8 "ap ok"           CPU 1 (-smp 2), started with INIT and SIPI through
 *                       the local APIC, runs a real-mode trampoline
 *
 * It runs the same under QEMU's -M microvm,ioapic2=off with
 * -global virtio-mmio.force-legacy=false (tests/kvm/kvm-boot.py checks both).
 *
 * Then it writes 0x10 to isa-debug-exit (port 0xf4): exit status 33. A
 * step that fails writes its number instead (status 2n+1); an unexpected
 * exception writes 0x3f (status 127).
 */

    .equ    UART, 0x3f8
    .equ    DEBUG_EXIT, 0xf4
    .equ    VIRTIO_MMIO, 0xfeb00000   /* 8 slots of 0x200 bytes */
    .equ    VIRTIO_IRQ_BASE, 5
    .equ    LAPIC, 0xfee00000
    .equ    FW_CFG_DMA, 0x514

    .equ    PML4, 0x1000   /* then PDPT at 0x2000, PDs at 0x3000-0x6fff */
    .equ    IDT, 0x8000   /* 256 gates of 16 bytes */
    .equ    TRAMPOLINE, 0x10000   /* the AP's start: SIPI vector 0x10 */
    .equ    AP_FLAG, 0x11000
    .equ    TICKS, 0x11004
    .equ    RESET_MARK, 0x11008
    .equ    RESET_PORT, 0xcf9
    .equ    DMA_DESC, 0x12000
    .equ    DMA_BUF, 0x12100
    .equ    VIRTIO_SLOT, 0x11010       /* the rng's slot base (8 bytes) */
    .equ    VIRTIO_IRQ, 0x11018        /* and its IRQ */
    .equ    VIRTIO_ISR, 0x1101c        /* InterruptStatus bits the handler saw */
    .equ    VQ_DESC, 0x13000           /* 4 descriptors */
    .equ    VQ_AVAIL, 0x13100
    .equ    VQ_USED, 0x13200
    .equ    VQ_BUF, 0x13300
    .equ    STACK_TOP, 0x80000

    .equ    EXIT_OK, 0x10
    .equ    EXIT_EXCEPTION, 0x3f

    .section .text
    .globl start16

/* ---- real mode: CS base 0xffff0000 ---- */
    .code16
start16:
    cli
    mov     $(msg_real - start16), %si
1:  movb    %cs:(%si), %al
    test    %al, %al
    jz      2f
    mov     $UART, %dx
    outb    %al, %dx
    inc     %si
    jmp     1b
2:  lgdtl   %cs:(gdtr - start16)
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $0x08, $start32

/* ---- protected mode: flat 4 GiB segments ---- */
    .code32
start32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $STACK_TOP, %esp
    mov     $msg_prot, %esi
    call    puts32
    cmpl    $0x600d, RESET_MARK
    je      2f
    movl    $0x600d, RESET_MARK
    mov     $RESET_PORT, %dx
    mov     $0x06, %al                  /* bit 2: reset the machine */
    outb    %al, %dx
    mov     $10000000, %ecx             /* time for the reset to come */
1:  pause
    loop    1b
    lidt    null_idtr                   /* no reset port: a triple fault */
    ud2
2:  mov     $msg_reset, %esi
    call    puts32

    /* page tables: PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 2 MiB pages */
    cld
    mov     $PML4, %edi
    xor     %eax, %eax
    mov     $(6 * 4096 / 4), %ecx
    rep stosl
    movl    $(PML4 + 0x1000 + 3), PML4
    mov     $0, %ecx
3:  mov     %ecx, %eax
    shl     $12, %eax
    add     $(PML4 + 0x2000 + 3), %eax
    mov     %eax, (PML4 + 0x1000)(,%ecx,8)
    inc     %ecx
    cmp     $4, %ecx
    jne     3b
    /* 2048 PD entries: entry i maps i * 2 MiB (present, writable, large) */
    mov     $0, %ecx
4:  mov     %ecx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    mov     %eax, (PML4 + 0x2000)(,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jne     4b

    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     $PML4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx           /* EFER */
    rdmsr
    or      $0x100, %eax                /* LME */
    wrmsr
    mov     %cr0, %eax
    or      $0x80000000, %eax           /* PG */
    mov     %eax, %cr0
    ljmpl   $0x18, $start64

puts32:
    mov     $UART, %dx
5:  lodsb
    test    %al, %al
    jz      6f
    outb    %al, %dx
    jmp     5b
6:  ret

/* ---- long mode ---- */
    .code64
start64:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $STACK_TOP, %esp
    lea     msg_long(%rip), %rsi
    call    puts64
    call    setup_idt

    /* what the CPU model (-cpu) lets CPUID say, for the test to check */
    lea     msg_cpuid1(%rip), %rsi
    call    puts64
    mov     $1, %eax
    xor     %ecx, %ecx
    cpuid
    mov     %ecx, %eax
    call    puthex32
    lea     msg_cpuid7(%rip), %rsi
    call    puts64
    mov     $7, %eax
    xor     %ecx, %ecx
    cpuid
    mov     %ebx, %eax
    call    puthex32
    lea     msg_newline(%rip), %rsi
    call    puts64

    /* 4: find the virtio-rng slot; DeviceFeaturesSel picks the half read */
    mov     $VIRTIO_MMIO, %ebx
    mov     $VIRTIO_IRQ_BASE, %edx
1:  cmpl    $0x74726976, (%rbx)         /* "virt" */
    jne     fail4
    cmpl    $2, 4(%rbx)                 /* version 2 */
    jne     fail4
    cmpl    $4, 8(%rbx)                 /* entropy source */
    je      2f
    add     $0x200, %ebx
    inc     %edx
    cmp     $(VIRTIO_MMIO + 8 * 0x200), %ebx
    jne     1b
    jmp     fail4
2:  mov     %rbx, VIRTIO_SLOT
    mov     %edx, VIRTIO_IRQ
    movl    $1, 0x14(%rbx)
    testl   $1, 0x10(%rbx)              /* VIRTIO_F_VERSION_1 is bit 32 */
    jz      fail4
    mov     0x10(%rbx), %eax
    movl    $0, 0x14(%rbx)
    cmp     0x10(%rbx), %eax            /* the low half differs */
    je      fail4
    lea     msg_mmio(%rip), %rsi
    call    puts64

    /* 5: fw_cfg DMA: select item 0 (signature) and read 4 bytes */
    movl    $0, DMA_BUF
    movl    $0x0a000000, DMA_DESC       /* be32 control: select 0, read */
    movl    $0x04000000, DMA_DESC + 4   /* be32 length 4 */
    movl    $0, DMA_DESC + 8            /* be64 address DMA_BUF */
    movl    $0x00210100, DMA_DESC + 12  /* = bswap32(DMA_BUF) */
    mov     $FW_CFG_DMA, %dx
    xor     %eax, %eax
    outl    %eax, %dx                   /* high half: 0 */
    add     $4, %dx
    mov     $0x00200100, %eax           /* bswap32(DMA_DESC) */
    outl    %eax, %dx
    cmpl    $0, DMA_DESC                /* control cleared: done, no error */
    jne     fail5
    cmpl    $0x554d4551, DMA_BUF        /* "QEMU" */
    jne     fail5
    lea     msg_fwcfg(%rip), %rsi
    call    puts64

    /* 6: PIT interrupts through the 8259 to LINT0 (ExtINT) */
    mov     $LAPIC, %ebx
    orl     $0x100, 0xf0(%rbx)          /* SVR: APIC enabled */
    movl    $0x700, 0x350(%rbx)         /* LVT LINT0: ExtINT, unmasked */
    mov     $0x11, %al                  /* ICW1: edge, cascade, ICW4 */
    outb    %al, $0x20
    outb    %al, $0xa0
    mov     $0x20, %al                  /* ICW2: vectors 0x20.. and 0x28.. */
    outb    %al, $0x21
    mov     $0x28, %al
    outb    %al, $0xa1
    mov     $0x04, %al                  /* ICW3 */
    outb    %al, $0x21
    mov     $0x02, %al
    outb    %al, $0xa1
    mov     $0x01, %al                  /* ICW4: 8086 mode */
    outb    %al, $0x21
    outb    %al, $0xa1
    mov     $0xfe, %al                  /* only IRQ 0 */
    outb    %al, $0x21
    mov     $0xff, %al
    outb    %al, $0xa1
    mov     $0x34, %al                  /* channel 0, lo/hi, mode 2 */
    outb    %al, $0x43
    mov     $(11932 & 0xff), %al        /* ~100 Hz */
    outb    %al, $0x40
    mov     $(11932 >> 8), %al
    outb    %al, $0x40
    movl    $0, TICKS
    sti
7:  hlt
    cmpl    $3, TICKS
    jb      7b
    cli
    lea     msg_pit(%rip), %rsi
    call    puts64

    /* 7: a virtio-rng request: driver set-up (virtio 1.2 3.1.1), queue 0 */
    mov     VIRTIO_SLOT, %rbx
    cld
    mov     $VQ_DESC, %edi
    xor     %eax, %eax
    mov     $0x400, %ecx
    rep stosb                           /* rings and buffer zeroed */
    movl    $0, 0x70(%rbx)              /* Status: reset */
    movl    $3, 0x70(%rbx)              /* ACKNOWLEDGE | DRIVER */
    movl    $1, 0x24(%rbx)              /* DriverFeatures, high half: VERSION_1 */
    movl    $1, 0x20(%rbx)
    movl    $0, 0x24(%rbx)              /* low half: nothing */
    movl    $0, 0x20(%rbx)
    movl    $0xb, 0x70(%rbx)            /* | FEATURES_OK */
    testl   $8, 0x70(%rbx)
    jz      fail7
    movl    $0, 0x30(%rbx)              /* QueueSel 0 */
    cmpl    $4, 0x34(%rbx)              /* QueueNumMax >= 4 */
    jb      fail7
    movl    $4, 0x38(%rbx)              /* QueueNum */
    movl    $VQ_DESC, 0x80(%rbx)
    movl    $0, 0x84(%rbx)
    movl    $VQ_AVAIL, 0x90(%rbx)
    movl    $0, 0x94(%rbx)
    movl    $VQ_USED, 0xa0(%rbx)
    movl    $0, 0xa4(%rbx)
    movl    $1, 0x44(%rbx)              /* QueueReady */
    movl    $0xf, 0x70(%rbx)            /* | DRIVER_OK */
    movq    $VQ_BUF, VQ_DESC            /* descriptor 0: 16 device-writable bytes */
    movl    $16, VQ_DESC + 8
    movw    $2, VQ_DESC + 12            /* VIRTQ_DESC_F_WRITE */
    movw    $0, VQ_AVAIL + 4            /* avail ring[0] = descriptor 0 */
    movw    $1, VQ_AVAIL + 2            /* avail idx = 1 */

    /* its line through the 8259 (vector 0x20 + IRQ), the PIT as a time-out */
    mov     VIRTIO_IRQ, %ecx
    lea     virtio_isr(%rip), %rax
    mov     %ecx, %edi
    shl     $4, %edi
    add     $(IDT + 0x20 * 16), %edi
    call    set_gate
    mov     VIRTIO_IRQ, %ecx
    mov     $0xfffe, %eax               /* IRQ 0 stays open */
    btr     %ecx, %eax
    cmp     $8, %ecx
    jb      3f
    btr     $2, %eax                    /* the slave's cascade */
3:  outb    %al, $0x21
    mov     %ah, %al
    outb    %al, $0xa1
    movl    $0, VIRTIO_ISR
    movl    $0, TICKS
    movl    $0, 0x50(%rbx)              /* QueueNotify: queue 0 */
    sti
4:  hlt                                 /* until the interrupt: the used */
    testl   $1, VIRTIO_ISR              /* idx can be seen before it comes */
    jnz     5f
    cmpl    $300, TICKS                 /* 3 s */
    jb      4b
5:  cli
    mov     $0xff, %al                  /* mask the PIC again */
    outb    %al, $0x21
    outb    %al, $0xa1
    cmpw    $1, VQ_USED + 2
    jne     fail7
    cmpl    $0, VQ_USED + 4             /* used ring[0]: descriptor 0 */
    jne     fail7
    cmpl    $16, VQ_USED + 8            /* 16 bytes written */
    jne     fail7
    testl   $1, VIRTIO_ISR              /* the interrupt said "used buffer" */
    jz      fail7
    cmpl    $0, 0x60(%rbx)              /* and was acknowledged */
    jne     fail7
    mov     VQ_BUF, %rax
    or      VQ_BUF + 8, %rax
    jz      fail7
    lea     msg_virtio(%rip), %rsi
    call    puts64

    /* 8: the AP, if there is one (-smp 2) */
    mov     $LAPIC, %ebx
    lea     trampoline(%rip), %rsi
    mov     $TRAMPOLINE, %edi
    mov     $(trampoline_end - trampoline), %ecx
    rep movsb
    movl    $0, AP_FLAG
    movl    $0x01000000, 0x310(%rbx)    /* ICR high: APIC id 1 */
    movl    $0x00004500, 0x300(%rbx)    /* INIT, assert */
    call    delay
    movl    $(0x00004600 | (TRAMPOLINE >> 12)), 0x300(%rbx)    /* SIPI */
    mov     $1000000000, %ecx
8:  cmpl    $0x600d, AP_FLAG
    je      9f
    loop    8b
    jmp     fail7
9:  lea     msg_ap(%rip), %rsi
    call    puts64

    mov     $EXIT_OK, %al
    outb    %al, $DEBUG_EXIT
    jmp     halt_forever

fail4:
    mov     $4, %al
    jmp     fail
fail5:
    mov     $5, %al
    jmp     fail
fail7:
    mov     $7, %al
    jmp     fail
fail8:
    mov     $8, %al
fail:
    outb    %al, $DEBUG_EXIT
halt_forever:
    cli
    hlt
    jmp     halt_forever

delay:
    mov     $1000000, %ecx
10: loop    10b
    ret

puts64:
    mov     $UART, %dx
11: lodsb
    test    %al, %al
    jz      12f
    outb    %al, %dx
    jmp     11b
12: ret

/* eax as 8 hex digits on the UART. */
puthex32:
    mov     %eax, %r8d
    mov     $8, %ecx
    mov     $UART, %dx
1:  rol     $4, %r8d
    mov     %r8d, %eax
    and     $0xf, %eax
    cmp     $10, %al
    jb      2f
    add     $('a' - '0' - 10), %al
2:  add     $'0', %al
    outb    %al, %dx
    loop    1b
    ret

/* Every vector to unexpected_isr, vector 0x20 to timer_isr. */
setup_idt:
    lea     unexpected_isr(%rip), %rax
    mov     $IDT, %edi
    mov     $256, %ecx
13: call    set_gate
    add     $16, %edi
    loop    13b
    lea     timer_isr(%rip), %rax
    mov     $(IDT + 0x20 * 16), %edi
    call    set_gate
    lidt    idtr(%rip)
    ret

/* The interrupt gate at rdi to handler rax, code segment 0x18. */
set_gate:
    mov     %ax, (%rdi)
    movw    $0x18, 2(%rdi)
    movw    $0x8e00, 4(%rdi)
    mov     %rax, %rdx
    shr     $16, %rdx
    mov     %dx, 6(%rdi)
    shr     $16, %rdx
    mov     %edx, 8(%rdi)
    movl    $0, 12(%rdi)
    ret

timer_isr:
    push    %rax
    incl    TICKS
    mov     $0x20, %al                  /* EOI to the master 8259 */
    outb    %al, $0x20
    pop     %rax
    iretq

/* The virtio slot's interrupt: InterruptStatus acknowledged, EOI. */
virtio_isr:
    push    %rax
    push    %rbx
    mov     VIRTIO_SLOT, %rbx
    mov     0x60(%rbx), %eax
    or      %eax, VIRTIO_ISR
    mov     %eax, 0x64(%rbx)            /* InterruptACK: the line goes low */
    mov     $0x20, %al
    cmpl    $8, VIRTIO_IRQ
    jb      1f
    outb    %al, $0xa0                  /* EOI to the slave too */
1:  outb    %al, $0x20
    pop     %rbx
    pop     %rax
    iretq

unexpected_isr:
    mov     $EXIT_EXCEPTION, %al
    outb    %al, $DEBUG_EXIT
    jmp     halt_forever

/* ---- the AP's trampoline, copied to TRAMPOLINE (real mode, CS = 0x1000) ---- */
    .code16
trampoline:
    cli
    mov     $(TRAMPOLINE >> 4), %ax     /* DS base = TRAMPOLINE */
    mov     %ax, %ds
    movl    $0x600d, (AP_FLAG - TRAMPOLINE)
14: hlt
    jmp     14b
trampoline_end:

/* ---- data ---- */
    .balign 8
gdt:
    .quad   0                           /* null */
    .quad   0x00cf9a000000ffff          /* 0x08: 32-bit code, flat */
    .quad   0x00cf92000000ffff          /* 0x10: data, flat */
    .quad   0x00af9a000000ffff          /* 0x18: 64-bit code */
gdt_end:
gdtr:
    .word   gdt_end - gdt - 1
    .long   gdt
idtr:
    .word   256 * 16 - 1
    .quad   IDT
null_idtr:
    .word   0
    .long   0

msg_real:   .asciz "real mode\n"
msg_prot:   .asciz "protected mode\n"
msg_reset:  .asciz "reset ok\n"
msg_long:   .asciz "long mode\n"
msg_cpuid1: .asciz "cpuid 1:ecx="
msg_cpuid7: .asciz " 7:ebx="
msg_newline: .asciz "\n"
msg_mmio:   .asciz "mmio ok\n"
msg_fwcfg:  .asciz "fw_cfg ok\n"
msg_pit:    .asciz "pit ok\n"
msg_virtio: .asciz "virtio ok\n"
msg_ap:     .asciz "ap ok\n"

/* ---- the reset vector: 0xfffffff0 ---- */
    .code16
    .org    0xfff0
reset:
    jmp     start16
    .org    0x10000
