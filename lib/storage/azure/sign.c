/* sign.c: Shared Key signing, base64, x-ms-date and block ids (see sign.h). */
#include "storage/azure/sign.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

/* One header or query parameter: name (lowercased for x-ms-* headers and
 * query names) and value, both malloc'd. */
struct pair {
    char *name;
    char *value;
};

static void pairs_free(struct pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A copy of s[0..n) without leading and trailing blanks. */
static char *trimmed(const char *s, size_t n)
{
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1]))
        n--;
    return strndup(s, n);
}

static char *lowered(char *s)
{
    for (char *p = s; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

/* Splits "Name: value" (curl's "Name;" is an empty value). False when the
 * line is not a header. */
static bool split_header(const char *line, char **name, char **value)
{
    const char *colon = strchr(line, ':');
    const char *semi = strchr(line, ';');
    if (!colon && semi && semi[1] == '\0')
        colon = semi;
    if (!colon || colon == line)
        return false;
    *name = trimmed(line, (size_t)(colon - line));
    *value = trimmed(colon + 1, strlen(colon + 1));
    return true;
}

/* The value of the standard header `name` (first one), "" when absent. */
static nb_err std_header(const struct curl_slist *headers, const char *name, char **out)
{
    for (const struct curl_slist *h = headers; h; h = h->next) {
        char *n = NULL, *v = NULL;
        if (!split_header(h->data, &n, &v))
            continue;
        if (!n || !v) {
            free(n);
            free(v);
            return nb_error(NB_ERR_NOMEM, "out of memory signing a request");
        }
        bool match = strcasecmp(n, name) == 0;
        free(n);
        if (match) {
            *out = v;
            return NB_OK;
        }
        free(v);
    }
    *out = strdup("");
    return *out ? NB_OK : nb_error(NB_ERR_NOMEM, "out of memory signing a request");
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decoding ('+' stays '+'). malloc'd. */
static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Appends the sorted pairs as "\nname:v1,v2" (query) or "name:v1,v2\n"
 * (headers), joining the values of repeated names. */
static void add_sorted(struct strbuf *b, struct pair *p, size_t n, bool query)
{
    if (n > 1)
        qsort(p, n, sizeof *p, pair_cmp);
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(p[i].name, p[i - 1].name) == 0;
        if (same) {
            strbuf_add(b, ",");
        } else {
            if (i > 0 && !query)
                strbuf_add(b, "\n");
            if (query)
                strbuf_add(b, "\n");
            strbuf_add(b, p[i].name);
            strbuf_add(b, ":");
        }
        strbuf_add(b, p[i].value);
    }
    if (n && !query)
        strbuf_add(b, "\n");
}

static nb_err canonical_headers(const struct curl_slist *headers, struct strbuf *b)
{
    size_t n = 0, cap = 0;
    struct pair *p = NULL;
    nb_err err = NB_OK;
    for (const struct curl_slist *h = headers; h; h = h->next) {
        char *name = NULL, *value = NULL;
        if (!split_header(h->data, &name, &value))
            continue;
        if (!name || !value || (lowered(name), strncmp(name, "x-ms-", 5) != 0)) {
            bool oom = !name || !value;
            free(name);
            free(value);
            if (oom) {
                err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
                goto out;
            }
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct pair *q = realloc(p, cap * sizeof *p);
            if (!q) {
                free(name);
                free(value);
                err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
                goto out;
            }
            p = q;
        }
        p[n].name = name;
        p[n].value = value;
        n++;
    }
    add_sorted(b, p, n, false);
out:
    pairs_free(p, n);
    return err;
}

static nb_err canonical_query(const char *query, struct strbuf *b)
{
    size_t n = 0, cap = 0;
    struct pair *p = NULL;
    nb_err err = NB_OK;
    const char *s = query;
    while (s && *s) {
        size_t len = strcspn(s, "&");
        if (len > 0) {
            const char *eq = memchr(s, '=', len);
            if (!eq || eq == s || eq + 1 == s + len) {
                err = nb_error(NB_ERR_INTERNAL,
                               "cannot sign a request with the query parameter '%.*s': "
                               "every parameter needs a name and a value",
                               (int)(eq ? eq - s : (int)len), s);
                goto out;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                struct pair *q = realloc(p, cap * sizeof *p);
                if (!q) {
                    err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
                    goto out;
                }
                p = q;
            }
            p[n].name = pct_decode(s, (size_t)(eq - s));
            p[n].value = pct_decode(eq + 1, (size_t)(s + len - eq - 1));
            n++;
            if (!p[n - 1].name || !p[n - 1].value) {
                err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
                goto out;
            }
            lowered(p[n - 1].name);
        }
        s += len;
        if (*s == '&')
            s++;
    }
    add_sorted(b, p, n, true);
out:
    pairs_free(p, n);
    return err;
}

nb_err azure_string_to_sign(const char *method, const char *account, const char *url,
                            const struct curl_slist *headers, char **out)
{
    static const char *const standard[] = {
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-MD5",
        "Content-Type",
        "Date",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Unmodified-Since",
        "Range",
    };
    struct strbuf b = {0};
    nb_err err = NB_OK;
    *out = NULL;

    const char *host = strstr(url, "://");
    if (!host || !host[3] || host[3] == '/')
        return nb_error(NB_ERR_INTERNAL, "cannot sign a request for '%s': not an absolute URL",
                        url);
    host += 3;
    size_t hostlen = strcspn(host, "/?#");
    const char *path = host + hostlen;
    size_t pathlen = *path == '/' ? strcspn(path, "?#") : 0;
    const char *query = path[pathlen] == '?' ? path + pathlen + 1 : NULL;
    char *query_copy = query ? strndup(query, strcspn(query, "#")) : NULL;
    if (query && !query_copy)
        return nb_error(NB_ERR_NOMEM, "out of memory signing a request");

    for (const char *m = method; *m; m++) {
        char c = (char)toupper((unsigned char)*m);
        strbuf_addn(&b, &c, 1);
    }
    strbuf_add(&b, "\n");
    for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++) {
        char *v = NULL;
        if ((err = std_header(headers, standard[i], &v)))
            goto out;
        if (strcmp(standard[i], "Content-Length") != 0 || strcmp(v, "0") != 0)
            strbuf_add(&b, v);
        strbuf_add(&b, "\n");
        free(v);
    }
    if ((err = canonical_headers(headers, &b)))
        goto out;
    strbuf_add(&b, "/");
    strbuf_add(&b, account);
    if (pathlen)
        strbuf_addn(&b, path, pathlen);
    else
        strbuf_add(&b, "/");
    if ((err = canonical_query(query_copy, &b)))
        goto out;
    if (b.failed) {
        err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
        goto out;
    }
    *out = b.s;
    b.s = NULL;
out:
    free(query_copy);
    free(b.s);
    return err;
}

nb_err azure_hmac_sha256_b64(const unsigned char *key, size_t key_len, const char *data, char **out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    *out = NULL;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, strlen(data), mac,
              &mac_len))
        return nb_error(NB_ERR_INTERNAL, "HMAC-SHA256 failed (OpenSSL)");
    *out = azure_base64(mac, mac_len);
    return *out ? NB_OK : nb_error(NB_ERR_NOMEM, "out of memory signing a request");
}

