/*
 * actors_switch_stack -- arm64 (AArch64), AAPCS64, ELF, GNU assembler.
 *
 *   int actors_switch_stack(void *(*save)(void *sp, void *arg),   x0
 *                           void  (*restore)(void *arg),           x1
 *                           void  *arg);                           x2
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
 * AAPCS64 callee-saved state: x19-x28, the frame pointer x29, the link
 * register x30 (our return address), the low 64 bits of v8-v15 (d8-d15),
 * and the control fields of FPCR (rounding mode, flush-to-zero, default
 * NaN, trap enables).  FPSR (the sticky exception flags) is status, not
 * control, and stays with the thread.  x18 is the platform register and is
 * left alone.
 *
 * Saved frame, lowest address first (sp handed to save points at +0):
 *
 *   +0    x29  (frame pointer)   \ a frame record: x29 points here while
 *   +8    x30  (return address)  / the stub runs on the original stack
 *   +16   x19          +24  x20
 *   +32   x21          +40  x22
 *   +48   x23          +56  x24
 *   +64   x25          +72  x26
 *   +80   x27          +88  x28
 *   +96   d8           +104 d9
 *   +112  d10          +120 d11
 *   +128  d12          +136 d13
 *   +144  d14          +152 d15
 *   +160  fpcr         +168 padding
 *   +176  (the caller's stack pointer)
 *
 * The frame is 176 = 11 * 16 bytes, so sp stays 16-byte aligned as
 * AAPCS64 requires whenever sp is used to access memory.
 */
        .text
        .globl  actors_switch_stack
        .hidden actors_switch_stack
        .type   actors_switch_stack, %function
        .p2align 4
actors_switch_stack:
        .cfi_startproc
        stp     x29, x30, [sp, #-176]!  /* open the frame, store fp and lr   */
        .cfi_def_cfa_offset 176
        .cfi_offset x29, -176
        .cfi_offset x30, -168
        mov     x29, sp                 /* frame record for fp unwinders     */
        stp     x19, x20, [sp, #16]     /* callee-saved integer registers    */
        .cfi_offset x19, -160
        .cfi_offset x20, -152
        stp     x21, x22, [sp, #32]
        .cfi_offset x21, -144
        .cfi_offset x22, -136
        stp     x23, x24, [sp, #48]
        .cfi_offset x23, -128
        .cfi_offset x24, -120
        stp     x25, x26, [sp, #64]
        .cfi_offset x25, -112
        .cfi_offset x26, -104
        stp     x27, x28, [sp, #80]
        .cfi_offset x27, -96
        .cfi_offset x28, -88
        stp     d8, d9, [sp, #96]       /* callee-saved halves of v8-v15     */
        .cfi_offset d8, -80
        .cfi_offset d9, -72
        stp     d10, d11, [sp, #112]
        .cfi_offset d10, -64
        .cfi_offset d11, -56
        stp     d12, d13, [sp, #128]
        .cfi_offset d12, -48
        .cfi_offset d13, -40
        stp     d14, d15, [sp, #144]
        .cfi_offset d14, -32
        .cfi_offset d15, -24
        mrs     x9, fpcr                /* FP control register ...           */
        str     x9, [sp, #160]          /* ... into the frame                */
        mov     x19, x1                 /* keep restore across the save call */
        mov     x20, x2                 /* keep arg across the save call     */
        mov     x9, x0                  /* save callback                     */
        mov     x0, sp                  /* arg 1: our stack pointer          */
        mov     x1, x20                 /* arg 2: arg                        */
        blr     x9                      /* x0 = stack pointer to continue on */
        cbz     x0, 1f                  /* NULL: save refused the switch     */
        mov     sp, x0                  /* from here on: the target's stack  */
        mov     x29, #0                 /* end the fp chain: the frame at sp
                                           is not filled in before restore   */
        mov     x0, x20                 /* arg 1: arg                        */
        blr     x19                     /* copy the target's slice back      */
        ldr     x9, [sp, #160]          /* target's FP control register ...  */
        msr     fpcr, x9                /* ... back in place                 */
        mov     w0, #0                  /* return 0: resumed                 */
        b       2f
1:      mov     w0, #-1                 /* return -1: nothing switched       */
2:      ldp     d14, d15, [sp, #144]    /* the (target's) callee-saved regs  */
        ldp     d12, d13, [sp, #128]
        ldp     d10, d11, [sp, #112]
        ldp     d8, d9, [sp, #96]
        ldp     x27, x28, [sp, #80]
        ldp     x25, x26, [sp, #64]
        ldp     x23, x24, [sp, #48]
        ldp     x21, x22, [sp, #32]
        ldp     x19, x20, [sp, #16]
        ldp     x29, x30, [sp], #176    /* fp, return address; drop frame    */
        .cfi_def_cfa_offset 0
        ret                             /* into the (target's) caller        */
        .cfi_endproc
        .size   actors_switch_stack, .-actors_switch_stack

        .section .note.GNU-stack,"",%progbits
