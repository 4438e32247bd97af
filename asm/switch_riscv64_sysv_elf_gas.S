/*
 * actors_switch_stack -- riscv64, LP64D psABI, ELF, GNU assembler.
 *
 *   int actors_switch_stack(void *(*save)(void *sp, void *arg),   a0
 *                           void  (*restore)(void *arg),           a1
 *                           void  *arg);                           a2
 *
 * Stores the callee-saved state of the running context in a frame on its
 * own stack, calls save(sp, arg) with the address of that frame and goes on
 * with the stack pointer that save returns.  There it calls restore(arg),
 * which copies the target's heap-saved stack slice back to [sp, ...)
 * (restore runs *below* the new sp, so it never overwrites its own frame),
 * and loads the target's registers from the frame it finds at sp.  save
 * returning NULL means "no switch": the stub reloads what it stored and
 * returns -1.  A switched-to context returns 0 from the call that once
 * suspended it.  For a context that has never run, restore does not
 * return: it runs the new context to its end.
 *
 * LP64D callee-saved state: s0-s11 (s0 is also the frame pointer),
 * fs0-fs11 (the hard-float double ABI), plus ra, our return address.
 * fcsr is "thread storage duration" in the psABI, i.e. not preserved by
 * calls; the stub still keeps the rounding-mode field frm per context, the
 * way the other stubs keep MXCSR / FPCR, so that fesetround() in one
 * context does not leak into another.  The sticky exception flags (fflags)
 * stay with the thread.  tp (thread pointer) and gp (global pointer) are
 * the same for every context of a thread and are not touched.
 *
 * Saved frame, lowest address first (sp handed to save points at +0):
 *
 *   +0    fs0          +8    fs1          +16   fs2          +24   fs3
 *   +32   fs4          +40   fs5          +48   fs6          +56   fs7
 *   +64   fs8          +72   fs9          +80   fs10         +88   fs11
 *   +96   s1           +104  s2           +112  s3           +120  s4
 *   +128  s5           +136  s6           +144  s7           +152  s8
 *   +160  s9           +168  s10          +176  s11
 *   +184  frm (rounding mode)
 *   +192  s0 (frame pointer)
 *   +200  ra (return address)
 *   +208  (the caller's stack pointer)
 *
 * The frame is 208 = 13 * 16 bytes: sp stays 16-byte aligned, as the
 * psABI requires.
 */
#if !defined(__riscv) || __riscv_xlen != 64 || !defined(__riscv_float_abi_double)
#error "this stub is for riscv64 with the lp64d ABI"
#endif
        .text
        .globl  actors_switch_stack
        .hidden actors_switch_stack
        .type   actors_switch_stack, @function
        .p2align 2
actors_switch_stack:
        .cfi_startproc
        addi    sp, sp, -208            /* open the frame                    */
        .cfi_def_cfa_offset 208
        sd      ra, 200(sp)             /* return address                    */
        .cfi_offset ra, -8
        sd      s0, 192(sp)             /* callee-saved integer registers    */
        .cfi_offset s0, -16
        sd      s1, 96(sp)
        .cfi_offset s1, -112
        sd      s2, 104(sp)
        .cfi_offset s2, -104
        sd      s3, 112(sp)
        .cfi_offset s3, -96
        sd      s4, 120(sp)
        .cfi_offset s4, -88
        sd      s5, 128(sp)
        .cfi_offset s5, -80
        sd      s6, 136(sp)
        .cfi_offset s6, -72
        sd      s7, 144(sp)
        .cfi_offset s7, -64
        sd      s8, 152(sp)
        .cfi_offset s8, -56
        sd      s9, 160(sp)
        .cfi_offset s9, -48
        sd      s10, 168(sp)
        .cfi_offset s10, -40
        sd      s11, 176(sp)
        .cfi_offset s11, -32
        fsd     fs0, 0(sp)              /* callee-saved FP registers         */
        .cfi_offset fs0, -208
        fsd     fs1, 8(sp)
        .cfi_offset fs1, -200
        fsd     fs2, 16(sp)
        .cfi_offset fs2, -192
        fsd     fs3, 24(sp)
        .cfi_offset fs3, -184
        fsd     fs4, 32(sp)
        .cfi_offset fs4, -176
        fsd     fs5, 40(sp)
        .cfi_offset fs5, -168
        fsd     fs6, 48(sp)
        .cfi_offset fs6, -160
        fsd     fs7, 56(sp)
        .cfi_offset fs7, -152
        fsd     fs8, 64(sp)
        .cfi_offset fs8, -144
        fsd     fs9, 72(sp)
        .cfi_offset fs9, -136
        fsd     fs10, 80(sp)
        .cfi_offset fs10, -128
        fsd     fs11, 88(sp)
        .cfi_offset fs11, -120
        frrm    t0                      /* FP rounding mode ...              */
        sd      t0, 184(sp)             /* ... into the frame                */
        mv      s1, a1                  /* keep restore across the save call */
        mv      s2, a2                  /* keep arg across the save call     */
        mv      t1, a0                  /* save callback                     */
        mv      a0, sp                  /* arg 1: our stack pointer          */
        mv      a1, s2                  /* arg 2: arg                        */
        jalr    t1                      /* a0 = stack pointer to continue on */
        beqz    a0, 1f                  /* NULL: save refused the switch     */
        mv      sp, a0                  /* from here on: the target's stack  */
        mv      a0, s2                  /* arg 1: arg                        */
        jalr    s1                      /* copy the target's slice back      */
        ld      t0, 184(sp)             /* target's rounding mode ...        */
        fsrm    t0                      /* ... back in place                 */
        li      a0, 0                   /* return 0: resumed                 */
        j       2f
1:      li      a0, -1                  /* return -1: nothing switched       */
2:      fld     fs0, 0(sp)              /* the (target's) callee-saved regs  */
        fld     fs1, 8(sp)
        fld     fs2, 16(sp)
        fld     fs3, 24(sp)
        fld     fs4, 32(sp)
        fld     fs5, 40(sp)
        fld     fs6, 48(sp)
        fld     fs7, 56(sp)
        fld     fs8, 64(sp)
        fld     fs9, 72(sp)
        fld     fs10, 80(sp)
        fld     fs11, 88(sp)
        ld      s1, 96(sp)
        ld      s2, 104(sp)
        ld      s3, 112(sp)
        ld      s4, 120(sp)
        ld      s5, 128(sp)
        ld      s6, 136(sp)
        ld      s7, 144(sp)
        ld      s8, 152(sp)
        ld      s9, 160(sp)
        ld      s10, 168(sp)
        ld      s11, 176(sp)
        ld      s0, 192(sp)             /* frame pointer                     */
        ld      ra, 200(sp)             /* return address                    */
        addi    sp, sp, 208             /* drop the frame                    */
        .cfi_def_cfa_offset 0
        ret                             /* into the (target's) caller        */
        .cfi_endproc
        .size   actors_switch_stack, .-actors_switch_stack

        .section .note.GNU-stack,"",@progbits
