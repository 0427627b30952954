/* The local driver: writes that cannot leave half a file under the final
 * name (temp file beside it, fsync, rename, fsync the folder). */
#include "storage/file/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

struct file_writer {
    struct storage_writer base;
    int fd;
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

static nb_err file_commit(struct storage_writer *w)
{
    struct file_writer *fw = (struct file_writer *)w;
    nb_err err = NB_OK;

    if (fsync(fw->fd) != 0 || close(fw->fd) != 0) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COMMIT ": %s", fw->path, strerror(errno));
        fw->fd = -1;
        unlink(fw->tmp);
    } else if (fw->fd = -1, rename(fw->tmp, fw->path) != 0) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COMMIT ": %s", fw->path, strerror(errno));
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

nb_err file_open_write(void *data, const char *key, uint64_t size_hint, struct storage_writer **out)
{
    struct file_writer *fw = calloc(1, sizeof(*fw));
    nb_err err;

    (void)size_hint;
    if (!fw || !(fw->path = file_path(data, key))) {
        free(fw);
        return NB_ERR_NOMEM;
    }
    fw->fd = -1;
    err = fsutil_mkdir_parents(fw->path, 0755);
    if (err) {
        file_writer_free(fw);
        return nb_error_context(err, STORAGE_MSG_OPEN_WRITE, key);
    }
    fsutil_hide_temp(fw->tmp, sizeof(fw->tmp), fw->path);
    fw->fd = open(fw->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
