/*
 * secret_file.h: reading the small files credentials live in (a service
 * account key, an AWS credentials file, a web identity token, an Azure
 * KEY=VALUE file). Read whole, never executed; callers wipe the buffer
 * with secret_file_free().
 */
#ifndef NB_AUTH_SECRET_FILE_H
#define NB_AUTH_SECRET_FILE_H

#include <stddef.h>

#include "error.h"

/* Reads `path` (at most `max` bytes) NUL-terminated into *out. `what`
 * names the file in messages ("credentials file", "web identity token
 * file"); a missing, unreadable or larger file is NB_ERR_USAGE. */
nb_err secret_file_read(const char *path, size_t max, const char *what, char **out,
                        size_t *len) NB_WARN_UNUSED;
/* Wipes and frees what secret_file_read() gave. */
void secret_file_free(char *buf);

#endif
