/* Receiving from a ZeroMQ socket without pyzmq's Python work per call.
 *
 * The libzmq that pyzmq loaded is found among the process's shared objects
 * and its message functions are looked up once: no build-time dependency on
 * libzmq (pyzmq's wheels carry a copy with a mangled name and no header).
 * zmq_msg_t has been 64 bytes, pointer-aligned, since libzmq 4.1; older
 * versions are refused and the caller keeps pyzmq's path. */
#ifndef ACTORS_ZMQ_FAST_H
#define ACTORS_ZMQ_FAST_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#if defined(__linux__) || defined(__FreeBSD__)
#include <dlfcn.h>
#include <link.h>
#define ACTORS_ZMQ_CAN_LOAD 1
#endif

#define ACTORS_ZMQ_DONTWAIT 1

typedef union { unsigned char bytes[64]; void *align; } actors_zmq_msg;

static int (*az_msg_init)(actors_zmq_msg *);
static int (*az_msg_recv)(actors_zmq_msg *, void *, int);
static int (*az_msg_close)(actors_zmq_msg *);
static void *(*az_msg_data)(actors_zmq_msg *);
static size_t (*az_msg_size)(const actors_zmq_msg *);
static int (*az_msg_more)(const actors_zmq_msg *);
/* a message's metadata: "User-Id" is what the ZAP handler said */
static const char *(*az_msg_gets)(const actors_zmq_msg *, const char *);

#ifdef ACTORS_ZMQ_CAN_LOAD
/* dl_iterate_phdr callback: counts the loaded objects named libzmq*,
 * keeping the first one's path. */
struct az_scan { const char *path; int count; };

static int az_find(struct dl_phdr_info *info, size_t size, void *out)
{
    struct az_scan *scan = (struct az_scan *)out;
    const char *name = info->dlpi_name, *base;
    (void)size;
    if (name == NULL || *name == '\0')
        return 0;
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strncmp(base, "libzmq", 6) != 0)
        return 0;
    if (scan->count++ == 0)
        scan->path = name;
    return 0;
}

/* Every function from handle h (dlsym on an object's handle also searches
 * the objects it depends on, in load order). */
static int az_resolve(void *h)
{
    void *sym;
    void (*version)(int *, int *, int *);
    int major = 0, minor = 0, patch = 0;

    sym = dlsym(h, "zmq_version");
    if (sym == NULL)
        return 0;
    memcpy(&version, &sym, sizeof sym);
    version(&major, &minor, &patch);
    if (major < 4 || (major == 4 && minor < 1))
        return 0;
#define AZ_SYM(var, name) \
    if ((sym = dlsym(h, name)) == NULL) return 0; \
    memcpy(&var, &sym, sizeof sym);
    AZ_SYM(az_msg_init, "zmq_msg_init")
    AZ_SYM(az_msg_recv, "zmq_msg_recv")
    AZ_SYM(az_msg_close, "zmq_msg_close")
    AZ_SYM(az_msg_data, "zmq_msg_data")
    AZ_SYM(az_msg_size, "zmq_msg_size")
    AZ_SYM(az_msg_more, "zmq_msg_more")
    AZ_SYM(az_msg_gets, "zmq_msg_gets")
#undef AZ_SYM
    return 1;
}
#endif

/* 1 when the libzmq pyzmq uses (>= 4.1) was found and every function
 * resolved.  pyzmq_ext: the path of pyzmq's extension module.  Its calls
 * into libzmq bind the way the dynamic linker binds them: to a libzmq in
 * the global scope if there is one (a copy loaded RTLD_GLOBAL before
 * pyzmq), else to the one it depends on itself, which dlsym on its handle
 * finds (a system libzmq loaded RTLD_LOCAL by another module beside the
 * wheel's: the first libzmq* in the list of loaded objects may be that
 * one).  Without pyzmq's extension, only a lone loaded libzmq is used,
 * never a guess among two: one copy's zmq_msg_recv on the other's socket
 * would crash. */
static int actors_zmq_load(const char *pyzmq_ext)
{
#ifdef ACTORS_ZMQ_CAN_LOAD
    struct az_scan scan = { NULL, 0 };
    void *h;

    if (pyzmq_ext != NULL && *pyzmq_ext != '\0') {
        h = dlopen(pyzmq_ext, RTLD_NOW | RTLD_NOLOAD);  /* kept open */
        if (h != NULL) {
#ifdef RTLD_DEFAULT
            if (dlsym(RTLD_DEFAULT, "zmq_msg_recv") != NULL)
                return az_resolve(RTLD_DEFAULT);
#endif
            if (az_resolve(h))
                return 1;
        }
    }
    dl_iterate_phdr(az_find, &scan);
    if (scan.count != 1)
        return 0;
    h = dlopen(scan.path, RTLD_NOW | RTLD_NOLOAD);
    return h != NULL && az_resolve(h);
#else
    (void)pyzmq_ext;
    return 0;
#endif
}

/* The path of the object az_msg_recv came from ("" if unknown). */
static const char *actors_zmq_path(void)
{
#ifdef ACTORS_ZMQ_CAN_LOAD
    Dl_info info;
    void *sym;
    memcpy(&sym, &az_msg_recv, sizeof sym);
    if (sym != NULL && dladdr(sym, &info) && info.dli_fname != NULL)
        return info.dli_fname;
#endif
    return "";
}

#endif
