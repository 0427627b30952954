#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errbuf[2048];

nb_err nb_error(nb_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return code;
}

nb_err nb_error_context(nb_err code, const char *fmt, ...)
{
    char ctx[512];
    char old[sizeof(errbuf)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof(old));
    snprintf(errbuf, sizeof(errbuf), "%s: %s", ctx, old[0] ? old : nb_strerror(code));
    return code;
}

const char *nb_errmsg(void)
{
    return errbuf;
}

void nb_error_clear(void)
{
    errbuf[0] = '\0';
}

static const struct {
    const char *name;
    int exit_code;
} error_table[] = {
    [NB_OK] = {"ok", EXIT_OK},
    [NB_ERR_USAGE] = {"usage", EXIT_USAGE},
    [NB_ERR_NOT_FOUND] = {"not-found", EXIT_NOT_FOUND},
    [NB_ERR_STORAGE] = {"storage", EXIT_STORAGE},
    [NB_ERR_AUTH] = {"auth", EXIT_STORAGE},
    [NB_ERR_INTEGRITY] = {"integrity", EXIT_INTEGRITY},
    [NB_ERR_ADMIN] = {"neo4j-admin", EXIT_ADMIN},
    [NB_ERR_CONSISTENCY] = {"consistency", EXIT_CONSISTENCY},
    [NB_ERR_NO_SPACE] = {"no-space", EXIT_NO_SPACE},
    [NB_ERR_LOCAL_IO] = {"local-io", EXIT_STORAGE},
    [NB_ERR_NOMEM] = {"out-of-memory", EXIT_STORAGE},
    [NB_ERR_INTERNAL] = {"internal", EXIT_STORAGE},
    [NB_ERR_EXISTS] = {"exists", EXIT_USAGE},
};

const char *nb_strerror(nb_err code)
{
    if ((unsigned)code >= sizeof(error_table) / sizeof(error_table[0]))
        return "unknown";
    return error_table[code].name;
}

int nb_exit_code(nb_err code)
{
    if ((unsigned)code >= sizeof(error_table) / sizeof(error_table[0]))
        return EXIT_STORAGE;
    return error_table[code].exit_code;
}
