/*
 * linuxboot: the option ROM that boots -kernel/-initrd/-append under
 * firmware (-M microvm -bios), in 16-bit real mode, for GNU as.
 *
 * hw/i386/optionrom holds the x86 option ROMs the boards hand to their
 * firmware as fw_cfg files "genroms/NAME": each is assembled and linked
 * at build time and linked into proteus as a C array (meson.build here,
 * scripts/optionrom.py), so no data file has to be found at run time.
 *
 * The board puts the kernel into fw_cfg already prepared
 * (x86_boot_add_fw_cfg, hw/i386/x86-boot.c): for each of the setup
 * sectors, the protected-mode kernel, the initrd and the command line an
 * item with its load address, one with its size and one with its bytes.
 * This ROM copies each to its address with fw_cfg DMA (QEMU's
 * docs/specs/fw_cfg.rst: a big-endian descriptor whose physical address
 * is written to ports 0x514/0x518; the device writes guest memory itself,
 * so no mode switch is needed to reach above 1 MiB), then enters the
 * real-mode setup code as the Linux boot protocol says (boot.rst,
 * "Running the kernel"): interrupts off, DS = ES = FS = GS = SS = the
 * setup segment, SP at the heap's end, a far jump to segment + 0x20,
 * offset 0.
 *
 * The ROM header (PnP BIOS specification 1.0A, 3.1 and 3.2): 0x55 0xaa,
 * the length in 512-byte blocks, the initialization entry at offset 3, the
 * PnP expansion header at the offset stored at 0x1a, whose bootstrap
 * entry vector (BEV) makes the firmware list the ROM as a boot device and
 * far-call it to boot ("Booting from ROM..." in SeaBIOS). The length byte
 * and both checksums are filled in by scripts/optionrom.py. If a transfer
 * fails, the ROM says so through int 0x10 and returns to the firmware,
 * which goes on to its next boot device.
 */

    .code16
    .text

    .equ FW_CFG_DMA_HIGH,       0x514       /* big-endian address, bits 63:32 */
    .equ FW_CFG_DMA_LOW,        0x518       /* bits 31:0; writing it starts */
    .equ DMA_CTL_ERROR,         0x01
    .equ DMA_CTL_READ,          0x02
    .equ DMA_CTL_SELECT,        0x08

    /* fw_cfg items (hw/nvram/fw_cfg.h); each size key is its address
     * key + 1 */
    .equ FW_CFG_KERNEL_ADDR,    0x07
    .equ FW_CFG_INITRD_ADDR,    0x0a
    .equ FW_CFG_KERNEL_DATA,    0x11
    .equ FW_CFG_INITRD_DATA,    0x12
    .equ FW_CFG_CMDLINE_ADDR,   0x13
    .equ FW_CFG_CMDLINE_DATA,   0x15
    .equ FW_CFG_SETUP_ADDR,     0x16
    .equ FW_CFG_SETUP_DATA,     0x18

    /* the setup header (boot.rst): heap_end_ptr is the heap's end
     * less 0x200 */
    .equ HEAP_END_PTR,          0x224
    .equ HEAP_END_BIAS,         0x200
    .equ SETUP_CODE_PARAS,      0x20        /* the code after the boot sector */

    .globl rom_start
rom_start:
    .byte 0x55, 0xaa
    .byte 0                         /* length in 512-byte blocks */
    jmp init                        /* offset 3: initialization entry */

    .org 0x18
    .word 0                         /* no PCI data structure */
    .word pnp_header                /* the expansion header */

    .balign 16
pnp_header:
    .ascii "$PnP"
    .byte 0x01                      /* structure revision */
    .byte 2                         /* length: 32 bytes, in 16-byte units */
    .word 0                         /* no next header */
    .byte 0                         /* reserved */
    .byte 0                         /* checksum of these 32 bytes */
    .long 0                         /* device identifier: none */
    .word manufacturer
    .word product
    .byte 0, 0, 0                   /* device type: none (no hardware) */
    .byte 0x44                      /* may be shadowed; an IPL device */
    .word 0                         /* no boot connection vector */
    .word 0                         /* no disconnect vector */
    .word boot                      /* bootstrap entry vector */
    .word 0                         /* reserved */
    .word 0                         /* no static resource information */