nb_err azure_shared_key(const char *account, const char *key_b64, const char *method,
                        const char *url, const struct curl_slist *headers, char **authorization)
{
    unsigned char *key = NULL;
    size_t key_len = 0;
    char *sts = NULL, *sig = NULL;
    nb_err err;
    *authorization = NULL;
    if ((err = azure_base64_decode(key_b64, &key, &key_len))) {
        err = nb_error(NB_ERR_USAGE,
                       "the account key of Azure storage account '%s' is not valid base64: "
                       "copy the key (key1 or key2) from the storage account's access keys",
                       account);
        goto out;
    }
    if ((err = azure_string_to_sign(method, account, url, headers, &sts)))
        goto out;
    if ((err = azure_hmac_sha256_b64(key, key_len, sts, &sig)))
        goto out;
    if (asprintf(authorization, "SharedKey %s:%s", account, sig) < 0) {
        *authorization = NULL;
        err = nb_error(NB_ERR_NOMEM, "out of memory signing a request");
    }
out:
    if (key)
        OPENSSL_cleanse(key, key_len);
    free(key);
    free(sts);
    free(sig);
    return err;
}

char *azure_base64(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static bool b64_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/';
}

nb_err azure_base64_decode(const char *in, unsigned char **out, size_t *len)
{
    size_t n = strlen(in);
    *out = NULL;
    *len = 0;
    size_t pad = 0;
    if (n % 4 != 0)
        return nb_error(NB_ERR_USAGE, "not valid base64");
    while (pad < 2 && n > pad && in[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (!b64_char(in[i]))
            return nb_error(NB_ERR_USAGE, "not valid base64");
    unsigned char *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return nb_error(NB_ERR_NOMEM, "out of memory decoding base64");
    int got = n ? EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n) : 0;
    if (got < 0 || (size_t)got < pad) {
        free(buf);
        return nb_error(NB_ERR_USAGE, "not valid base64");
    }
    *out = buf;
    *len = (size_t)got - pad;
    return NB_OK;
}

const char *azure_http_date(time_t t, char buf[30])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

void azure_block_id(unsigned nonce, unsigned index, char out[AZURE_BLOCK_ID_LEN + 1])
{
    char raw[16];

    snprintf(raw, sizeof raw, "%08x%07u", nonce, index % 10000000u);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)raw, 15);
}
