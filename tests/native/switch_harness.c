/*
 * switch_harness.c -- stand-alone test of an asm/ switch stub (no Python).
 *
 * Build:  cc -O2 switch_harness.c ../../asm/switch_<platform>.S -lm
 * Run:    ./a.out [switches] [seed]
 *
 * Stack slicing as greenlet does it: a main context and up to NCTX
 * coroutine contexts all run on the one C stack, below a common address
 * `stack_stop`.  When a context is suspended, save() copies its live slice
 * [sp, stack_stop) to a heap buffer; when it is resumed, restore() copies
 * the buffer back to the same addresses.  A new context starts at
 * stack_stop itself.  Contexts switch to each other in pseudo-random order,
 * at pseudo-random recursion depths, with many integer, floating-point and
 * (with GNU C) vector values live across every switch, so that the compiler
 * at -O2 keeps them in callee-saved registers and in stack slots.  Each
 * coroutine also runs under its own FP rounding mode.  Contexts finish and
 * new ones are started in their slots until the requested number of
 * switches is done.
 *
 * Prints "switch_harness: N switches ok" and exits 0, or prints what went
 * wrong and exits 1 (or dies on a signal).
 */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cython_src/includes/switch.h"

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define NORETURN __attribute__((noreturn))
#define HAVE_VECTORS 1
typedef uint64_t v2u64 __attribute__((vector_size(16)));
#else
#define NOINLINE
#define NORETURN
#define HAVE_VECTORS 0
#endif

#define NCTX 8          /* coroutine slots                              */
#define NINT 20         /* live integer values across a switch          */
#define NDBL 20         /* live double values across a switch           */
#define NVEC 14         /* live 128-bit vector values across a switch   */
#define MAXDEPTH 48     /* recursion depth at which a switch may happen */

enum state { UNUSED, NEW, LIVE, DEAD };

typedef struct ctx {
    int id;             /* 0 = main                                    */
    enum state state;
    int round;          /* rounding mode this context runs under       */
    char *sp;           /* saved stack pointer while suspended         */
    char *buf;          /* heap copy of [sp, stack_stop)               */
    size_t len, cap;
    unsigned long resumes;
} ctx_t;

static ctx_t main_ctx;
static ctx_t coro[NCTX];
static ctx_t *current = &main_ctx;
static ctx_t *target;
static char *stack_stop;            /* top of the shared stack region */
static unsigned long switches, wanted, started;
static int stopping;
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static unsigned long restores_called;
static size_t max_slice;
static const int rounding[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
static uint64_t round_print[4];     /* fp_fingerprint() under each mode */

/* the values a context expects to find in its live locals after a switch
   (one set per context: a context has one switch in progress at a time) */
static uint64_t expect_int[NCTX + 1][NINT];
static double expect_dbl[NCTX + 1][NDBL];
#if HAVE_VECTORS
static v2u64 expect_vec[NCTX + 1][NVEC];
#endif

static int switch_arg_token;        /* &switch_arg_token is the arg */

#define FAIL(...) do { printf("switch_harness: FAIL: " __VA_ARGS__); \
                       printf("\n"); fflush(stdout); exit(1); } while (0)

static NOINLINE uint64_t next_rand(void)
{
    /* xorshift64*: a value the compiler cannot recompute after a call */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1du;
}

static double rand_double(void)
{
    return (double)(next_rand() >> 11) * (1.0 / 9007199254740992.0) * 1e6 - 5e5;
}

/* The rounding mode the FP unit really applies (on x86_64 fegetround
   reads the x87 control word, while double arithmetic uses MXCSR). */
static NOINLINE uint64_t fp_fingerprint(void)
{
    volatile double one = 1.0, ten = 10.0, three = 3.0, r;
    uint64_t bits, print = 0;
    r = one / three; memcpy(&bits, (const void *)&r, 8); print ^= bits;
    r = -one / three; memcpy(&bits, (const void *)&r, 8); print ^= bits * 3;
    r = one / ten; memcpy(&bits, (const void *)&r, 8); print ^= bits * 5;
    r = -one / ten; memcpy(&bits, (const void *)&r, 8); print ^= bits * 7;
    return print;
}

