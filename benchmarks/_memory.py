"""Memory readings shared by the benchmark drivers and their peers."""
import os
import sys


def rss_bytes():
    """Current resident set size of this process, in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        # No procfs (macOS): fall back to the peak, which for a benchmark
        # that only grows is close to the current size.  ru_maxrss is in
        # bytes on macOS, KiB elsewhere.
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def mem_available():
    """MemAvailable in bytes, or None where /proc/meminfo is missing."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
