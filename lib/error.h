/*
 * error.h: the one error type of the library.
 *
 * Every fallible function returns an nb_err. On failure it has also recorded
 * a message with nb_error(): what failed, on which object, and what to do.
 * Callers propagate the code (`if (err) goto out;`) and may prefix context
 * with nb_error_context(); the program logs nb_errmsg() once, at the top.
 * Numbers are stable: they appear in logs and tests.
 */
#ifndef NB_ERROR_H
#define NB_ERROR_H

#define NB_WARN_UNUSED  __attribute__((warn_unused_result))
#define NB_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum nb_err {
    NB_OK = 0,
    NB_ERR_USAGE = 1,       /* bad option, value or configuration */
    NB_ERR_NOT_FOUND = 2,   /* an object or backup does not exist */
    NB_ERR_STORAGE = 3,     /* storage I/O or protocol failure */
    NB_ERR_AUTH = 4,        /* authentication or permission refused */
    NB_ERR_INTEGRITY = 5,   /* checksum, truncation, unsafe archive, bad manifest */
    NB_ERR_ADMIN = 6,       /* neo4j-admin failed */
    NB_ERR_CONSISTENCY = 7, /* backup made, consistency check failed */
    NB_ERR_NO_SPACE = 8,    /* not enough room on the data volume */
    NB_ERR_LOCAL_IO = 9,    /* local file system failure */
    NB_ERR_NOMEM = 10,
    NB_ERR_INTERNAL = 11,
    NB_ERR_EXISTS = 12, /* an exclusive creation found the object there: a lost race */
} nb_err;

/* Records the message for `code` and returns `code`. */
nb_err nb_error(nb_err code, const char *fmt, ...) NB_PRINTF(2, 3);
/* Prefixes the recorded message with "context: ". Returns `code`. */
nb_err nb_error_context(nb_err code, const char *fmt, ...) NB_PRINTF(2, 3);
/* The last recorded message (thread-local), "" when none. */
const char *nb_errmsg(void);
void nb_error_clear(void);
/* A short stable name: "usage", "not-found", "storage", ... */
const char *nb_strerror(nb_err code);
/* The process exit status of DESIGN section 6 for this error. */
int nb_exit_code(nb_err code);

/* Exit statuses (DESIGN section 6). */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_NOT_FOUND = 3,
    EXIT_STORAGE = 4,
    EXIT_INTEGRITY = 5,
    EXIT_ADMIN = 6,
    EXIT_CONSISTENCY = 7,
    EXIT_NO_SPACE = 8,
};

#endif
