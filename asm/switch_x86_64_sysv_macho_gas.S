/*
 * actors_switch_stack -- x86_64, System V ABI, Mach-O (macOS),
 *                       GNU-syntax assembler (clang / Apple as).
 *
 *   int actors_switch_stack(void *(*save)(void *sp, void *arg),   rdi
 *                           void  (*restore)(void *arg),           rsi
 *                           void  *arg);                           rdx
 *
 * Saves the callee-saved state of the running context on its own stack,
 * calls save(sp, arg) with the resulting stack pointer and continues on the
 * stack pointer that save returns.  There it calls restore(arg), which
 * copies the target's heap-saved stack slice back into place (restore runs
 * *below* the new stack pointer, so it never overwrites its own frame), and
 * pops the target's registers.  save returning NULL means "no switch":
 * the stub pops what it pushed and returns -1.  A switched-to context
 * returns 0 from the call that once suspended it.  For a context that has
 * never run, restore does not return: it runs the new context to its end.
 *
 * Saved frame, lowest address first (sp handed to save points at +0):
 *
 *   +0   mxcsr        (4 bytes)  SSE control/status: rounding, exceptions
 *   +4   x87 cw       (2 bytes)  x87 control word
 *   +6   padding      (2 bytes)
 *   +8   r15
 *   +16  r14
 *   +24  r13
 *   +32  r12
 *   +40  rbx
 *   +48  rbp
 *   +56  return address into the caller of actors_switch_stack
 *
 * sp is 16-byte aligned when save and restore are called.
 *
 * The instructions are the same as in switch_x86_64_sysv_elf_gas.S; only
 * the directives differ (leading underscore, .private_extern, no .type,
 * .size or .note.GNU-stack on Mach-O).
 */
        .text
        .globl  _actors_switch_stack
        .private_extern _actors_switch_stack
        .p2align 4
_actors_switch_stack:
        .cfi_startproc
        pushq   %rbp                    /* callee-saved registers ...        */
        .cfi_adjust_cfa_offset 8
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp                /* ... room for the FP control words  */
        .cfi_adjust_cfa_offset 8
        stmxcsr (%rsp)                  /* save SSE control/status word       */
        fnstcw  4(%rsp)                 /* save x87 control word              */
        movq    %rsi, %r12              /* keep restore across the save call  */
        movq    %rdx, %r13              /* keep arg across the save call      */
        movq    %rdi, %rax              /* save callback                      */
        movq    %rsp, %rdi              /* arg 1: our stack pointer           */
        movq    %r13, %rsi              /* arg 2: arg                         */
        call    *%rax                   /* rax = stack pointer to continue on */
        testq   %rax, %rax              /* NULL: save refused the switch     */
        jz      1f
        movq    %rax, %rsp              /* from here on: the target's stack   */
        movq    %r13, %rdi              /* arg 1: arg                         */
        call    *%r12                   /* copy the target's slice back       */
        ldmxcsr (%rsp)                  /* target's SSE control/status word   */
        fldcw   4(%rsp)                 /* target's x87 control word          */
        xorl    %eax, %eax              /* return 0: resumed                  */
        jmp     2f
1:      movl    $-1, %eax               /* return -1: nothing switched        */
2:      addq    $8, %rsp                /* drop the FP control words          */
        .cfi_adjust_cfa_offset -8
        popq    %r15                    /* the (target's) callee-saved regs   */
        .cfi_adjust_cfa_offset -8
        popq    %r14
        .cfi_adjust_cfa_offset -8
        popq    %r13
        .cfi_adjust_cfa_offset -8
        popq    %r12
        .cfi_adjust_cfa_offset -8
        popq    %rbx
        .cfi_adjust_cfa_offset -8
        popq    %rbp
        .cfi_adjust_cfa_offset -8
        ret                             /* into the (target's) caller         */
        .cfi_endproc

        .subsections_via_symbols
