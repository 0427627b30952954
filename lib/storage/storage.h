/*
 * storage.h: the storage interface every provider implements.
 *
 * A driver is a table of functions (struct storage_driver) filled with
 * designated initialisers; storage.c picks it from the location's provider.
 * A new provider is one folder under lib/storage/ plus one line in the
 * table in storage.c.
 *
 * Object names given to the storage_* functions are relative to the
 * location (see naming.h); the generic layer joins the location's path, so
 * drivers see full keys ("path/neo4j/neo4j-2026-...tar.gz"). Objects are
 * immutable once written: a writer's bytes become visible under the name
 * only when commit() succeeds, all at once.
 *
 * Errors: every function returns an nb_err and records a message with
 * nb_error() that names the object (using the STORAGE_MSG_* formats below,
 * so every driver says the same thing the same way):
 *   NB_ERR_NOT_FOUND  the object (or bucket) does not exist
 *   NB_ERR_EXISTS     an exclusive creation (STORAGE_WRITE_EXCLUSIVE) found
 *                     the object there already
 *   NB_ERR_AUTH       the identity was refused (401/403)
 *   NB_ERR_STORAGE    anything else, after the driver's own retries
 */
#ifndef NB_STORAGE_H
#define NB_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "location.h"

#define STORAGE_MSG_OPEN_READ  "unable to open '%s' for read"
#define STORAGE_MSG_READ       "unable to read '%s'"
#define STORAGE_MSG_OPEN_WRITE "unable to open '%s' for write"
#define STORAGE_MSG_WRITE      "unable to write '%s'"
#define STORAGE_MSG_COMMIT     "unable to complete '%s'"
#define STORAGE_MSG_STAT       "unable to stat '%s'"
#define STORAGE_MSG_LIST       "unable to list '%s'"
#define STORAGE_MSG_COPY       "unable to copy '%s' to '%s'"
#define STORAGE_MSG_REMOVE     "unable to remove '%s'"
#define STORAGE_MSG_MISSING    "'%s' does not exist"
#define STORAGE_MSG_EXISTS     "'%s' exists already"

/* Feature mask of a driver. */
enum {
    STORAGE_SERVER_SIDE_COPY = 1u << 0, /* copy() does not move the bytes through us */
    STORAGE_RANGED_READ = 1u << 1,      /* open_read() honours offset and length */
};

/*
 * Flags of open_write().
 *
 * STORAGE_WRITE_EXCLUSIVE: create, never replace. The condition is checked
 * by the store atomically with commit(), not by an earlier stat: of two
 * writers racing for one name, exactly one commit() succeeds and the other
 * returns NB_ERR_EXISTS (message STORAGE_MSG_EXISTS), leaving the winner's
 * object untouched and nothing of its own visible. A driver may also find
 * the object at open_write() or at a write() (a store that checks the
 * condition when an upload starts) and return NB_ERR_EXISTS there. How each
 * store does it:
 *   local  rename without replacing: renameat2(RENAME_NOREPLACE), or link()
 *          then unlink() where the file system has no renameat2
 *   GCS    ifGenerationMatch=0 on the upload (HTTP 412: exists)
 *   S3     If-None-Match: * on PutObject / CompleteMultipartUpload (412); a
 *          multipart upload first takes KEY.lock with a conditional PUT,
 *          for stores that ignore the condition on the complete (RGW < 18)
 *   Azure  If-None-Match: * on Put Blob / Put Block List (409 BlobAlreadyExists
 *          or 412)
 * A store that cannot honour it must refuse the flag (NB_ERR_STORAGE), never
 * ignore it.
 */
enum { STORAGE_WRITE_EXCLUSIVE = 1u << 0 };

struct storage_info {
    bool exists;
    uint64_t size;
};

/*
 * A streamed read. read() fills up to `len` bytes and sets *got; *got == 0
 * with NB_OK means the end of the object (or of the requested range). A
 * driver may resume a dropped connection itself (a ranged request from the
 * last good byte), but must never return bytes twice or skip any. close()
 * frees the reader; it is always called, also after an error.
 */
struct storage_reader {
    nb_err (*read)(struct storage_reader *r, void *buf, size_t len, size_t *got);
    void (*close)(struct storage_reader *r);
    uint64_t size; /* the object's size when known, else 0 */
};

/*
 * A streamed write. write() may buffer up to a driver-chosen chunk (bounded
 * memory whatever the object's size). Exactly one of commit() or abort() is
 * called, and it frees the writer. commit() makes the object visible under
 * its final name all at once; on failure nothing is visible under that
 * name. abort() discards everything written (temp file removed, multipart
 * upload aborted).
 */
struct storage_writer {
    nb_err (*write)(struct storage_writer *w, const void *buf, size_t len);
    nb_err (*commit)(struct storage_writer *w);
    void (*abort)(struct storage_writer *w);
};

/* Called once per object by list(); `name` is relative to the location. A
 * non-zero return stops the listing and is returned by list(). */
typedef nb_err (*storage_list_cb)(void *ctx, const char *name, uint64_t size);

