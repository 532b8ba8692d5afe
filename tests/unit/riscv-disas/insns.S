/*
 * Every RV64GC, Zba, Zbb and Zbs instruction, with the operand values that
 * pick objdump's aliases, for tests/unit/test-riscv-disas.c: the test
 * disassembles this object with objdump and with riscv_disas() and
 * compares the two line by line. Nothing runs it.
 *
 * The 32-bit block is assembled with compression off so every base
 * instruction keeps its own encoding; the compressed block spells each
 * c.* instruction out. Relaxation is off so branch offsets are final in
 * the object.
 */
    .option norelax
    .text
    .globl insns_rv64i
insns_rv64i:
    .option norvc
    /* ---- RV64I ---- */
    lui     a0, 0x12345
    lui     t6, 0xfffff
    auipc   ra, 0
    auipc   s11, 0x80000
1:  jal     zero, 1b
    jal     ra, 2f
    jal     t0, 1b
2:  jalr    zero, 0(ra)
    jalr    zero, 0(a5)
    jalr    ra, 0(a5)
    jalr    t1, 0(t3)
    jalr    a0, -8(a1)
    jalr    zero, 4(ra)
    jalr    ra, -4(a5)
    beq     a0, zero, 1b
    beq     a0, a1, 2b
    bne     a2, zero, 3f
    bne     a2, a3, 3f
    blt     a4, zero, 3f
    blt     zero, a4, 3f
    blt     a4, a5, 3f
    bge     s0, zero, 3f
    bge     zero, s0, 3f
    bge     s0, s1, 3f
    bltu    t0, t1, 3f
    bgeu    t2, t3, 3f