manufacturer:
    .asciz "Proteus"
product:
    .asciz "Linux kernel (fw_cfg)"
failed:
    .asciz "linuxboot: reading the kernel from fw_cfg failed\r\n"

/* The parts to load: their address keys (size key: + 1) and data keys. */
parts:
    .word FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_DATA
    .word FW_CFG_INITRD_ADDR, FW_CFG_INITRD_DATA
    .word FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_DATA
    .word FW_CFG_SETUP_ADDR, FW_CFG_SETUP_DATA
parts_end:

/* Nothing to set up before booting. */
init:
    lret

/* %edx = the linear address of %ss:%bp. */
ss_bp_linear:
    movzwl %bp, %ebp
    movw %ss, %dx
    movzwl %dx, %edx
    shll $4, %edx
    addl %ebp, %edx
    ret

/* Reads %ecx bytes of fw_cfg item %ax to linear address %edi by DMA, with
 * the descriptor on the stack; CF set if the device reports an error.
 * Clobbers %eax, %edx. */
fw_cfg_dma:
    pushw %bp
    subw $16, %sp
    movw %sp, %bp
    movzwl %ax, %eax
    shll $16, %eax                  /* control: the key in bits 31:16 */
    orl $(DMA_CTL_SELECT | DMA_CTL_READ), %eax
    bswapl %eax
    movl %eax, 0(%bp)
    movl %ecx, %eax                 /* length */
    bswapl %eax
    movl %eax, 4(%bp)
    movl $0, 8(%bp)                 /* address, bits 63:32 */
    movl %edi, %eax                 /* bits 31:0 */
    bswapl %eax
    movl %eax, 12(%bp)
    call ss_bp_linear               /* the descriptor's address */
    movl %edx, %eax
    bswapl %eax
    pushl %eax
    movw $FW_CFG_DMA_HIGH, %dx
    xorl %eax, %eax
    outl %eax, %dx
    popl %eax
    movw $FW_CFG_DMA_LOW, %dx
    outl %eax, %dx
1:  movl 0(%bp), %eax               /* control: 0 when done */
    bswapl %eax
    testl $DMA_CTL_ERROR, %eax
    jnz 2f
    testl %eax, %eax
    jnz 1b
    jmp 3f                          /* test cleared CF */
2:  stc
3:  leaw 16(%bp), %sp               /* lea keeps CF */
    popw %bp
    ret

/* %eax = the 32-bit little-endian item %ax; CF set on an error. */
fw_cfg_read32:
    pushw %bp
    pushl %ecx
    pushl %edi
    pushl %edx
    subw $4, %sp
    movw %sp, %bp
    call ss_bp_linear
    movl %edx, %edi
    movl $4, %ecx
    call fw_cfg_dma
    movl 0(%bp), %eax
    leaw 4(%bp), %sp
    popl %edx
    popl %edi
    popl %ecx
    popw %bp
    ret

/* Loads the part whose keys %cs:%si points to; CF set on an error. */
load_part:
    movw %cs:0(%si), %ax
    call fw_cfg_read32
    jc 1f
    movl %eax, %edi                 /* where */
    movw %cs:0(%si), %ax
    incw %ax
    call fw_cfg_read32
    jc 1f
    movl %eax, %ecx                 /* how much */
    testl %ecx, %ecx                /* nothing (no initrd): done, CF clear */
    jz 1f
    movw %cs:2(%si), %ax
    call fw_cfg_dma
1:  ret

/* The bootstrap entry: the firmware boots from this ROM. */
boot:
    movw $parts, %si
1:  call load_part
    jc fail
    addw $4, %si
    cmpw $parts_end, %si
    jne 1b
    movw $FW_CFG_SETUP_ADDR, %ax
    call fw_cfg_read32
    jc fail
    shrl $4, %eax                   /* the setup segment */
    cli
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movw HEAP_END_PTR, %sp
    addw $HEAP_END_BIAS, %sp
    addw $SETUP_CODE_PARAS, %ax
    pushw %ax
    pushw $0
    lret

fail:
    movw $failed, %si
1:  movb %cs:(%si), %al
    testb %al, %al
    jz 2f
    movb $0x0e, %ah                 /* teletype output */
    xorw %bx, %bx
    int $0x10
    incw %si
    jmp 1b
2:  lret
