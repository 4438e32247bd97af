/*
 * actors_switch_stack -- ppc64le, ELFv2 ABI (OpenPOWER), ELF, GNU assembler.
 *
 *   int actors_switch_stack(void *(*save)(void *sp, void *arg),   r3
 *                           void  (*restore)(void *arg),           r4
 *                           void  *arg);                           r5
 *
 * Stores the callee-saved state of the running context in a frame on its
 * own stack, calls save(sp, arg) with the address of that state and goes
 * on with the address that save returns.  There it calls restore(arg),
 * which copies the target's heap-saved stack slice back to [sp, ...)
 * (restore runs *below* that address, so it never overwrites its own
 * frame), and loads the target's registers from the state it finds at sp.
 * save returning NULL means "no switch": the stub reloads what it stored
 * and returns -1.  A switched-to context returns 0 from the call that once
 * suspended it.  For a context that has never run, restore does not
 * return: it runs the new context to its end.
 *
 * ELFv2 callee-saved state: r14-r31, f14-f31 (only the FPR half of
 * vs14-vs31 is non-volatile), v20-v31, condition register fields cr2-cr4,
 * the link register (our return address), the TOC pointer r2 (restored
 * after every call the stub makes), and the control fields of FPSCR
 * ("limited access": rounding mode RN, non-IEEE mode NI, the exception
 * enables).  FPSCR's sticky status bits stay with the thread.  VRSAVE is
 * not used on Linux.  r13 is the thread pointer and the same for every
 * context of a thread.
 *
 * The ELFv2 frame header: a callee may store into the 32 bytes at the
 * stack pointer it is called with (back chain at +0, CR at +8, LR at +16,
 * TOC at +24), so they cannot be part of a saved stack slice: restore
 * would overwrite its own saved LR while copying the slice back.  The
 * "sp" this stub hands to save, and expects back, is therefore the
 * address of the saved state, 32 bytes ABOVE the real r1; the stub calls
 * save and restore with r1 = sp - 32.  A fresh stack pointer returned by
 * save for a new context must leave those 32 bytes below it usable.
 *
 * Frame, lowest address first (r1 while the stub runs points at +0,
 * sp handed to save points at +32):
 *
 *   +0    back chain                \
 *   +8    CR save word of a callee   |  ELFv2 frame header, used by
 *   +16   LR save of a callee        |  the save and restore calls
 *   +24   TOC save of a callee      /
 *   +32   v20   +48  v21   +64  v22   +80  v23   +96  v24   +112 v25
 *   +128  v26   +144 v27   +160 v28   +176 v29   +192 v30   +208 v31
 *   +224  f14 ... +360 f31  (8 bytes each)
 *   +368  r14 ... +504 r31  (8 bytes each)
 *   +512  r2  (TOC pointer)
 *   +520  CR  (word; +524 padding)
 *   +528  FPSCR (as stored by mffs)
 *   +536  LR  (return address)
 *   +544  (the caller's stack pointer)
 *
 * 544 = 34 * 16: r1 stays 16-byte aligned as ELFv2 requires, and so does
 * the sp handed to save.  The stub itself needs no TOC (it reaches no
 * global data), so it has a single entry point; both callbacks are called
 * through their global entry points (address in r12, ctr) as any indirect
 * call is.
 */
#if !defined(__powerpc64__) || !defined(__LITTLE_ENDIAN__) || !defined(_CALL_ELF) || _CALL_ELF != 2
#error "this stub is for 64-bit little-endian PowerPC with the ELFv2 ABI"
#endif
        .abiversion 2
        .machine power8
        .text
        .globl  actors_switch_stack
        .hidden actors_switch_stack
        .type   actors_switch_stack, @function
        .p2align 4
