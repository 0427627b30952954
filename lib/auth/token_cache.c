/* The one cache of temporary credentials (see token_cache.h). */
#include "auth/token_cache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct token_cache {
    pthread_mutex_t lock;
    token_fetch_fn fetch;
    token_identity_fn identity;
    void *ctx;
    struct auth_token cur;
    bool have;
    double obtained; /* monotonic seconds */
};

static void wipe(char **s)
{
    if (*s) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

void auth_token_clear(struct auth_token *t)
{
    wipe(&t->token);
    wipe(&t->secret);
    wipe(&t->session);
    t->lifetime = 0;
}

nb_err auth_token_copy(const struct auth_token *in, struct auth_token *out)
{
    memset(out, 0, sizeof(*out));
    out->lifetime = in->lifetime;
    if ((in->token && !(out->token = strdup(in->token))) ||
        (in->secret && !(out->secret = strdup(in->secret))) ||
        (in->session && !(out->session = strdup(in->session)))) {
        auth_token_clear(out);
        return nb_error(NB_ERR_NOMEM, "out of memory copying credentials");
    }
    return NB_OK;
}

nb_err token_cache_new(token_fetch_fn fetch, token_identity_fn identity, void *ctx,
                       struct token_cache **out)
{
    struct token_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return nb_error(NB_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    c->fetch = fetch;
    c->identity = identity;
    c->ctx = ctx;
    *out = c;
    return NB_OK;
}

void token_cache_free(struct token_cache *c)
{
    if (!c)
        return;
    auth_token_clear(&c->cur);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

nb_err token_cache_set_static(struct token_cache *c, const struct auth_token *t)
{
    nb_err err;

    pthread_mutex_lock(&c->lock);
    auth_token_clear(&c->cur);
    err = auth_token_copy(t, &c->cur);
    c->cur.lifetime = 0;
    c->have = !err;
    c->obtained = monotonic_seconds();
    pthread_mutex_unlock(&c->lock);
    return err;
}

nb_err token_cache_get(struct token_cache *c, bool refresh, struct auth_token *out)
{
    double now = monotonic_seconds();
    nb_err err = NB_OK;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&c->lock);
    if (!c->have || (c->fetch && (refresh || !token_fresh(now, c->obtained, c->cur.lifetime)))) {
        struct auth_token fresh = {0};
        if (!c->fetch) {
            err = nb_error(NB_ERR_AUTH, "the credentials of %s were refused",
                           c->identity ? c->identity(c->ctx) : "this identity");
            goto out;
        }
        if (c->have)
            log_info("fetching a new access token for %s (%s)",
                     c->identity ? c->identity(c->ctx) : "this identity",
                     refresh ? "the last one was refused" : "the last one is about to expire");
        if ((err = c->fetch(c->ctx, &fresh)))
            goto out;
        auth_token_clear(&c->cur);
        c->cur = fresh;
        c->have = true;
        c->obtained = now;
    }
    err = auth_token_copy(&c->cur, out);
out:
    pthread_mutex_unlock(&c->lock);
    return err;
}

nb_err token_cache_bearer_sign(void *ctx, struct http_sign_request *req, bool refresh,
                               struct curl_slist **headers)
{
    struct auth_token t;
    nb_err err = token_cache_get(ctx, refresh, &t);
    size_t len;
    char *value;

    (void)req;
    if (err)
        return err;
    len = strlen(t.token) + sizeof("Bearer ");
    if (!(value = malloc(len))) {
        auth_token_clear(&t);
        return nb_error(NB_ERR_NOMEM, "out of memory");
    }
    snprintf(value, len, "Bearer %s", t.token);
    err = http_slist_add(headers, "Authorization", value);
    OPENSSL_cleanse(value, len);
    free(value);
    auth_token_clear(&t);
    return err;
}

double token_refresh_margin(double lifetime)
{
    double m = lifetime / 4;
    return m > 300 ? 300 : m;
}

bool token_fresh(double now, double obtained, double lifetime)
{
    if (lifetime <= 0)
        return true;
    return now < obtained + lifetime - token_refresh_margin(lifetime);
}