static int round_index(int mode)
{
    int k;
    for (k = 0; k < 4; k++)
        if (rounding[k] == mode)
            return k;
    FAIL("unknown rounding mode %d", mode);
    return 0;
}

/* ---- the two callbacks of the contract -------------------------------- */

static void *save_cb(void *sp, void *arg)
{
    char *p = (char *)sp;
    ctx_t *cur = current;
    if (arg != &switch_arg_token)
        FAIL("save got arg %p, expected %p", arg, (void *)&switch_arg_token);
    if (((uintptr_t)p & 15) != 0)
        FAIL("save got a misaligned sp %p", sp);
    if (p >= stack_stop)
        FAIL("save got sp %p not below stack_stop %p", sp, (void *)stack_stop);
    if (cur->state != DEAD) {
        size_t n = (size_t)(stack_stop - p);
        if (n > cur->cap) {
            free(cur->buf);
            cur->cap = n + 4096;
            cur->buf = malloc(cur->cap);
            if (!cur->buf)
                FAIL("out of memory");
        }
        memcpy(cur->buf, p, n);
        cur->len = n;
        cur->sp = p;
        if (n > max_slice)
            max_slice = n;
    }
    current = target;
    if (target->state == NEW)
        return stack_stop;          /* fresh, 16-byte aligned */
    return target->sp;
}

static NORETURN void coro_main(ctx_t *self);

static void restore_cb(void *arg)
{
    ctx_t *t = current;
    restores_called++;
    if (arg != &switch_arg_token)
        FAIL("restore got arg %p, expected %p", arg, (void *)&switch_arg_token);
    if (t->state == NEW) {
        t->state = LIVE;
        coro_main(t);               /* never returns */
    }
    memcpy(t->sp, t->buf, t->len);
}

static void switch_to(ctx_t *to)
{
    ctx_t *self = current;
    int r;
    target = to;
    switches++;
    r = actors_switch_stack(save_cb, restore_cb, &switch_arg_token);
    if (r != 0)
        FAIL("switch returned %d, expected 0", r);
    if (current != self)
        FAIL("resumed context %d, but current is %d", self->id, current->id);
    self->resumes++;
}

#if defined(__GNUC__) && defined(__powerpc64__)
/* The condition register fields cr2-cr4 are callee-saved on ppc64 ELFv2,
   but a compiler rarely keeps anything in them across a call: set them to
   a per-switch random pattern by hand and look at them after the switch. */
static NOINLINE void switch_keeping_cr(ctx_t *to)
{
    uint32_t want = (uint32_t)next_rand() & 0x00fff000u, got;
    __asm__ volatile("mtcrf 0x38, %0" : : "r"(want) : "cr2", "cr3", "cr4");
    switch_to(to);
    __asm__ volatile("mfcr %0" : "=r"(got));
    if ((got & 0x00fff000u) != want)
        FAIL("cr2-cr4 changed across a switch: %08x, expected %08x",
             (unsigned)(got & 0x00fff000u), (unsigned)want);
}
#else
#define switch_keeping_cr switch_to
#endif

/* a random target other than self: main or a coroutine slot (starting a
   new coroutine in an unused slot unless we are stopping) */
static ctx_t *pick_target(ctx_t *self)
{
    for (;;) {
        unsigned k = (unsigned)(next_rand() % (NCTX + 1));
        ctx_t *t = k == NCTX ? &main_ctx : &coro[k];
        if (t == self)
            continue;
        if (t->state == LIVE || t->state == NEW)
            return t;
        if (t == &main_ctx)
            return t;
        if ((t->state == UNUSED || t->state == DEAD) && !stopping) {
            t->state = NEW;
            started++;
            t->round = rounding[next_rand() % 4];
            t->len = 0;
            return t;
        }
    }
}

