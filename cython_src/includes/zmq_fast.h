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
static int az_find(struct dl_phdr_info *info, size_t size, void *out)
{
    const char *name = info->dlpi_name, *base;
    (void)size;
    if (name == NULL || *name == '\0')
        return 0;
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strncmp(base, "libzmq", 6) != 0)
        return 0;
    *(const char **)out = name;
    return 1;
}
#endif

/* 1 when a loaded libzmq >= 4.1 was found and every function resolved. */
static int actors_zmq_load(void)
{
#ifdef ACTORS_ZMQ_CAN_LOAD
    const char *path = NULL;
    void *h, *sym;
    void (*version)(int *, int *, int *);
    int major = 0, minor = 0, patch = 0;

    dl_iterate_phdr(az_find, &path);
    if (path == NULL)
        return 0;
    h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);   /* kept: never dlclose'd */
    if (h == NULL)
        return 0;
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
#else
    return 0;
#endif
}

#endif
