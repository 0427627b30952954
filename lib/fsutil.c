#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"

void fsutil_hide_temp(char *buf, size_t len, const char *path)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;

    snprintf(buf, len, "%.*s.%s.tmp-%ld", dirlen, path, slash ? slash + 1 : path, (long)getpid());
}

/* The PID of a temp file's name ".NAME.tmp-PID", or 0 when it is not one. */
static long temp_owner(const char *name)
{
    const char *tag = strstr(name, ".tmp-");
    char *end;
    long pid;

    if (name[0] != '.' || !tag)
        return 0;
    while (strstr(tag + 1, ".tmp-"))
        tag = strstr(tag + 1, ".tmp-");
    pid = strtol(tag + 5, &end, 10);
    return tag[5] && !*end && pid > 0 ? pid : 0;
}

void fsutil_remove_stale_temps(const char *dir, bool owner)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        long pid = temp_owner(de->d_name);
        struct stat st, now;
        int fd;

        if (!pid)
            continue;
        /* Same PID namespace: a PID that runs and is not ours may be the
         * writer between its open() and its flock(); leave it. */
        if (!owner && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue;
        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* A live writer holds the lock (also one of ours, on another open
         * file description); the name must still be this file. */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (owner || flock(fd, LOCK_EX | LOCK_NB) == 0) &&
            fstatat(dirfd(d), de->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
            now.st_ino == st.st_ino && now.st_dev == st.st_dev) {
            if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                log_info("removed %s/%s (%lld bytes), left by process %ld that was stopped "
                         "before it finished",
                         dir, de->d_name, (long long)st.st_size, pid);
            else
                log_warn("unable to remove the stale temp file %s/%s: %s", dir, de->d_name,
                         strerror(errno));
        }
        close(fd);
    }
    closedir(d);
}

nb_err fsutil_mkdir_p(const char *dir, mode_t mode)
{
    char path[4096];
    size_t len = strlen(dir);

    if (len >= sizeof(path))
        return nb_error(NB_ERR_LOCAL_IO, "path too long: '%s'", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, mode) != 0 && errno != EEXIST)
            return nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO,
                            "unable to create folder '%s': %s", path, strerror(errno));
        if (i < len)
            path[i] = '/';
    }
    return NB_OK;
}

nb_err fsutil_mkdir_parents(const char *path, mode_t mode)
{
    char *copy = strdup(path);
    nb_err err;

    if (!copy)
        return NB_ERR_NOMEM;
    err = fsutil_mkdir_p(dirname(copy), mode);
    free(copy);
    return err;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT) {
        nb_error(NB_ERR_LOCAL_IO, "unable to remove '%s': %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

nb_err fsutil_remove_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT
                   ? NB_OK
                   : nb_error(NB_ERR_LOCAL_IO, "unable to remove '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0
                   ? NB_OK
                   : nb_error(NB_ERR_LOCAL_IO, "unable to remove '%s': %s", path, strerror(errno));
    return nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) == 0 ? NB_OK : NB_ERR_LOCAL_IO;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (lchown(path, chown_uid, chown_gid) != 0) {
        nb_error(NB_ERR_LOCAL_IO, "unable to hand '%s' to %ld:%ld: %s", path, (long)chown_uid,
                 (long)chown_gid, strerror(errno));
        return 1;
    }
    return 0;
}

nb_err fsutil_chown_tree(const char *path, uid_t uid, gid_t gid)
{
    chown_uid = uid;
    chown_gid = gid;
    if (!fsutil_exists(path))
        return NB_OK;
    return nftw(path, chown_one, 32, FTW_PHYS) == 0 ? NB_OK : NB_ERR_LOCAL_IO;
}

nb_err fsutil_copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = -1;
    nb_err err = NB_OK;

    if (in < 0)
        return nb_error(errno == ENOENT ? NB_ERR_NOT_FOUND : NB_ERR_LOCAL_IO,
                        "unable to open '%s' for read: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    /* dst is usually a temp file: locked, so no cleaner takes it for stale. */
    if (out >= 0)
        (void)flock(out, LOCK_EX | LOCK_NB);
    if (out < 0) {
        err = nb_error(NB_ERR_LOCAL_IO, "unable to open '%s' for write: %s", dst, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            break;
        if (n < 0) {
            err = nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO,
                           "unable to copy '%s' to '%s': %s", src, dst, strerror(errno));
            break;
        }
    }
    if (!err && fsync(out) != 0)
        err = nb_error(NB_ERR_LOCAL_IO, "unable to sync '%s': %s", dst, strerror(errno));
out:
    close(in);
    if (out >= 0)
        close(out);
    if (err)
        unlink(dst);
    return err;
}

nb_err fsutil_free_bytes(const char *path, uint64_t *bytes)
{
    struct statvfs sv;

    if (statvfs(path, &sv) != 0)
        return nb_error(NB_ERR_LOCAL_IO, "unable to read the free space of '%s': %s", path,
                        strerror(errno));
    *bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    return NB_OK;
}

/* nftw() has no context argument: the walks keep theirs per thread. */
struct inode_id {
    dev_t dev;
    ino_t ino;
};
static _Thread_local uint64_t tree_bytes, tree_files;
static _Thread_local struct inode_id *tree_links; /* files with several names, seen */
static _Thread_local size_t tree_n_links, tree_cap_links;
static _Thread_local bool tree_nomem;

/* True the first time a multiply linked file is met. */
static bool first_link(const struct stat *st)
{
    struct inode_id *grown;

    for (size_t i = 0; i < tree_n_links; i++) {
        if (tree_links[i].dev == st->st_dev && tree_links[i].ino == st->st_ino)
            return false;
    }
    if (tree_n_links == tree_cap_links) {
        size_t cap = tree_cap_links ? tree_cap_links * 2 : 16;
        if (!(grown = realloc(tree_links, cap * sizeof(*grown)))) {
            tree_nomem = true;
            return false;
        }
        tree_links = grown;
        tree_cap_links = cap;
    }
    tree_links[tree_n_links].dev = st->st_dev;
    tree_links[tree_n_links++].ino = st->st_ino;
    return true;
}

static int size_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F && S_ISREG(st->st_mode) && (st->st_nlink < 2 || first_link(st))) {
        tree_bytes += (uint64_t)st->st_size;
        tree_files++;
    }
    return tree_nomem ? 1 : 0;
}

