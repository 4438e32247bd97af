/* Put around CPython's internal headers, which refuse to compile without
 * Py_BUILD_CORE: it is defined only between this and pycore_end.h, so the
 * rest of the extension sees the public API only.  No include guard: each
 * use includes both. */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#define ACTORS_UNDEF_BUILD_CORE
#endif