actors_switch_stack:
        .cfi_startproc
        mflr    %r0                     /* our return address               */
        stdu    %r1, -544(%r1)          /* open the frame, store back chain */
        .cfi_def_cfa_offset 544
        std     %r0, 536(%r1)           /* return address into the frame    */
        .cfi_offset 65, -8
        std     %r2, 512(%r1)           /* TOC pointer                      */
        std     %r14, 368(%r1)          /* callee-saved GPRs r14-r31        */
        .cfi_offset 14, -176
        std     %r15, 376(%r1)
        .cfi_offset 15, -168
        std     %r16, 384(%r1)
        .cfi_offset 16, -160
        std     %r17, 392(%r1)
        .cfi_offset 17, -152
        std     %r18, 400(%r1)
        .cfi_offset 18, -144
        std     %r19, 408(%r1)
        .cfi_offset 19, -136
        std     %r20, 416(%r1)
        .cfi_offset 20, -128
        std     %r21, 424(%r1)
        .cfi_offset 21, -120
        std     %r22, 432(%r1)
        .cfi_offset 22, -112
        std     %r23, 440(%r1)
        .cfi_offset 23, -104
        std     %r24, 448(%r1)
        .cfi_offset 24, -96
        std     %r25, 456(%r1)
        .cfi_offset 25, -88
        std     %r26, 464(%r1)
        .cfi_offset 26, -80
        std     %r27, 472(%r1)
        .cfi_offset 27, -72
        std     %r28, 480(%r1)
        .cfi_offset 28, -64
        std     %r29, 488(%r1)
        .cfi_offset 29, -56
        std     %r30, 496(%r1)
        .cfi_offset 30, -48
        std     %r31, 504(%r1)
        .cfi_offset 31, -40
        stfd    %f14, 224(%r1)          /* callee-saved FPRs f14-f31        */
        .cfi_offset 46, -320
        stfd    %f15, 232(%r1)
        .cfi_offset 47, -312
        stfd    %f16, 240(%r1)
        .cfi_offset 48, -304
        stfd    %f17, 248(%r1)
        .cfi_offset 49, -296
        stfd    %f18, 256(%r1)
        .cfi_offset 50, -288
        stfd    %f19, 264(%r1)
        .cfi_offset 51, -280
        stfd    %f20, 272(%r1)
        .cfi_offset 52, -272
        stfd    %f21, 280(%r1)
        .cfi_offset 53, -264
        stfd    %f22, 288(%r1)
        .cfi_offset 54, -256
        stfd    %f23, 296(%r1)
        .cfi_offset 55, -248
        stfd    %f24, 304(%r1)
        .cfi_offset 56, -240
        stfd    %f25, 312(%r1)
        .cfi_offset 57, -232
        stfd    %f26, 320(%r1)
        .cfi_offset 58, -224
        stfd    %f27, 328(%r1)
        .cfi_offset 59, -216
        stfd    %f28, 336(%r1)
        .cfi_offset 60, -208
        stfd    %f29, 344(%r1)
        .cfi_offset 61, -200
        stfd    %f30, 352(%r1)
        .cfi_offset 62, -192
        stfd    %f31, 360(%r1)
        .cfi_offset 63, -184
        li      %r0, 32                 /* offset of v20 in the frame       */
        stvx    %v20, %r1, %r0          /* callee-saved vector v20          */
        .cfi_offset 97, -512
        li      %r0, 48                 /* offset of v21 in the frame       */
        stvx    %v21, %r1, %r0          /* callee-saved vector v21          */
        .cfi_offset 98, -496
        li      %r0, 64                 /* offset of v22 in the frame       */
        stvx    %v22, %r1, %r0          /* callee-saved vector v22          */
        .cfi_offset 99, -480
        li      %r0, 80                 /* offset of v23 in the frame       */
        stvx    %v23, %r1, %r0          /* callee-saved vector v23          */
        .cfi_offset 100, -464
        li      %r0, 96                 /* offset of v24 in the frame       */
        stvx    %v24, %r1, %r0          /* callee-saved vector v24          */
        .cfi_offset 101, -448
        li      %r0, 112                /* offset of v25 in the frame       */
        stvx    %v25, %r1, %r0          /* callee-saved vector v25          */
        .cfi_offset 102, -432
        li      %r0, 128                /* offset of v26 in the frame       */
        stvx    %v26, %r1, %r0          /* callee-saved vector v26          */
        .cfi_offset 103, -416
        li      %r0, 144                /* offset of v27 in the frame       */
        stvx    %v27, %r1, %r0          /* callee-saved vector v27          */
        .cfi_offset 104, -400
        li      %r0, 160                /* offset of v28 in the frame       */
        stvx    %v28, %r1, %r0          /* callee-saved vector v28          */
        .cfi_offset 105, -384
        li      %r0, 176                /* offset of v29 in the frame       */
        stvx    %v29, %r1, %r0          /* callee-saved vector v29          */
        .cfi_offset 106, -368
        li      %r0, 192                /* offset of v30 in the frame       */
        stvx    %v30, %r1, %r0          /* callee-saved vector v30          */
        .cfi_offset 107, -352
        li      %r0, 208                /* offset of v31 in the frame       */
        stvx    %v31, %r1, %r0          /* callee-saved vector v31          */
        .cfi_offset 108, -336
        mfcr    %r0                     /* condition register ...           */
        stw     %r0, 520(%r1)           /* ... into the frame (cr2-cr4 matter) */
        mffs    %f0                     /* FP status and control register ... */
        stfd    %f0, 528(%r1)           /* ... into the frame               */
        mr      %r30, %r4               /* keep restore across the save call */
        mr      %r31, %r5               /* keep arg across the save call    */
        mr      %r12, %r3               /* save callback: its global entry point */
        mtctr   %r12                    /* computes its TOC from r12        */
        addi    %r3, %r1, 32            /* arg 1: our saved state, above the header */
        mr      %r4, %r31               /* arg 2: arg                       */
        bctrl                           /* r3 = stack pointer to continue on */
        ld      %r2, 512(%r1)           /* our TOC pointer again            */
        cmpdi   %r3, 0                  /* NULL: save refused the switch    */
        beq     1f
        addi    %r1, %r3, -32           /* the target's stack, header below sp */
        addi    %r0, %r1, 544           /* back chain: the target's caller's sp */
        std     %r0, 0(%r1)
        mr      %r12, %r30              /* restore callback: its global entry ... */
        mtctr   %r12                    /* ... point computes its TOC from r12 */
        mr      %r3, %r31               /* arg 1: arg                       */
        bctrl                           /* copy the target's slice back     */
        ld      %r2, 512(%r1)           /* the target's TOC pointer         */
        lfd     %f0, 528(%r1)           /* target's FPSCR: restore only fields */
        mtfsf   0x03, %f0               /* 6-7: enables, NI, rounding mode  */
        li      %r3, 0                  /* return 0: resumed                */
        b       2f
