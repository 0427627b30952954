/* fsutil.h: local file system helpers shared by both programs. */
#ifndef NB_FSUTIL_H
#define NB_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* "dir/.base.tmp-PID" for path "dir/base": the hidden name of a write in
 * progress (listings skip hidden names). */
void fsutil_hide_temp(char *buf, size_t len, const char *path);
/* Removes the temp files (".NAME.tmp-PID", fsutil_hide_temp) in `dir` that
 * no live writer holds: nobody holds their flock() and PID is ours or does
 * not run here. With `owner` (the caller holds a lock that keeps every
 * other writer out of dir) every one of them is stale. Each removal is
 * logged; failures are logged and otherwise ignored. */
void fsutil_remove_stale_temps(const char *dir, bool owner);
/* A digest of the trees at paths[0..n): every name with its type, size,
 * inode and change times. Equal digests: nothing under them changed. A
 * missing path counts as empty. */
nb_err fsutil_tree_fingerprint(const char *const *paths, size_t n,
                               unsigned char digest[32]) NB_WARN_UNUSED;
/* mkdir -p of `dir`. */
nb_err fsutil_mkdir_p(const char *dir, mode_t mode) NB_WARN_UNUSED;
/* mkdir -p of the folder holding `path`. */
nb_err fsutil_mkdir_parents(const char *path, mode_t mode) NB_WARN_UNUSED;
/* rm -rf; a missing path is fine. */
nb_err fsutil_remove_tree(const char *path) NB_WARN_UNUSED;
/* chown -R (no symlink following). */
nb_err fsutil_chown_tree(const char *path, uid_t uid, gid_t gid) NB_WARN_UNUSED;
/* Copies src to dst (the kernel's copy_file_range), fsync'd. */
nb_err fsutil_copy_file(const char *src, const char *dst) NB_WARN_UNUSED;
/* Bytes available to an unprivileged writer on the volume holding path. */
nb_err fsutil_free_bytes(const char *path, uint64_t *bytes) NB_WARN_UNUSED;
/* Sum of regular files' sizes and their count below path; a file with
 * several hard links counts once. */
nb_err fsutil_tree_size(const char *path, uint64_t *bytes, uint64_t *files) NB_WARN_UNUSED;
bool fsutil_exists(const char *path);
/* A folder holding at least one entry. */
bool fsutil_dir_has_entries(const char *path);
/* Writes a small file durably (temp, fsync, rename, fsync folder). */
nb_err fsutil_write_durable(const char *path, const char *content) NB_WARN_UNUSED;
/* Removes a file and syncs its folder; a missing file is fine. */
nb_err fsutil_unlink_durable(const char *path) NB_WARN_UNUSED;

#endif