3:  lb      a0, -2048(sp)
    lh      a1, 2047(gp)
    lw      a2, 0(tp)
    ld      a3, 8(t0)
    lbu     a4, -1(t1)
    lhu     a5, 2(t2)
    lwu     a6, 4(s0)
    sb      a7, -3(s1)
    sh      s2, 6(a0)
    sw      s3, -2048(a1)
    sd      s4, 2040(sp)
    addi    zero, zero, 0
    addi    s5, zero, -5
    addi    s6, s7, 0
    addi    s8, s9, 123
    addi    zero, a0, 1
    slti    s10, s11, -1
    sltiu   t3, t4, 1
    sltiu   t5, t6, 2047
    xori    a0, a1, -1
    xori    a0, a1, 0x55
    ori     a2, a3, 0x7ff
    andi    a4, a5, 255
    andi    a4, a5, -256
    slli    a0, a1, 0
    slli    a0, a1, 63
    srli    a2, a3, 32
    srai    a4, a5, 1
    add     a0, a1, a2
    sub     a3, zero, a4
    sub     a3, a4, a5
    sll     t0, t1, t2
    slt     s0, s1, zero
    slt     s0, zero, s1
    slt     s0, s1, s2
    sltu    s3, zero, s4
    sltu    s3, s4, s5
    xor     a0, a1, a2
    srl     a3, a4, a5
    sra     a6, a7, s2
    or      s3, s4, s5
    and     s6, s7, s8
    addiw   a0, a1, 0
    addiw   a0, a1, -7
    slliw   a2, a3, 31
    srliw   a4, a5, 0
    sraiw   a6, a7, 17
    addw    a0, a1, a2
    subw    a3, zero, a4
    subw    a3, a4, a5
    sllw    t0, t1, t2
    srlw    t3, t4, t5
    sraw    t6, s0, s1
    fence
    fence   rw, w
    fence   i, o
    fence   iorw, r
    fence.tso
    ecall
    ebreak
    unimp
    /* ---- Zifencei ---- */
    fence.i
    /* ---- Zicsr and objdump's CSR aliases ---- */
    csrrw   zero, fflags, a0
    csrrw   a1, fflags, a0
    csrrw   zero, frm, a2
    csrrw   a3, frm, a2
    csrrw   zero, fcsr, a4
    csrrw   a5, fcsr, a4
    csrrw   zero, 0x7c0, t0
    csrrw   t1, 0x7c0, t0
    csrrs   a0, fflags, zero
    csrrs   a0, frm, zero
    csrrs   a0, fcsr, zero
    csrrs   a0, cycle, zero
    csrrs   a0, time, zero
    csrrs   a0, instret, zero
    csrrs   a0, 0x7c1, zero
    csrrs   zero, 0x7c1, a1
    csrrs   a2, 0x7c1, a1
    csrrc   zero, 0x7c2, a3
    csrrc   a4, 0x7c2, a3
    csrrwi  zero, fflags, 3
    csrrwi  a0, fflags, 3
    csrrwi  zero, frm, 1
    csrrwi  a0, frm, 1
    csrrwi  zero, 0x7c3, 31
    csrrwi  a1, 0x7c3, 31
    csrrsi  zero, 0x7c4, 5
    csrrsi  a2, 0x7c4, 5
    csrrci  zero, 0x7c5, 7
    csrrci  a3, 0x7c5, 7
    /* ---- M ---- */
    mul     a0, a1, a2
    mulh    a3, a4, a5
    mulhsu  a6, a7, s2
    mulhu   s3, s4, s5
    div     s6, s7, s8
    divu    s9, s10, s11
    rem     t0, t1, t2
    remu    t3, t4, t5
    mulw    a0, a1, a2
    divw    a3, a4, a5
    divuw   a6, a7, s2
    remw    s3, s4, s5
    remuw   s6, s7, s8
    /* ---- A ---- */
    lr.w        a0, (a1)
    lr.w.aq     a0, (a1)
    lr.w.rl     a0, (a1)
    lr.w.aqrl   a0, (a1)
    sc.w        a2, a3, (a4)
    sc.w.aq     a2, a3, (a4)
    amoswap.w   a0, a1, (a2)
    amoadd.w.rl a0, a1, (a2)
    amoxor.w    a0, a1, (a2)
    amoand.w.aqrl a0, a1, (a2)
    amoor.w     a0, a1, (a2)
    amomin.w    a0, a1, (a2)
    amomax.w    a0, a1, (a2)
    amominu.w   a0, a1, (a2)
    amomaxu.w   a0, a1, (a2)
    lr.d        t0, (t1)
    lr.d.aqrl   t0, (t1)
    sc.d        t2, t3, (t4)
    sc.d.rl     t2, t3, (t4)
    amoswap.d.aq a0, a1, (a2)
    amoadd.d    a0, a1, (a2)
    amoxor.d    a0, a1, (a2)
    amoand.d    a0, a1, (a2)
    amoor.d     a0, a1, (a2)
    amomin.d    a0, a1, (a2)
    amomax.d    a0, a1, (a2)
    amominu.d   a0, a1, (a2)
    amomaxu.d   a0, a1, (a2)
    /* ---- F ---- */
    flw     fa0, -4(a0)
    fsw     fa1, 2044(sp)
    fmadd.s ft0, ft1, ft2, ft3
    fmadd.s ft0, ft1, ft2, ft3, rtz
    fmsub.s fs0, fs1, fs2, fs3
    fnmsub.s fa0, fa1, fa2, fa3, rne
    fnmadd.s ft8, ft9, ft10, ft11
    fadd.s  fa0, fa1, fa2
    fadd.s  fa0, fa1, fa2, rdn
    fsub.s  fa0, fa1, fa2, rup
    fmul.s  fa0, fa1, fa2, rmm
    fdiv.s  fa0, fa1, fa2
    fsqrt.s fa0, fa1
    fsgnj.s fa0, fa1, fa2
    fsgnj.s fa0, fa1, fa1
    fsgnjn.s fa0, fa1, fa2
    fsgnjn.s fa0, fa1, fa1
    fsgnjx.s fa0, fa1, fa2
    fsgnjx.s fa0, fa1, fa1
    fmin.s  fa0, fa1, fa2
    fmax.s  fa0, fa1, fa2
    fcvt.w.s a0, fa1
    fcvt.w.s a0, fa1, rtz
    fcvt.wu.s a0, fa1
    fcvt.l.s a0, fa1
    fcvt.lu.s a0, fa1, rtz
    fcvt.s.w fa0, a1
    fcvt.s.wu fa0, a1
    fcvt.s.l fa0, a1
    fcvt.s.lu fa0, a1, rne
    fmv.x.w a0, fa1
    fmv.w.x fa0, a1
    feq.s   a0, fa1, fa2
    flt.s   a0, fa1, fa2
    fle.s   a0, fa1, fa2
    fclass.s a0, fa1
    /* ---- D ---- */
    fld     fa0, -8(a0)
    fsd     fa1, 2040(sp)
    fmadd.d ft0, ft1, ft2, ft3
    fmsub.d fs0, fs1, fs2, fs3, rup
    fnmsub.d fa0, fa1, fa2, fa3
    fnmadd.d ft8, ft9, ft10, ft11
    fadd.d  fa0, fa1, fa2
    fsub.d  fa0, fa1, fa2
    fmul.d  fa0, fa1, fa2
    fdiv.d  fa0, fa1, fa2, rtz
    fsqrt.d fa0, fa1
    fsgnj.d fa0, fa1, fa2
    fsgnj.d fa0, fa1, fa1
    fsgnjn.d fa0, fa1, fa2
    fsgnjn.d fa0, fa1, fa1
    fsgnjx.d fa0, fa1, fa2
    fsgnjx.d fa0, fa1, fa1
    fmin.d  fa0, fa1, fa2
    fmax.d  fa0, fa1, fa2
    fcvt.s.d fa0, fa1
    fcvt.d.s fa0, fa1
    fcvt.w.d a0, fa1, rtz
    fcvt.wu.d a0, fa1
    fcvt.l.d a0, fa1
    fcvt.lu.d a0, fa1
    fcvt.d.w fa0, a1
    fcvt.d.wu fa0, a1
    fcvt.d.l fa0, a1
    fcvt.d.lu fa0, a1
    fmv.x.d a0, fa1
    fmv.d.x fa0, a1
    feq.d   a0, fa1, fa2
    flt.d   a0, fa1, fa2
    fle.d   a0, fa1, fa2
    fclass.d a0, fa1
    /* ---- Zba ---- */
    add.uw  a0, a1, a2
    add.uw  a0, a1, zero
    sh1add  a0, a1, a2
    sh2add  a3, a4, a5
    sh3add  a6, a7, s2
    sh1add.uw a0, a1, a2
    sh2add.uw a3, a4, a5
    sh3add.uw a6, a7, s2
    slli.uw a0, a1, 0
    slli.uw a0, a1, 63
    /* ---- Zbb ---- */
    andn    a0, a1, a2
    orn     a0, a1, a2
    xnor    a0, a1, a2
    clz     a0, a1
    clzw    a0, a1
    ctz     a0, a1
    ctzw    a0, a1
    cpop    a0, a1
    cpopw   a0, a1
    max     a0, a1, a2
    maxu    a0, a1, a2
    min     a0, a1, a2
    minu    a0, a1, a2
    sext.b  a0, a1
    sext.h  a0, a1
    zext.h  a0, a1
    rol     a0, a1, a2
    rolw    a0, a1, a2
    ror     a0, a1, a2
    rorw    a0, a1, a2
    rori    a0, a1, 0
    rori    a0, a1, 63
    roriw   a0, a1, 31
    orc.b   a0, a1
    rev8    a0, a1
    /* ---- Zbs ---- */
    bclr    a0, a1, a2
    bclri   a0, a1, 63
    bext    a0, a1, a2
    bexti   a0, a1, 0
    binv    a0, a1, a2
    binvi   a0, a1, 31
    bset    a0, a1, a2
    bseti   a0, a1, 32

    /* ---- C: every compressed instruction, then the HINTs ---- */
    .option rvc
