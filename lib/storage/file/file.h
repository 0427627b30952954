/* The local driver: a folder on a local or mounted file system. */
#ifndef NB_STORAGE_FILE_H
#define NB_STORAGE_FILE_H

#include "storage/storage.h"

extern const struct storage_driver file_driver;

/* Internal to the driver (storage.c, read.c, write.c). */
struct file_session {
    char *root; /* absolute folder */
};

/* root + "/" + key, malloc'd. */
char *file_path(const struct file_session *fs, const char *key);
nb_err file_open_read(void *data, const char *key, uint64_t offset, uint64_t length,
                      struct storage_reader **out);
nb_err file_open_write(void *data, const char *key, uint64_t size_hint, unsigned flags,
                       struct storage_writer **out);
/* Writes a temp file beside `path` that `fill` fills from `fd`, then makes it
 * `path` atomically (fsync, rename, fsync folder). Shared by write and copy. */
nb_err file_fsync_dir_of(const char *path) NB_WARN_UNUSED;

#endif
