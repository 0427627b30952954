/* AWS Signature Version 4 (see sigv4.h). */
#include "auth/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "strbuf.h"

void sigv4_amz_date(time_t when, char *buf, size_t len)
{
    struct tm tm;

    gmtime_r(&when, &tm);
    strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

static void hex_of(const unsigned char *d, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_of(md, mdlen, hex);
}

static void hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned int outlen = 32;

    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &outlen);
}

/* Decodes then encodes s[0..n) with RFC 3986's unreserved set kept. */
static void add_encoded(struct strbuf *b, const char *s, size_t n)
{
    int dlen = 0;
    char *raw, *enc = NULL;

    if (n == 0) /* libcurl takes a length of 0 as "up to the NUL" */
        return;
    raw = curl_easy_unescape(NULL, s, (int)n, &dlen);

    if (raw) {
        char *tmp = malloc((size_t)dlen + 1);
        if (tmp) {
            memcpy(tmp, raw, (size_t)dlen);
            tmp[dlen] = '\0';
            /* a NUL inside would cut the name: keep the raw form then */
            enc = strlen(tmp) == (size_t)dlen ? http_escape(tmp) : NULL;
            free(tmp);
        }
    }
    if (enc)
        strbuf_add(b, enc);
    else if (!raw)
        b->failed = true;
    else
        strbuf_addn(b, s, n);
    curl_free(raw);
    free(enc);
}

static void canonical_uri(struct strbuf *b, const char *path)
{
    const char *p = path && *path ? path : "/";

    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        add_encoded(b, p, n);
        if (!slash)
            break;
        strbuf_add(b, "/");
        p = slash + 1;
    }
}

struct qparam {
    char *name, *value;
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static void canonical_query(struct strbuf *b, const char *query)
{
    struct qparam *params = NULL;
    size_t n = 0, cap = 0;
    const char *p = query;

    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        struct strbuf name = {0}, value = {0};

        if (len) {
            add_encoded(&name, p, eq ? (size_t)(eq - p) : len);
            if (eq)
                add_encoded(&value, eq + 1, len - (size_t)(eq - p) - 1);
            else
                strbuf_add(&value, "");
            if (n == cap) {
                struct qparam *q = realloc(params, (cap = cap ? cap * 2 : 8) * sizeof(*q));
                if (!q)
                    b->failed = true;
                else
                    params = q;
            }
            if (b->failed || name.failed || value.failed || !name.s) {
                b->failed = true;
                free(name.s);
                free(value.s);
                break;
            }
            params[n].name = name.s;
            params[n].value = value.s ? value.s : strdup("");
            n++;
        }
        p = amp ? amp + 1 : NULL;
    }
    if (n)
        qsort(params, n, sizeof(*params), qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_add(b, "&");
        strbuf_add(b, params[i].name);
        strbuf_add(b, "=");
        strbuf_add(b, params[i].value ? params[i].value : "");
        free(params[i].name);
        free(params[i].value);
    }
    free(params);
}

struct hdr {
    char *name;  /* lowercase */
    char *value; /* trimmed, inner runs of spaces collapsed */
    size_t order;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

static bool hdr_add(struct hdr **hs, size_t *n, const char *name, size_t nlen, const char *value)
{
    struct hdr *p = realloc(*hs, (*n + 1) * sizeof(**hs));
    struct hdr *h;
    size_t vlen;
    char *v;

    if (!p)
        return false;
    *hs = p;
    h = &p[*n];
    memset(h, 0, sizeof(*h));
    h->order = *n;
    if (!(h->name = strndup(name, nlen)) || !(h->value = malloc(strlen(value) + 1))) {
        free(h->name);
        return false;
    }
    for (size_t i = 0; i < nlen; i++)
        h->name[i] = (char)tolower((unsigned char)h->name[i]);
    while (*value == ' ' || *value == '\t')
        value++;
    v = h->value;
    vlen = 0;
    for (const char *s = value; *s; s++) {
        bool space = *s == ' ' || *s == '\t';
        if (space && (vlen == 0 || v[vlen - 1] == ' '))
            continue;
        v[vlen++] = space ? ' ' : *s;
    }
    while (vlen && v[vlen - 1] == ' ')
        vlen--;
    v[vlen] = '\0';
    (*n)++;
    return true;
}

nb_err sigv4_sign(const struct sigv4_params *p, const char *method, const char *url,
                  const struct curl_slist *headers, const char *payload_hash,
                  struct sigv4_result *out)
{
    CURLU *u = curl_url();
    char *path = NULL, *query = NULL, *host = NULL, *port = NULL, *scheme = NULL;
    struct hdr *hs = NULL;
    size_t nh = 0;
    bool have_host = false;
    struct strbuf creq = {0}, signed_h = {0}, sts = {0}, auth = {0};
    char amz[32], date[9], hash[65], sig[65], scope[256];
    unsigned char k[32], k2[32];
    size_t klen;
    char *ksecret = NULL;
    nb_err err = NB_ERR_NOMEM;

