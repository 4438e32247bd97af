/* Hiding the entry frames of a suspended tasklet (CPython 3.12 and later).
 * Included by pystate_py312.h, pystate_py313.h and pystate_py314.h (so
 * 3.15 too), each after defining
 *
 *   ACTORS_FRAME_ON_CSTACK(ts, f)  f, a frame of ts's chain, is one of the
 *                    interpreter's own frames that live on the C stack
 *
 * and before declaring its actors_pystate, which embeds an
 * actors_frame_links.
 *
 * Since 3.12 every entry into the interpreter from C (each call of
 * _PyEval_EvalFrameDefault) puts an "entry frame" in a local of its own C
 * frame and links it into the chain of interpreter frames: the first frame
 * it runs has it as `previous`.  A suspended tasklet's other interpreter
 * frames are on the heap (its frame-stack chunks, generator objects), but
 * the stack bytes its entry frames occupy belong to whichever tasklet runs
 * (the suspended one's copy is on the heap), so walking `previous` from its
 * frames -- gr_frame, PyThreadState_GetFrame, PyFrame_GetBack of a frame
 * object kept in a traceback or a generator's gi_frame (it reads `previous`
 * to skip incomplete frames) -- would read another tasklet's stack.
 *
 * So while a tasklet is suspended its chain holds only frames that are not
 * on the C stack: when a context is saved -- before the switch, while its
 * stack is still in place -- a frame whose `previous` is a C-stack frame is
 * pointed past it (and past any C-stack frames right below), to the next
 * such frame or NULL.  Incomplete heap frames stay (CPython's walkers skip
 * them, and the suspended tasklet's frame-stack chunks are untouched until
 * it resumes), so the walk tests only `owner` and never loads a code
 * object.  Each pointer changed is recorded in the tasklet and put back at
 * restore, after the switch has copied its stack back in and before it
 * runs again: the interpreter needs the real chain (a return compares
 * `previous` with its own entry frame, and the entry frames return to C).
 *
 * Only links that skip something are recorded: usually one per C->Python
 * re-entry in the tasklet (one for a plain tasklet: its first frame's entry
 * frame), so the first record is kept in place and only more spill
 * to the heap.  The walk costs one step per frame of the departing context
 * on every switch; it reads only that context's own frames, which are live,
 * and the GIL keeps anything else from walking or changing the chain
 * meanwhile.  No Python object is created for this, so a switch never
 * allocates one or triggers the GC here (greenlet 3 instead keeps the old
 * links in the frame objects it creates).
 */
#ifndef ACTORS_PYSTATE_FRAMES_H
#define ACTORS_PYSTATE_FRAMES_H

#ifndef ACTORS_FRAME_ON_CSTACK
#error "define ACTORS_FRAME_ON_CSTACK(ts, f) before including pystate_frames.h"
#endif

typedef struct {
    struct _PyInterpreterFrame *frame;     /* its `previous` was rewritten */
    struct _PyInterpreterFrame *previous;  /* the original value */
} actors_relink;

#define ACTORS_RELINK_INLINE 1

typedef struct {
    struct _PyInterpreterFrame *top;     /* first frame off the C stack:
                                            where gr_frame starts, or NULL */
    int nrelinks;                        /* links rewritten while suspended */
    int relinks_cap;                     /* entries in `more` */
    actors_relink relinks[ACTORS_RELINK_INLINE];
    actors_relink *more;                 /* PyMem_Raw; entries past inline */
} actors_frame_links;

/* Record f->previous and point it to `previous` instead. */
static inline void
actors_relink_push(actors_frame_links *l, struct _PyInterpreterFrame *f,
                   struct _PyInterpreterFrame *previous)
{
    actors_relink *r;
    int i = l->nrelinks;
    if (i < ACTORS_RELINK_INLINE) {
        r = &l->relinks[i];
    } else {
        int j = i - ACTORS_RELINK_INLINE;
        if (j >= l->relinks_cap) {
            int cap = l->relinks_cap ? 2 * l->relinks_cap : 8;
            actors_relink *more = (actors_relink *)PyMem_RawRealloc(
                l->more, (size_t)cap * sizeof(actors_relink));
            if (more == NULL)
                Py_FatalError("actors: out of memory suspending a tasklet");
            l->more = more;
            l->relinks_cap = cap;
        }
        r = &l->more[j];
    }
    r->frame = f;
    r->previous = f->previous;
    f->previous = previous;
    l->nrelinks = i + 1;
}

/* Link the frames of the context being saved, from its top frame f, past
 * the C-stack ones; its stack is still in place.  Sets l->top. */
static inline void
actors_frames_hide(actors_frame_links *l, PyThreadState *ts,
                   struct _PyInterpreterFrame *f)
{
    struct _PyInterpreterFrame *last = NULL, *next;
    (void)ts;
    l->top = NULL;
    l->nrelinks = 0;
    for (; f != NULL; f = next) {
        next = f->previous;              /* read before `last` changes */
        if (ACTORS_FRAME_ON_CSTACK(ts, f))
            continue;
        if (last == NULL)
            l->top = f;
        else if (last->previous != f)
            actors_relink_push(l, last, f);
        last = f;
    }
    if (last != NULL && last->previous != NULL)
        actors_relink_push(l, last, NULL);
}

/* Undo actors_frames_hide once the context's stack is in place again: the
 * interpreter's own chain.  Each record is of a different frame, so the
 * order does not matter. */
static inline void
actors_frames_unhide(actors_frame_links *l)
{
    int i, n = l->nrelinks;
    for (i = 0; i < n && i < ACTORS_RELINK_INLINE; i++)
        l->relinks[i].frame->previous = l->relinks[i].previous;
    for (; i < n; i++)
        l->more[i - ACTORS_RELINK_INLINE].frame->previous =
            l->more[i - ACTORS_RELINK_INLINE].previous;
    l->nrelinks = 0;
    l->top = NULL;
}

/* The links are not put back: a tasklet that is cleared never runs again
 * (and its thread may be gone with the frames). */
static inline void
actors_frames_clear(actors_frame_links *l)
{
    PyMem_RawFree(l->more);
    l->more = NULL;
    l->relinks_cap = 0;
    l->nrelinks = 0;
}

#endif