/* ---- the work a context does between switches ------------------------- */

/* The live values, as X-macro lists: X(index) */
#define INTS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
    X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19)
#define DBLS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
    X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19)
#define VECS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
    X(11) X(12) X(13)

/* Makes NINT + NDBL (+ NVEC) values live across one switch and checks them
   afterwards.  With that many live values the compiler at -O2 fills every
   callee-saved register (integer, FP and, on ppc64le, vector) and spills
   the rest into this frame. */
static NOINLINE uint64_t switch_with_live_values(ctx_t *self)
{
    int me = self->id;
    uint64_t sum = 0;
    double dsum = 0.0;
#define DECL_I(k) register uint64_t i##k = next_rand();
#define DECL_D(k) register double d##k = rand_double();
#define DECL_V(k) v2u64 v##k = {next_rand(), next_rand()};
#define KEEP_I(k) expect_int[me][k] = i##k;
#define KEEP_D(k) expect_dbl[me][k] = d##k;
#define KEEP_V(k) expect_vec[me][k] = v##k;
#define CHECK_I(k) if (i##k != expect_int[me][k]) \
        FAIL("context %d: integer %d changed across a switch", me, k);
#define CHECK_D(k) if (d##k != expect_dbl[me][k]) \
        FAIL("context %d: double %d changed across a switch", me, k);
#define CHECK_V(k) if (v##k[0] != expect_vec[me][k][0] \
                       || v##k[1] != expect_vec[me][k][1]) \
        FAIL("context %d: vector %d changed across a switch", me, k);
#define SUM_I(k) sum ^= i##k;
#define SUM_D(k) dsum += d##k;
    INTS(DECL_I)
    DBLS(DECL_D)
#if HAVE_VECTORS
    VECS(DECL_V)
#endif
    INTS(KEEP_I)
    DBLS(KEEP_D)
#if HAVE_VECTORS
    VECS(KEEP_V)
#endif

    switch_keeping_cr(pick_target(self));

    INTS(CHECK_I)
    DBLS(CHECK_D)
#if HAVE_VECTORS
    VECS(CHECK_V)
#endif
    if (fegetround() != self->round)
        FAIL("context %d: rounding mode %d, expected %d", me, fegetround(),
             self->round);
    if (fp_fingerprint() != round_print[round_index(self->round)])
        FAIL("context %d: FP arithmetic does not round in mode %d", me,
             self->round);
    INTS(SUM_I)
    DBLS(SUM_D)
    return sum + (uint64_t)(int64_t)dsum;
}

/* recursion: every level keeps a small array and its arguments in its
   frame; a switch happens at the bottom, the levels are checked on the
   way back up */
static NOINLINE uint64_t descend(ctx_t *self, unsigned depth, uint64_t tag)
{
    volatile uint64_t frame[6];
    unsigned k;
    uint64_t r;
    for (k = 0; k < 6; k++)
        frame[k] = tag * 31u + k + depth;
    if (depth == 0)
        r = switch_with_live_values(self);
    else
        r = descend(self, depth - 1, tag * 6364136223846793005u + 1442695040888963407u);
    for (k = 0; k < 6; k++)
        if (frame[k] != tag * 31u + k + depth)
            FAIL("context %d: frame at depth %u clobbered", self->id, depth);
    return r + tag;
}

static NORETURN void coro_main(ctx_t *self)
{
    unsigned rounds = 1 + (unsigned)(next_rand() % 64), n;
    if (fesetround(self->round) != 0)
        FAIL("fesetround failed");
    for (n = 0; n < rounds && !stopping; n++)
        descend(self, (unsigned)(next_rand() % MAXDEPTH), next_rand());
    self->state = DEAD;
    fesetround(FE_TONEAREST);
    switch_to(pick_target(self));
    FAIL("a dead context %d was resumed", self->id);
}

/* ---- the no-switch path ------------------------------------------------- */

