/* memfile.h: the fuzz input as a file path the loaders can open: a memfd (/proc/self/fd/N), so
 * that nothing touches the disk; a file under /tmp where memfd_create is missing. */
#ifndef L2_FUZZ_MEMFILE_H
#define L2_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfile_fd = -1;
static char memfile_path[64];

/* Make path name a file holding exactly data[0..size). Returns the path, or NULL. */
static const char *memfile_write(const uint8_t *data, size_t size)
{
    if (memfile_fd < 0) {
        memfile_fd = memfd_create("l2fuzz", 0);
        if (memfile_fd >= 0) {
            snprintf(memfile_path, sizeof memfile_path, "/proc/self/fd/%d", memfile_fd);
        } else {
            snprintf(memfile_path, sizeof memfile_path, "/tmp/l2fuzz-%ld", (long)getpid());
            memfile_fd = open(memfile_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
            if (memfile_fd < 0)
                return NULL;
        }
    }
    if (ftruncate(memfile_fd, 0) != 0 || pwrite(memfile_fd, data, size, 0) != (ssize_t)size)
        return NULL;
    return memfile_path;
}

#endif