struct storage_options {
    const char *credentials_file; /* NULL: the ambient identity */
    /* Concurrent ranged GETs per read (PARALLEL_READS, default 4; 1: one
     * stream); storage_open() fills it, cloud drivers pass it to
     * http_read. */
    unsigned parallel_reads;
    /* Parts (S3) or blocks (Azure) uploaded at once (PARALLEL_UPLOADS,
     * default 4; 1: one at a time); storage_open() fills it. */
    unsigned parallel_uploads;
};

#define STORAGE_DEFAULT_PARALLEL_READS 4
#define STORAGE_MAX_PARALLEL_READS     16

/* PARALLEL_READS / PARALLEL_UPLOADS from the environment (default 4),
 * checked: a value that is not 1 to 16 is NB_ERR_USAGE naming it. */
nb_err storage_parallel_setting(const char *name, unsigned *out) NB_WARN_UNUSED;

struct storage_driver {
    const char *name;
    enum provider provider;
    unsigned features;

    /* Prepares a session for `loc` (credentials, endpoint). Required. */
    nb_err (*open)(const struct location *loc, const struct storage_options *opts, void **data);
    /* Frees the session. Required. */
    void (*close)(void *data);
    /* Fills info; a missing object is info->exists = false and NB_OK.
     * Required. */
    nb_err (*stat)(void *data, const char *key, struct storage_info *info);
    /* Calls cb for every object whose key starts with `prefix`, in any
     * order; keys passed to cb are full keys. Objects being written (temp
     * files, uncommitted uploads) are not listed. Required. */
    nb_err (*list)(void *data, const char *prefix, storage_list_cb cb, void *ctx);
    /* Opens `key` for a streamed read of `length` bytes from `offset`
     * (length 0: to the end). Offset and length may be ignored by drivers
     * without STORAGE_RANGED_READ only when both are 0. Required. */
    nb_err (*open_read)(void *data, const char *key, uint64_t offset, uint64_t length,
                        struct storage_reader **out);
    /* Opens `key` for a streamed write; size_hint (0: unknown) lets a
     * driver choose its part size; flags are STORAGE_WRITE_* (0: create or
     * replace). Required, and so is honouring STORAGE_WRITE_EXCLUSIVE. */
    nb_err (*open_write)(void *data, const char *key, uint64_t size_hint, unsigned flags,
                         struct storage_writer **out);
    /* Server-side copy of src to dst, replacing dst atomically. Optional:
     * without it, storage_copy() fails rather than upload the bytes twice. */
    nb_err (*copy)(void *data, const char *src, const char *dst);
    /* Removes key; NB_ERR_NOT_FOUND when it does not exist. Required. */
    nb_err (*remove)(void *data, const char *key);
};

struct storage;

nb_err storage_open(const struct location *loc, const struct storage_options *opts,
                    struct storage **out) NB_WARN_UNUSED;
void storage_close(struct storage *s);
const struct storage_driver *storage_driver_of(const struct storage *s);
/* "gs://bucket/path/name": the object as users see it, for messages. */
const char *storage_url(struct storage *s, const char *name);

nb_err storage_stat(struct storage *s, const char *name, struct storage_info *info) NB_WARN_UNUSED;
nb_err storage_list(struct storage *s, const char *prefix, storage_list_cb cb,
                    void *ctx) NB_WARN_UNUSED;
nb_err storage_open_read(struct storage *s, const char *name, uint64_t offset, uint64_t length,
                         struct storage_reader **out) NB_WARN_UNUSED;
nb_err storage_open_write(struct storage *s, const char *name, uint64_t size_hint,
                          struct storage_writer **out) NB_WARN_UNUSED;
/* As storage_open_write(), but exclusive (STORAGE_WRITE_EXCLUSIVE): the
 * commit fails with NB_ERR_EXISTS when `name` exists. Sets are written so. */
nb_err storage_open_write_new(struct storage *s, const char *name, uint64_t size_hint,
                              struct storage_writer **out) NB_WARN_UNUSED;
nb_err storage_copy(struct storage *s, const char *src, const char *dst) NB_WARN_UNUSED;
nb_err storage_remove(struct storage *s, const char *name) NB_WARN_UNUSED;

/* Small whole objects (manifests): reads at most `max` bytes, NUL-terminated;
 * a larger object is NB_ERR_INTEGRITY. */
nb_err storage_read_small(struct storage *s, const char *name, size_t max, char **buf,
                          size_t *len) NB_WARN_UNUSED;
nb_err storage_write_small(struct storage *s, const char *name, const void *buf,
                           size_t len) NB_WARN_UNUSED;
/* The same, exclusive (NB_ERR_EXISTS when `name` exists). */
nb_err storage_write_small_new(struct storage *s, const char *name, const void *buf,
                               size_t len) NB_WARN_UNUSED;

/* Reads everything from r into buf until len bytes or the end; *got tells. */
nb_err storage_read_full(struct storage_reader *r, void *buf, size_t len,
                         size_t *got) NB_WARN_UNUSED;

#endif
