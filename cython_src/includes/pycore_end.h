/* The end of a pycore_begin.h section. */
#ifdef ACTORS_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef ACTORS_UNDEF_BUILD_CORE
#endif
