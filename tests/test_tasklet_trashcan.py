"""The trashcan across switches: a tasklet suspended in the middle of a
chain of deallocations neither keeps the objects CPython deferred nor
leaves its nesting to whatever runs next (see pystate_common.h)."""
from _subproc import assert_ok, run_in_subprocess


def test_tasklet_parked_inside_a_dealloc_chain_in_subprocess():
    # A chain of 200 nested lists, each holding a counter; the one at depth
    # 10 holds an object whose finalizer parks the tasklet freeing the
    # chain, for good.  The lists deeper than the trashcan's unwind level
    # (50, on 3.11 and 3.12) were deferred by then; the main tasklet's next
    # guarded dealloc frees them, and a second deep chain freed there is
    # freed in full.
    proc = run_in_subprocess("""
        import gc
        from actors.greenlet import greenlet, getcurrent
        freed = []
        class Counted:
            def __del__(self):
                freed.append(1)
        class Parker:
            def __del__(self):
                main.switch()
        def chain(depth, park_at=None):
            head = inner = []
            for d in range(depth):
                nxt = []
                inner.append(Parker() if d == park_at else Counted())
                inner.append(nxt)
                inner = nxt
            return head
        main = getcurrent()
        def body(box):
            del box[:]
        box = [chain(200, park_at=10)]
        t = greenlet(body)
        t.switch(box)
        # Before the parker ran: 3.11/3.12 defer past 50 nested deallocs
        # (38 freed by then), 3.13+ only near the C stack's limit (189).
        print(len(freed) in (38, 189))
        # (the 10 above the parker stay with the parked tasklet)
        x = [[]]; del x         # a guarded dealloc: the deferred ones go
        print(len(freed))
        freed.clear()
        c = chain(3000); del c  # the trashcan works as usual here
        print(len(freed))
        gc.collect()
    """)
    assert_ok(proc, "True\n189\n3000\n")
