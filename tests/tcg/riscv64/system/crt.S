/*
 * Start file of the bare-metal guest tests for the riscv64 virt board
 * (-bios none): every hart gets a 16 KiB stack, M-mode and S-mode trap
 * vectors that save all registers and call C, and then hart 0 runs main()
 * while the others run secondary_main(). goto_mode()/mode_return() leave
 * M-mode for a function in S- or U-mode and come back to the caller.
 */
#define FRAME   (32 * 8)
#define STACK_SHIFT 14
#define MAX_HARTS 4

    .section .text.start
    .globl _start
_start:
    csrr    a0, mhartid
    li      t0, MAX_HARTS
    bgeu    a0, t0, park
    /* sp = stacks + (hartid + 1) * 16 KiB */
    la      sp, stacks
    addi    t0, a0, 1
    slli    t0, t0, STACK_SHIFT
    add     sp, sp, t0
    la      t0, m_trap_entry
    csrw    mtvec, t0
    la      t0, s_trap_entry
    csrw    stvec, t0
    /* PMP: the whole address space to S and U, so they can run at all */
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f                /* NAPOT, RWX */
    csrw    pmpcfg0, t0
    bnez    a0, 1f
    call    main
    tail    test_exit
1:  call    secondary_main
park:
    wfi
    j       park

/* Saves x1..x31 in a frame on the current stack; a0 = the frame. */
.macro save_frame
    addi    sp, sp, -FRAME
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd      x\n, \n*8(sp)
    .endr
    addi    t0, sp, FRAME
    sd      t0, 2*8(sp)
    mv      a0, sp
.endm

.macro restore_frame
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld      x\n, \n*8(sp)
    .endr
    addi    sp, sp, FRAME
.endm

    .balign 4
m_trap_entry:
    save_frame
    call    m_trap
    restore_frame
    mret

    .balign 4
s_trap_entry:
    save_frame
    call    s_trap
    restore_frame
    sret

/*
 * uint64_t goto_mode(unsigned mode, void (*fn)(void)): runs fn in the given
 * privilege mode (0 = U, 1 = S) on this stack; it ends with mode_return(v)
 * (an ECALL that M-mode's trap handler turns into a return of v here).
 */
    .globl goto_mode
goto_mode:
    la      t0, saved_ctx
    sd      ra, 0(t0)
    sd      sp, 8(t0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    sd      s\n, (16 + \n*8)(t0)
    .endr
    li      t0, 3 << 11             /* MPP = mode */
    csrc    mstatus, t0
    slli    a0, a0, 11
    csrs    mstatus, a0
    csrw    mepc, a1
    addi    sp, sp, -64             /* room between M's frame and fn's */
    mret

/* void resume_m(uint64_t v): M-mode only; back into goto_mode's caller. */
    .globl resume_m
resume_m:
    la      t0, saved_ctx
    ld      ra, 0(t0)
    ld      sp, 8(t0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    ld      s\n, (16 + \n*8)(t0)
    .endr
    ret

    .section .bss
    .balign 16
saved_ctx:
    .space 16 + 12 * 8
    .balign 4096
    .globl stacks
stacks:
    .space MAX_HARTS << STACK_SHIFT
