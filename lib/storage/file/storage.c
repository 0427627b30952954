/* The local driver: session, stat, list, copy, remove. */
#include "storage/file/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

char *file_path(const struct file_session *fs, const char *key)
{
    size_t len = strlen(fs->root) + strlen(key) + 2;
    char *path = malloc(len);

    if (path)
        snprintf(path, len, "%s%s%s", fs->root, fs->root[strlen(fs->root) - 1] == '/' ? "" : "/",
                 key);
    return path;
}

static nb_err file_open(const struct location *loc, const struct storage_options *opts, void **data)
{
    struct file_session *fs;
    struct stat st;

    (void)opts;
    if (stat(loc->bucket, &st) != 0 || !S_ISDIR(st.st_mode))
        return nb_error(NB_ERR_USAGE,
                        "BUCKET '%s': the folder %s does not exist: create it or mount the "
                        "volume there (a configuration error)",
                        loc->display, loc->bucket);
    fs = calloc(1, sizeof(*fs));
    if (!fs || !(fs->root = strdup(loc->bucket))) {
        free(fs);
        return NB_ERR_NOMEM;
    }
    *data = fs;
    return NB_OK;
}

static void file_close(void *data)
{
    struct file_session *fs = data;

    if (fs)
        free(fs->root);
    free(fs);
}

static nb_err file_stat(void *data, const char *key, struct storage_info *info)
{
    char *path = file_path(data, key);
    struct stat st;
    nb_err err = NB_OK;

    if (!path)
        return NB_ERR_NOMEM;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        info->exists = true;
        info->size = (uint64_t)st.st_size;
    } else if (errno != ENOENT && errno != ENOTDIR && !(errno == 0)) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_STAT ": %s", path, strerror(errno));
    }
    free(path);
    return err;
}

/* Lists the folder `dirkey` (relative to the root): files whose name starts
 * with `base`, and the files below folders whose name does (the interface
 * promises every key with the prefix, as object stores list them). */
static nb_err list_dir(struct file_session *fs, const char *dirkey, const char *base,
                       storage_list_cb cb, void *ctx, int depth)
{
    char *dirpath = file_path(fs, dirkey);
    DIR *dir;
    struct dirent *de;
    nb_err err = NB_OK;

    if (!dirpath)
        return NB_ERR_NOMEM;
    dir = opendir(dirpath);
    if (!dir) {
        if (errno != ENOENT && errno != ENOTDIR)
            err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_LIST ": %s", dirpath, strerror(errno));
        free(dirpath);
        return err;
    }
    while (!err && (de = readdir(dir)) != NULL) {
        char key[4096];
        struct stat st;

        /* Hidden names are temp files of writes in progress. */
        if (de->d_name[0] == '.' || strncmp(de->d_name, base, strlen(base)) != 0)
            continue;
        if (fstatat(dirfd(dir), de->d_name, &st, 0) != 0)
            continue;
        snprintf(key, sizeof(key), "%s%s%s", dirkey, dirkey[0] ? "/" : "", de->d_name);
        if (S_ISDIR(st.st_mode) && depth < 16)
            err = list_dir(fs, key, "", cb, ctx, depth + 1);
        else if (S_ISREG(st.st_mode))
            err = cb(ctx, key, (uint64_t)st.st_size);
    }
    closedir(dir);
    free(dirpath);
    return err;
}

static nb_err file_list(void *data, const char *prefix, storage_list_cb cb, void *ctx)
{
    const char *slash = strrchr(prefix, '/');
    char *dirkey = strndup(prefix, slash ? (size_t)(slash - prefix) : 0);
    nb_err err;

    if (!dirkey)
        return NB_ERR_NOMEM;
    err = list_dir(data, dirkey, slash ? slash + 1 : prefix, cb, ctx, 0);
    free(dirkey);
    return err;
}

/* A copy that does not move bytes through us: the kernel's copy_file_range
 * (a reflink where the file system has them) into a hidden temp file,
 * renamed over dst. Not a hard link: an in-place write to one name must
 * never change the other. */
static nb_err file_copy(void *data, const char *src, const char *dst)
{
    char *spath = file_path(data, src);
    char *dpath = file_path(data, dst);
    char tmp[4200];
    nb_err err = NB_OK;

    if (!spath || !dpath) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    fsutil_hide_temp(tmp, sizeof(tmp), dpath);
    err = fsutil_copy_file(spath, tmp);
    if (err == NB_ERR_NOT_FOUND)
        err = nb_error(NB_ERR_NOT_FOUND, STORAGE_MSG_COPY ": " STORAGE_MSG_MISSING, spath, dpath,
                       spath);
    if (err)
        goto out;
    if (rename(tmp, dpath) != 0) {
        err = nb_error(NB_ERR_STORAGE, STORAGE_MSG_COPY ": %s", spath, dpath, strerror(errno));
        unlink(tmp);
        goto out;
    }
    err = file_fsync_dir_of(dpath);
out:
    free(spath);
    free(dpath);
    return err;
}

static nb_err file_remove(void *data, const char *key)
{
    char *path = file_path(data, key);
    nb_err err = NB_OK;

    if (!path)
        return NB_ERR_NOMEM;
    if (unlink(path) != 0)
        err = nb_error(errno == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_STORAGE,
                       STORAGE_MSG_REMOVE ": %s", path, strerror(errno));
    free(path);
    return err;
}

const struct storage_driver file_driver = {
    .name = "file",
    .provider = PROVIDER_LOCAL,
    .features = STORAGE_SERVER_SIDE_COPY | STORAGE_RANGED_READ,
    .open = file_open,
    .close = file_close,
    .stat = file_stat,
    .list = file_list,
    .open_read = file_open_read,
    .open_write = file_open_write,
    .copy = file_copy,
    .remove = file_remove,
};
