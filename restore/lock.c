/*
 * neo4j-restore: one restore at a time per DATA_DIR.
 *
 * The lock is an flock() on DATA_DIR/.restore/.lock, held for the whole run
 * and released by the kernel when the process dies, however it dies. A
 * second run waits for it (RESTORE_LOCK_TIMEOUT seconds, logged), then
 * gives up with exit 2; it never touches the staging folder or the marker
 * of the run that holds it. The holder writes its PID into the file, for
 * the waiter's message. Releasing unlinks the file while still holding it,
 * so a waiter that then gets the lock of the unlinked file sees that the
 * name now leads elsewhere (or nowhere) and tries again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "restore.h"

#define LOCK_POLL_NS   (100 * 1000 * 1000)
#define LOCK_LOG_EVERY 30.0

/* The PID the holder wrote, or 0. */
static long holder_of(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    long pid = 0;

    if (n > 0)
        sscanf(buf, "%ld", &pid);
    return pid;
}

/* True when fd is still the file named path. */
static bool still_named(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

nb_err restore_lock(const struct restore_config *cfg, struct restore_run *run)
{
    char root[CONFIG_PATH_MAX + 64], path[CONFIG_PATH_MAX + 64];
    double started = monotonic_seconds(), logged = 0;
    long holder = 0;
    nb_err err;

    restore_path(cfg, root, sizeof(root), ".restore%s", "");
    snprintf(path, sizeof(path), "%s/.lock", root);
    for (;;) {
        int fd;
        char pid[32];

        if ((err = fsutil_mkdir_p(root, 0750)))
            return err;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* the holder removed .restore just now */
            return nb_error(errno == ENOSPC ? NB_ERR_NO_SPACE : NB_ERR_LOCAL_IO,
                            "unable to open the restore lock '%s': %s", path, strerror(errno));
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (!still_named(fd, path)) {
                close(fd);
                continue;
            }
            snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
                log_warn("unable to note this run in '%s': %s", path, strerror(errno));
            run->lock_fd = fd;
            if (logged > 0)
                log_info("got the restore lock of DATA_DIR %s after %.1f s", cfg->data_dir,
                         monotonic_seconds() - started);
            /* Nobody else works in .restore now: every temp file there was
             * left by a killed run (a marker being written). */
            fsutil_remove_stale_temps(root, true);
            return NB_OK;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            err = nb_error(NB_ERR_LOCAL_IO, "unable to lock '%s': %s", path, strerror(errno));
            close(fd);
            return err;
        }
        holder = holder_of(fd);
        close(fd);
        {
            double waited = monotonic_seconds() - started;
            struct timespec ts = {0, LOCK_POLL_NS};

            char who[48] = "";

            if (holder > 0)
                snprintf(who, sizeof(who), " (pid %ld)", holder);
            if (waited >= (double)cfg->lock_timeout)
                return nb_error(NB_ERR_USAGE,
                                "another neo4j-restore%s is restoring into DATA_DIR %s and still "
                                "holds %s after %.0f s (RESTORE_LOCK_TIMEOUT=%ld): two restores "
                                "must not share one data volume; this run changed nothing",
                                who, cfg->data_dir, path, waited, cfg->lock_timeout);
            if (logged == 0 || waited - logged >= LOCK_LOG_EVERY) {
                log_warn("another neo4j-restore%s is restoring into DATA_DIR %s: waiting up to "
                         "%ld s for it to finish (RESTORE_LOCK_TIMEOUT)",
                         who, cfg->data_dir, cfg->lock_timeout);
                logged = waited > 0 ? waited : 1e-9;
            }
            nanosleep(&ts, NULL);
        }
    }
}

void restore_unlock(const struct restore_config *cfg, struct restore_run *run)
{
    char root[CONFIG_PATH_MAX + 64], path[CONFIG_PATH_MAX + 64];

    if (run->lock_fd < 0)
        return;
    restore_path(cfg, root, sizeof(root), ".restore%s", "");
    snprintf(path, sizeof(path), "%s/.lock", root);
    /* Still holding it: unlink, then .restore itself when nothing else is
     * in it, so a finished run leaves DATA_DIR as Neo4j expects it. */
    if (still_named(run->lock_fd, path))
        unlink(path);
    if (rmdir(root) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
        log_warn("unable to remove '%s': %s", root, strerror(errno));
    close(run->lock_fd);
    run->lock_fd = -1;
}
