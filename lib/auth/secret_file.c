/* Reading the small files credentials live in (see secret_file.h). */
#include "auth/secret_file.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nb_err secret_file_read(const char *path, size_t max, const char *what, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    *out = NULL;
    *len = 0;
    if (!f)
        return nb_error(NB_ERR_USAGE, "%s '%s' cannot be read: %s", what, path, strerror(errno));
    if (!(buf = malloc(max + 1))) {
        fclose(f);
        return nb_error(NB_ERR_NOMEM, "out of memory reading %s '%s'", what, path);
    }
    n = fread(buf, 1, max + 1, f);
    fclose(f);
    if (n > max) {
        secret_file_free(buf);
        return nb_error(NB_ERR_USAGE,
                        "%s '%s' is larger than %zu bytes: it is not what it should be", what, path,
                        max);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return NB_OK;
}

void secret_file_free(char *buf)
{
    if (buf) {
        OPENSSL_cleanse(buf, strlen(buf));
        free(buf);
    }
}