4:  c.addi4spn a0, sp, 4
    c.addi4spn s0, sp, 1020
    c.fld   fa5, 248(a5)
    c.lw    a1, 0(a2)
    c.lw    s1, 124(a3)
    c.ld    a4, 248(a5)
    c.fsd   fs0, 0(s1)
    c.sw    a1, 64(a2)
    c.sd    a4, 8(a5)
    c.nop
    c.addi  a0, 1
    c.addi  sp, -32
    c.addiw a1, -1
    c.addiw a1, 0
    c.li    a2, 31
    c.li    t6, -32
    c.addi16sp sp, -512
    c.addi16sp sp, 496
    c.lui   a3, 1
    c.lui   a4, 0xfffe0
    c.lui   t0, 31
    c.srli  s0, 1
    c.srli  a5, 63
    c.srai  s1, 32
    c.andi  a0, -32
    c.andi  a1, 31
    c.sub   s0, s1
    c.xor   a2, a3
    c.or    a4, a5
    c.and   s0, a0
    c.subw  a1, a2
    c.addw  a3, a4
    c.j     4b
    c.j     5f
    c.beqz  a0, 4b
    c.bnez  s1, 5f
    c.slli  a0, 1
    c.slli  t6, 63
    c.fldsp ft0, 8(sp)
    c.lwsp  ra, 0(sp)
    c.lwsp  s0, 252(sp)
    c.ldsp  t0, 504(sp)
    c.jr    ra
    c.jr    a5
    c.mv    a0, a1
    c.ebreak
    c.jalr  ra
    c.jalr  t0
    c.add   a0, a1
    c.add   sp, t6
    c.fsdsp fs11, 504(sp)
    c.swsp  ra, 252(sp)
    c.sdsp  s0, 0(sp)
5:  /* HINTs: objdump names them as c.* */
    .insn   2, 0x0005          /* c.nop 1 */
    .insn   2, 0x1001          /* c.nop -32 */
    .insn   2, 0x0101          /* c.addi sp, 0 */
    .insn   2, 0x4001          /* c.li zero, 0 */
    .insn   2, 0x507d          /* c.li zero, -1 */
    .insn   2, 0x6005          /* c.lui zero, 1 */
    .insn   2, 0x8001          /* c.srli64 s0 */
    .insn   2, 0x8401          /* c.srai64 s0 */
    .insn   2, 0x0002          /* c.slli64 zero */
    .insn   2, 0x0502          /* c.slli64 a0 */
    .insn   2, 0x1002          /* c.slli zero, 32 */
    .insn   2, 0x8006          /* c.mv zero, ra */
    .insn   2, 0x0000          /* defined illegal */
    .insn   2, 0x907e          /* c.add zero, t6 */