    memset(out, 0, sizeof(*out));
    sigv4_amz_date(p->when, amz, sizeof(amz));
    memcpy(date, amz, 8);
    date[8] = '\0';
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        err = nb_error(NB_ERR_INTERNAL, "unable to sign a request: the URL cannot be parsed");
        goto out;
    }
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);

    for (const struct curl_slist *l = headers; l; l = l->next) {
        const char *colon = strchr(l->data, ':');
        if (!colon || colon == l->data || !colon[1])
            continue; /* "Name:" with no value is not sent */
        if ((size_t)(colon - l->data) == 4 && strncasecmp(l->data, "host", 4) == 0)
            have_host = true;
        if (!hdr_add(&hs, &nh, l->data, (size_t)(colon - l->data), colon + 1))
            goto out;
    }
    if (!have_host) {
        char hv[512];
        bool default_port =
            !port || (scheme && ((!strcmp(scheme, "https") && !strcmp(port, "443")) ||
                                 (!strcmp(scheme, "http") && !strcmp(port, "80"))));
        snprintf(hv, sizeof(hv), "%s%s%s", host, default_port ? "" : ":", default_port ? "" : port);
        if (!hdr_add(&hs, &nh, "host", 4, hv))
            goto out;
    }
    qsort(hs, nh, sizeof(*hs), hdr_cmp);

    strbuf_add(&creq, method);
    strbuf_add(&creq, "\n");
    canonical_uri(&creq, path);
    strbuf_add(&creq, "\n");
    canonical_query(&creq, query);
    strbuf_add(&creq, "\n");
    for (size_t i = 0; i < nh; i++) {
        bool first = i == 0 || strcmp(hs[i].name, hs[i - 1].name) != 0;
        bool last = i + 1 == nh || strcmp(hs[i].name, hs[i + 1].name) != 0;
        if (first) {
            strbuf_add(&creq, hs[i].name);
            strbuf_add(&creq, ":");
            if (signed_h.len)
                strbuf_add(&signed_h, ";");
            strbuf_add(&signed_h, hs[i].name);
        } else {
            strbuf_add(&creq, ",");
        }
        strbuf_add(&creq, hs[i].value);
        if (last)
            strbuf_add(&creq, "\n");
    }
    strbuf_add(&creq, "\n");
    strbuf_add(&creq, signed_h.s ? signed_h.s : "");
    strbuf_add(&creq, "\n");
    strbuf_add(&creq, payload_hash);
    if (creq.failed || signed_h.failed)
        goto out;

    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, p->region, p->service);
    sigv4_sha256_hex(creq.s, creq.len, hash);
    strbuf_add(&sts, "AWS4-HMAC-SHA256\n");
    strbuf_add(&sts, amz);
    strbuf_add(&sts, "\n");
    strbuf_add(&sts, scope);
    strbuf_add(&sts, "\n");
    strbuf_add(&sts, hash);
    if (sts.failed)
        goto out;

    klen = strlen(p->secret_key) + 5;
    if (!(ksecret = malloc(klen)))
        goto out;
    snprintf(ksecret, klen, "AWS4%s", p->secret_key);
    hmac(ksecret, klen - 1, date, k);
    hmac(k, 32, p->region, k2);
    hmac(k2, 32, p->service, k);
    hmac(k, 32, "aws4_request", k2);
    hmac(k2, 32, sts.s, k);
    hex_of(k, 32, sig);
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k, sizeof(k));

    strbuf_add(&auth, "AWS4-HMAC-SHA256 Credential=");
    strbuf_add(&auth, p->access_key);
    strbuf_add(&auth, "/");
    strbuf_add(&auth, scope);
    strbuf_add(&auth, ", SignedHeaders=");
    strbuf_add(&auth, signed_h.s);
    strbuf_add(&auth, ", Signature=");
    strbuf_add(&auth, sig);
    if (auth.failed)
        goto out;
    out->canonical_request = creq.s;
    out->string_to_sign = sts.s;
    out->authorization = auth.s;
    creq.s = sts.s = auth.s = NULL;
    err = NB_OK;
out:
    if (err == NB_ERR_NOMEM)
        nb_error(err, "out of memory signing a request");
    if (ksecret) {
        OPENSSL_cleanse(ksecret, strlen(ksecret));
        free(ksecret);
    }
    for (size_t i = 0; i < nh; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    free(creq.s);
    free(sts.s);
    free(auth.s);
    free(signed_h.s);
    curl_free(path);
    curl_free(query);
    curl_free(host);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return err;
}

void sigv4_result_free(struct sigv4_result *r)
{
    free(r->canonical_request);
    free(r->string_to_sign);
    free(r->authorization);
    memset(r, 0, sizeof(*r));
}
