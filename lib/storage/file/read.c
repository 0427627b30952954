/* The local driver: streamed, optionally ranged, reads. */
#include "storage/file/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_reader {
    struct storage_reader base;
    int fd;
    uint64_t left; /* bytes still to give */
    char *path;
};

static nb_err file_read(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    struct file_reader *fr = (struct file_reader *)r;
    ssize_t n;

    if (len > fr->left)
        len = (size_t)fr->left;
    if (len == 0) {
        *got = 0;
        return NB_OK;
    }
    do {
        n = read(fr->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return nb_error(NB_ERR_STORAGE, STORAGE_MSG_READ ": %s", fr->path, strerror(errno));
    fr->left -= (uint64_t)n;
    *got = (size_t)n;
    return NB_OK;
}

static void file_read_close(struct storage_reader *r)
{
    struct file_reader *fr = (struct file_reader *)r;

    close(fr->fd);
    free(fr->path);
    free(fr);
}

nb_err file_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                      struct storage_reader **out)
{
    struct file_reader *fr = calloc(1, sizeof(*fr));
    struct stat st;

    if (!fr || !(fr->path = file_path(data, key))) {
        free(fr);
        return NB_ERR_NOMEM;
    }
    fr->fd = open(fr->path, O_RDONLY | O_CLOEXEC);
    if (fr->fd < 0) {
        nb_err err = nb_error(errno == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_STORAGE,
                              STORAGE_MSG_OPEN_READ ": %s", fr->path, strerror(errno));
        free(fr->path);
        free(fr);
        return err;
    }
    if (fstat(fr->fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < offset) {
        nb_err err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_OPEN_READ ": not a file of %llu bytes",
                              fr->path, (unsigned long long)offset);
        fr->base.close = file_read_close;
        file_read_close(&fr->base);
        return err;
    }
    posix_fadvise(fr->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (offset && lseek(fr->fd, (off_t)offset, SEEK_SET) < 0) {
        nb_err err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_READ ": %s", fr->path, strerror(errno));
        fr->base.close = file_read_close;
        file_read_close(&fr->base);
        return err;
    }
    fr->left = (uint64_t)st.st_size - offset;
    if (length && length < fr->left)
        fr->left = length;
    fr->base.read = file_read;
    fr->base.close = file_read_close;
    fr->base.size = (uint64_t)st.st_size;
    *out = &fr->base;
    return NB_OK;
}