1:      li      %r3, -1                 /* return -1: nothing switched      */
2:      lwz     %r0, 520(%r1)           /* the (target's) condition register */
        mtcrf   0x38, %r0               /* non-volatile fields cr2, cr3, cr4 */
        li      %r0, 32                 /* offset of v20 in the frame       */
        lvx     %v20, %r1, %r0          /* vector v20                       */
        li      %r0, 48                 /* offset of v21 in the frame       */
        lvx     %v21, %r1, %r0          /* vector v21                       */
        li      %r0, 64                 /* offset of v22 in the frame       */
        lvx     %v22, %r1, %r0          /* vector v22                       */
        li      %r0, 80                 /* offset of v23 in the frame       */
        lvx     %v23, %r1, %r0          /* vector v23                       */
        li      %r0, 96                 /* offset of v24 in the frame       */
        lvx     %v24, %r1, %r0          /* vector v24                       */
        li      %r0, 112                /* offset of v25 in the frame       */
        lvx     %v25, %r1, %r0          /* vector v25                       */
        li      %r0, 128                /* offset of v26 in the frame       */
        lvx     %v26, %r1, %r0          /* vector v26                       */
        li      %r0, 144                /* offset of v27 in the frame       */
        lvx     %v27, %r1, %r0          /* vector v27                       */
        li      %r0, 160                /* offset of v28 in the frame       */
        lvx     %v28, %r1, %r0          /* vector v28                       */
        li      %r0, 176                /* offset of v29 in the frame       */
        lvx     %v29, %r1, %r0          /* vector v29                       */
        li      %r0, 192                /* offset of v30 in the frame       */
        lvx     %v30, %r1, %r0          /* vector v30                       */
        li      %r0, 208                /* offset of v31 in the frame       */
        lvx     %v31, %r1, %r0          /* vector v31                       */
        lfd     %f14, 224(%r1)          /* FPRs f14-f31                     */
        lfd     %f15, 232(%r1)
        lfd     %f16, 240(%r1)
        lfd     %f17, 248(%r1)
        lfd     %f18, 256(%r1)
        lfd     %f19, 264(%r1)
        lfd     %f20, 272(%r1)
        lfd     %f21, 280(%r1)
        lfd     %f22, 288(%r1)
        lfd     %f23, 296(%r1)
        lfd     %f24, 304(%r1)
        lfd     %f25, 312(%r1)
        lfd     %f26, 320(%r1)
        lfd     %f27, 328(%r1)
        lfd     %f28, 336(%r1)
        lfd     %f29, 344(%r1)
        lfd     %f30, 352(%r1)
        lfd     %f31, 360(%r1)
        ld      %r14, 368(%r1)          /* GPRs r14-r31                     */
        ld      %r15, 376(%r1)
        ld      %r16, 384(%r1)
        ld      %r17, 392(%r1)
        ld      %r18, 400(%r1)
        ld      %r19, 408(%r1)
        ld      %r20, 416(%r1)
        ld      %r21, 424(%r1)
        ld      %r22, 432(%r1)
        ld      %r23, 440(%r1)
        ld      %r24, 448(%r1)
        ld      %r25, 456(%r1)
        ld      %r26, 464(%r1)
        ld      %r27, 472(%r1)
        ld      %r28, 480(%r1)
        ld      %r29, 488(%r1)
        ld      %r30, 496(%r1)
        ld      %r31, 504(%r1)
        ld      %r0, 536(%r1)           /* return address ...               */
        mtlr    %r0                     /* ... into the link register       */
        addi    %r1, %r1, 544           /* drop the frame                   */
        .cfi_def_cfa_offset 0
        blr                             /* into the (target's) caller       */
        .cfi_endproc
        .size   actors_switch_stack, .-actors_switch_stack

        .section .note.GNU-stack,"",@progbits