static unsigned long refused_saves;
static void *refusing_save(void *sp, void *arg)
{
    if (arg != &refused_saves)
        FAIL("refusing save got the wrong arg");
    if (((uintptr_t)sp & 15) != 0)
        FAIL("refusing save got a misaligned sp");
    refused_saves++;
    return NULL;
}
static void never_restore(void *arg)
{
    (void)arg;
    FAIL("restore called although save returned NULL");
}

static NOINLINE void check_refused_switch(void)
{
    int k;
    for (k = 0; k < 1000; k++) {
        register uint64_t a = next_rand(), b = next_rand(), c = next_rand(),
            d = next_rand(), e = next_rand(), f = next_rand(), g = next_rand(),
            h = next_rand(), i = next_rand(), j = next_rand();
        register double x = rand_double(), y = rand_double(), z = rand_double(),
            w = rand_double(), u = rand_double(), v = rand_double(),
            s = rand_double(), t = rand_double(), q = rand_double();
        uint64_t ia[10] = {a, b, c, d, e, f, g, h, i, j};
        double da[9] = {x, y, z, w, u, v, s, t, q};
        volatile uint64_t *via = ia;    /* keep copies in memory */
        volatile double *vda = da;
        int r = actors_switch_stack(refusing_save, never_restore, &refused_saves);
        if (r != -1)
            FAIL("switch with a refusing save returned %d, expected -1", r);
        if (a != via[0] || b != via[1] || c != via[2] || d != via[3]
            || e != via[4] || f != via[5] || g != via[6] || h != via[7]
            || i != via[8] || j != via[9])
            FAIL("integer register changed across a refused switch");
        if (x != vda[0] || y != vda[1] || z != vda[2] || w != vda[3]
            || u != vda[4] || v != vda[5] || s != vda[6] || t != vda[7]
            || q != vda[8])
            FAIL("double register changed across a refused switch");
    }
    if (refused_saves != 1000)
        FAIL("refusing save called %lu times", refused_saves);
}

/* ---- main ---------------------------------------------------------------- */

static NOINLINE int run(void)
{
    volatile char here = 0;
    int k, live;
    /* everything below this address belongs to whichever context runs */
    stack_stop = (char *)((uintptr_t)&here & ~(uintptr_t)15);

    check_refused_switch();

    for (k = 0; k < 4; k++) {
        int j;
        if (fesetround(rounding[k]) != 0)
            FAIL("fesetround(%d) failed", rounding[k]);
        round_print[k] = fp_fingerprint();
        for (j = 0; j < k; j++)
            if (round_print[j] == round_print[k])
                FAIL("rounding modes %d and %d give the same results", j, k);
    }
    fesetround(FE_TONEAREST);

    main_ctx.id = NCTX;
    main_ctx.state = LIVE;
    main_ctx.round = FE_TONEAREST;
    for (k = 0; k < NCTX; k++)
        coro[k].id = k;
    while (switches < wanted)
        descend(&main_ctx, (unsigned)(next_rand() % MAXDEPTH), next_rand());
    /* let every coroutine run to its end */
    stopping = 1;
    do {
        live = 0;
        for (k = 0; k < NCTX; k++)
            if (coro[k].state == LIVE || coro[k].state == NEW) {
                live = 1;
                switch_to(&coro[k]);
            }
    } while (live);
    return 0;
}

int main(int argc, char **argv)
{
    int k;
    wanted = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    if (argc > 2)
        rng_state ^= strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15u;
    if (run() != 0 || current != &main_ctx)
        FAIL("main context lost");
    for (k = 0; k < NCTX; k++) {
        if (coro[k].state == LIVE || coro[k].state == NEW)
            FAIL("coroutine %d did not finish", k);
        free(coro[k].buf);
    }
    if (restores_called != switches)
        FAIL("%lu switches but %lu restores", switches, restores_called);
    free(main_ctx.buf);
    printf("switch_harness: %lu switches ok (main resumed %lu times, "
           "%lu coroutines, largest slice %lu bytes)\n",
           switches, main_ctx.resumes, started, (unsigned long)max_slice);
    return 0;
}
