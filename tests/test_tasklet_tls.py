"""The compiled core is loadable with dlopen(): no static (initial-exec)
TLS, which musl refuses to a loaded module and glibc may run out of."""
import struct
import sys

import pytest

import actors

PT_DYNAMIC = 2
DT_NULL, DT_FLAGS = 0, 30
DF_STATIC_TLS = 0x10


def dynamic_flags(path):
    """DT_FLAGS of a 64-bit little-endian ELF shared object (0 if none)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type != PT_DYNAMIC:
            continue
        for off in range(p_offset, p_offset + p_filesz, 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == DT_NULL:
                break
            if tag == DT_FLAGS:
                return val
    return 0


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or struct.calcsize("P") != 8 or sys.byteorder != "little",
                    reason="reads a 64-bit little-endian ELF object")
@pytest.mark.parametrize("module", ["actors._core", "actors._core_greenlet"])
def test_extension_needs_no_static_tls(module):
    try:
        mod = __import__(module, fromlist=["_"])
    except ImportError as e:
        if module == "actors._core" and actors.BACKEND == "native":
            raise
        pytest.skip("not built here: %s" % e)
    assert not dynamic_flags(mod.__file__) & DF_STATIC_TLS