nb_err fsutil_tree_size(const char *path, uint64_t *bytes, uint64_t *files)
{
    int r;

    tree_bytes = tree_files = 0;
    tree_n_links = 0;
    tree_nomem = false;
    r = nftw(path, size_one, 32, FTW_PHYS);
    free(tree_links);
    tree_links = NULL;
    tree_cap_links = 0;
    if (tree_nomem)
        return NB_ERR_NOMEM;
    if (r != 0)
        return nb_error(NB_ERR_LOCAL_IO, "unable to read the folder '%s': %s", path,
                        strerror(errno));
    *bytes = tree_bytes;
    *files = tree_files;
    return NB_OK;
}

static _Thread_local EVP_MD_CTX *tree_md;

static int fingerprint_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    long long fields[8] = {
        (long long)st->st_mode,        (long long)st->st_ino,
        (long long)st->st_size,        (long long)st->st_nlink,
        (long long)st->st_mtim.tv_sec, (long long)st->st_mtim.tv_nsec,
        (long long)st->st_ctim.tv_sec, (long long)st->st_ctim.tv_nsec,
    };

    (void)flag;
    (void)ftw;
    EVP_DigestUpdate(tree_md, path, strlen(path) + 1);
    EVP_DigestUpdate(tree_md, fields, sizeof(fields));
    return 0;
}

nb_err fsutil_tree_fingerprint(const char *const *paths, size_t n, unsigned char digest[32])
{
    unsigned int len = 0;
    nb_err err = NB_OK;

    tree_md = EVP_MD_CTX_new();
    if (!tree_md || EVP_DigestInit_ex(tree_md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(tree_md);
        return nb_error(NB_ERR_INTERNAL, "unable to start SHA-256");
    }
    for (size_t i = 0; i < n && !err; i++) {
        EVP_DigestUpdate(tree_md, paths[i], strlen(paths[i]) + 1);
        if (fsutil_exists(paths[i]) && nftw(paths[i], fingerprint_one, 32, FTW_PHYS) != 0)
            err = nb_error(NB_ERR_LOCAL_IO, "unable to read the folder '%s': %s", paths[i],
                           strerror(errno));
    }
    if (!err && EVP_DigestFinal_ex(tree_md, digest, &len) != 1)
        err = nb_error(NB_ERR_INTERNAL, "unable to finish SHA-256");
    EVP_MD_CTX_free(tree_md);
    tree_md = NULL;
    return err;
}

bool fsutil_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool fsutil_dir_has_entries(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    bool found = false;

    if (!dir)
        return false;
    while (!found && (de = readdir(dir)) != NULL)
        found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(dir);
    return found;
}

static nb_err sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd;

    if (!copy)
        return NB_ERR_NOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return nb_error(NB_ERR_LOCAL_IO, "unable to open the folder of '%s': %s", path,
                        strerror(errno));
    fsync(fd);
    close(fd);
    return NB_OK;
}

nb_err fsutil_write_durable(const char *path, const char *content)
{
    char tmp[4200];
    size_t len = strlen(content);
    int fd;
    nb_err err;

    fsutil_hide_temp(tmp, sizeof(tmp), path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO,
                        "unable to write '%s': %s", path, strerror(errno));
    if (write(fd, content, len) != (ssize_t)len || fsync(fd) != 0) {
        err = nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO,
                       "unable to write '%s': %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return err;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        err = nb_error(NB_ERR_LOCAL_IO, "unable to write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return err;
    }
    return sync_dir_of(path);
}

nb_err fsutil_unlink_durable(const char *path)
{
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return NB_OK;
        return nb_error(NB_ERR_LOCAL_IO, "unable to remove '%s': %s", path, strerror(errno));
    }
    return sync_dir_of(path);
}
