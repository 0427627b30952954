#include "storage/storage.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/azure/azure.h"
#include "storage/file/file.h"
#include "storage/gcs/gcs.h"
#include "storage/s3/s3.h"

/* One line per provider. */
static const struct storage_driver *const drivers[] = {
    &file_driver,
    &gcs_driver,
    &s3_driver,
    &azure_driver,
};

struct storage {
    const struct storage_driver *driver;
    void *data;
    const struct location *loc;
    char url[4096];
};

nb_err storage_open(const struct location *loc, const struct storage_options *opts,
                    struct storage **out)
{
    const struct storage_driver *driver = NULL;
    struct storage *s;
    nb_err err;

    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (drivers[i]->provider == loc->provider)
            driver = drivers[i];
    }
    if (!driver)
        return nb_error(NB_ERR_INTERNAL, "BUCKET '%s': no driver for the %s provider", loc->display,
                        provider_name(loc->provider));
    {
        struct storage_options o = {0};
        if (opts)
            o = *opts;
        if ((err = storage_parallel_setting("PARALLEL_READS", &o.parallel_reads)) ||
            (err = storage_parallel_setting("PARALLEL_UPLOADS", &o.parallel_uploads)))
            return err;
        s = calloc(1, sizeof(*s));
        if (!s)
            return NB_ERR_NOMEM;
        s->driver = driver;
        s->loc = loc;
        err = driver->open(loc, &o, &s->data);
    }
    if (err) {
        free(s);
        return err;
    }
    *out = s;
    return NB_OK;
}

nb_err storage_parallel_setting(const char *name, unsigned *out)
{
    unsigned long long n = STORAGE_DEFAULT_PARALLEL_READS;
    nb_err err = config_env_number(name, 1, STORAGE_MAX_PARALLEL_READS, &n);

    *out = (unsigned)n;
    return err;
}

void storage_close(struct storage *s)
{
    if (!s)
        return;
    s->driver->close(s->data);
    free(s);
}

const struct storage_driver *storage_driver_of(const struct storage *s)
{
    return s->driver;
}

const char *storage_url(struct storage *s, const char *name)
{
    snprintf(s->url, sizeof(s->url), "%s/%s", s->loc->display, name);
    return s->url;
}

nb_err storage_stat(struct storage *s, const char *name, struct storage_info *info)
{
    char *key = location_key(s->loc, name);
    nb_err err;

    if (!key)
        return NB_ERR_NOMEM;
    memset(info, 0, sizeof(*info));
    err = s->driver->stat(s->data, key, info);
    free(key);
    return err;
}

struct list_ctx {
    size_t strip;
    storage_list_cb cb;
    void *ctx;
};

static nb_err list_strip(void *ctx, const char *key, uint64_t size)
{
    struct list_ctx *lc = ctx;
    return lc->cb(lc->ctx, key + lc->strip, size);
}

nb_err storage_list(struct storage *s, const char *prefix, storage_list_cb cb, void *ctx)
{
    char *key = location_key(s->loc, prefix);
    struct list_ctx lc = {.strip = strlen(s->loc->prefix), .cb = cb, .ctx = ctx};
    nb_err err;

    if (!key)
        return NB_ERR_NOMEM;
    if (lc.strip)
        lc.strip++; /* the '/' after the prefix */
    err = s->driver->list(s->data, key, list_strip, &lc);
    free(key);
    return err;
}

nb_err storage_open_read(struct storage *s, const char *name, uint64_t offset, uint64_t length,
                         struct storage_reader **out)
{
    char *key = location_key(s->loc, name);
    nb_err err;

    if (!key)
        return NB_ERR_NOMEM;
    if ((offset || length) && !(s->driver->features & STORAGE_RANGED_READ))
        err = nb_error(NB_ERR_INTERNAL, "the %s driver cannot read a byte range of '%s'",
                       s->driver->name, key);
    else
        err = s->driver->open_read(s->data, key, offset, length, out);
    free(key);
    return err;
}

static nb_err open_write(struct storage *s, const char *name, uint64_t size_hint, unsigned flags,
                         struct storage_writer **out)
{
    char *key = location_key(s->loc, name);
    nb_err err;

    if (!key)
        return NB_ERR_NOMEM;
    err = s->driver->open_write(s->data, key, size_hint, flags, out);
    free(key);
    return err;
}

nb_err storage_open_write(struct storage *s, const char *name, uint64_t size_hint,
                          struct storage_writer **out)
{
    return open_write(s, name, size_hint, 0, out);
}

nb_err storage_open_write_new(struct storage *s, const char *name, uint64_t size_hint,
                              struct storage_writer **out)
{
    return open_write(s, name, size_hint, STORAGE_WRITE_EXCLUSIVE, out);
}

nb_err storage_copy(struct storage *s, const char *src, const char *dst)
{
    char *skey, *dkey;
    nb_err err;

    if (!s->driver->copy)
        return nb_error(NB_ERR_STORAGE, "the %s driver has no server-side copy for '%s'",
                        s->driver->name, src);
    skey = location_key(s->loc, src);
    dkey = location_key(s->loc, dst);
    err = skey && dkey ? s->driver->copy(s->data, skey, dkey) : NB_ERR_NOMEM;
    free(skey);
    free(dkey);
    return err;
}

nb_err storage_remove(struct storage *s, const char *name)
{
    char *key = location_key(s->loc, name);
    nb_err err;

    if (!key)
        return NB_ERR_NOMEM;
    err = s->driver->remove(s->data, key);
    free(key);
    return err;
}

nb_err storage_read_full(struct storage_reader *r, void *buf, size_t len, size_t *got)
{
    size_t total = 0;

    while (total < len) {
        size_t n = 0;
        nb_err err = r->read(r, (char *)buf + total, len - total, &n);
        if (err)
            return err;
        if (n == 0)
            break;
        total += n;
    }
    *got = total;
    return NB_OK;
}

nb_err storage_read_small(struct storage *s, const char *name, size_t max, char **buf, size_t *len)
{
    struct storage_reader *r = NULL;
    char *data = malloc(max + 2);
    size_t got = 0;
    nb_err err;

    if (!data)
        return NB_ERR_NOMEM;
    err = storage_open_read(s, name, 0, 0, &r);
    if (!err)
        err = storage_read_full(r, data, max + 1, &got);
    if (r)
        r->close(r);
    if (!err && got > max)
        err = nb_error(NB_ERR_INTEGRITY, "'%s' is larger than %zu bytes: it is not a manifest",
                       storage_url(s, name), max);
    if (err) {
        free(data);
        return err;
    }
    data[got] = '\0';
    *buf = data;
    *len = got;
    return NB_OK;
}

static nb_err write_small(struct storage *s, const char *name, const void *buf, size_t len,
                          unsigned flags)
{
    struct storage_writer *w = NULL;
    nb_err err = open_write(s, name, len, flags, &w);

    if (err)
        return err;
    err = w->write(w, buf, len);
    if (err) {
        w->abort(w);
        return err;
    }
    return w->commit(w);
}

nb_err storage_write_small(struct storage *s, const char *name, const void *buf, size_t len)
{
    return write_small(s, name, buf, len, 0);
}

nb_err storage_write_small_new(struct storage *s, const char *name, const void *buf, size_t len)
{
    return write_small(s, name, buf, len, STORAGE_WRITE_EXCLUSIVE);
}
