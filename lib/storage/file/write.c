/* The local driver: writes that cannot leave half a file under the final
 * name (temp file beside it, fsync, rename, fsync the folder).
 *
 * The temp file is ".NAME.tmp-PID", flock()ed while it is written: a writer
 * killed half-way leaves one whose lock nobody holds, and the next write
 * into that folder removes it (fsutil_remove_stale_temps). An exclusive
 * write (STORAGE_WRITE_EXCLUSIVE) commits with renameat2(RENAME_NOREPLACE),
 * or link() + unlink() where the file system has no renameat2: the kernel
 * decides which of two racing writers gets the name. */
#include "storage/file/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fsutil.h"

struct file_writer {
    struct storage_writer base;
    int fd;
    bool exclusive;
    char *path;
    char tmp[4200];
};

nb_err file_fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd;
    nb_err err = NB_OK;

    if (!copy)
        return NB_ERR_NOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        err = nb_error(NB_ERR_STORAGE, "unable to sync the folder of '%s': %s", path,
                       strerror(errno));
    if (fd >= 0)
        close(fd);
    free(copy);
    return err;
}

static void file_writer_free(struct file_writer *fw)
{
    if (fw->fd >= 0)
        close(fw->fd);
    free(fw->path);
    free(fw);
}

static nb_err file_write(struct storage_writer *w, const void *buf, size_t len)
{
    struct file_writer *fw = (struct file_writer *)w;
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fw->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_STORAGE,
                            STORAGE_MSG_WRITE ": %s", fw->path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return NB_OK;
}

/* Gives tmp the name path unless path exists (errno EEXIST). */
static int rename_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
    /* No renameat2 on this file system (older NFS, some FUSE): link() fails
     * with EEXIST as atomically. */
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

static nb_err file_commit(struct storage_writer *w)
{
    struct file_writer *fw = (struct file_writer *)w;
    nb_err err = NB_OK;

    /* The temp file stays locked (fd open) until it has its name. */
    if (fsync(fw->fd) != 0) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COMMIT ": %s", fw->path, strerror(errno));
        unlink(fw->tmp);
    } else if ((fw->exclusive ? rename_noreplace(fw->tmp, fw->path) : rename(fw->tmp, fw->path)) !=
               0) {
        err = errno == EEXIST
                  ? nb_error(NB_ERR_EXISTS, STORAGE_MSG_COMMIT ": " STORAGE_MSG_EXISTS, fw->path,
                             fw->path)
                  : nb_error(NB_ERR_STORAGE, STORAGE_MSG_COMMIT ": %s", fw->path, strerror(errno));
        unlink(fw->tmp);
    } else {
        err = file_fsync_dir_of(fw->path);
    }
    file_writer_free(fw);
    return err;
}

static void file_abort(struct storage_writer *w)
{
    struct file_writer *fw = (struct file_writer *)w;

    unlink(fw->tmp);
    file_writer_free(fw);
}

nb_err file_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                       struct storage_writer **out)
{
    struct file_writer *fw = calloc(1, sizeof(*fw));
    char *dir;
    nb_err err;

    (void)size_hint;
    if (!fw || !(fw->path = file_path(data, key))) {
        free(fw);
        return NB_ERR_NOMEM;
    }
    fw->fd = -1;
    fw->exclusive = (flags & STORAGE_WRITE_EXCLUSIVE) != 0;
    err = fsutil_mkdir_parents(fw->path, 0755);
    if (err) {
        file_writer_free(fw);
        return nb_error_context(err, STORAGE_MSG_OPEN_WRITE, key);
    }
    /* What killed writers left in this folder goes first. */
    if ((dir = strdup(fw->path)) != NULL)
        fsutil_remove_stale_temps(dirname(dir), false);
    free(dir);
    fsutil_hide_temp(fw->tmp, sizeof(fw->tmp), fw->path);
    fw->fd = open(fw->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fw->fd >= 0 && flock(fw->fd, LOCK_EX | LOCK_NB) != 0) {
        close(fw->fd);
        fw->fd = -1;
    }
    if (fw->fd < 0) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_OPEN_WRITE ": %s", fw->path, strerror(errno));
        file_writer_free(fw);
        return err;
    }
    fw->base.write = file_write;
    fw->base.commit = file_commit;
    fw->base.abort = file_abort;
    *out = &fw->base;
    return NB_OK;
}
