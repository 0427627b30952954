/* The shared libcurl layer: requests, responses, retries with backoff. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"

#define HTTP_MAX_BODY_DEFAULT (4u << 20)
#define HTTP_MAX_HEADERS      (32u << 10)
#define HTTP_CONNECT_TIMEOUT  30L
/* A transfer slower than 1 byte/s for this long is dropped (and retried). */
#define HTTP_STALL_SECONDS 60L

struct http_client {
    CURL *easy;
};

static const struct http_retry_policy default_policy = {
    .max_retries = 8,
    .base = 0.25,
    .cap = 30.0,
    .budget = 300.0,
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status = CURLE_OK;

static void global_init(void)
{
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const struct http_retry_policy *http_default_policy(void)
{
    return &default_policy;
}

nb_err http_client_new(struct http_client **out)
{
    struct http_client *c;

    pthread_once(&global_once, global_init);
    if (global_status != CURLE_OK)
        return nb_error(NB_ERR_INTERNAL, "libcurl failed to start: %s",
                        curl_easy_strerror(global_status));
    c = calloc(1, sizeof(*c));
    if (!c || !(c->easy = curl_easy_init())) {
        free(c);
        return nb_error(NB_ERR_NOMEM, "libcurl could not make a handle");
    }
    *out = c;
    return NB_OK;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->easy);
    free(c);
}

void http_response_free(struct http_response *resp)
{
    free(resp->body);
    free(resp->headers);
    memset(resp, 0, sizeof(*resp));
}

/* ---- building a request ---- */

static nb_err copy_headers(const struct curl_slist *in, struct curl_slist **out)
{
    for (; in; in = in->next) {
        struct curl_slist *n = curl_slist_append(*out, in->data);
        if (!n)
            return NB_ERR_NOMEM;
        *out = n;
    }
    return NB_OK;
}

static void set_method(CURL *easy, const struct http_request *req)
{
    const char *m = req->method ? req->method : "GET";

    if (strcmp(m, "GET") == 0 && !req->body) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(m, "GET") != 0 && strcmp(m, "DELETE") != 0 && strcmp(m, "HEAD") != 0) {
        /* POST and PUT always carry a body, maybe empty (Content-Length: 0). */
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
}

static char ca_fallback[4096];

void http_set_ca_fallback(const char *path)
{
    snprintf(ca_fallback, sizeof(ca_fallback), "%s", path ? path : "");
}

const char *http_ca_bundle(void)
{
    const char *v = getenv("CA_BUNDLE");

    if (v && *v)
        return v;
    return ca_fallback[0] ? ca_fallback : NULL;
}

const char *http_slist_get(const struct curl_slist *list, const char *name)
{
    size_t n = strlen(name);

    for (; list; list = list->next) {
        if (strncasecmp(list->data, name, n) == 0 && list->data[n] == ':') {
            const char *v = list->data + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    }
    return NULL;
}

nb_err http_slist_add(struct curl_slist **list, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    struct curl_slist *n = NULL;

    if (line) {
        snprintf(line, len, "%s: %s", name, value);
        n = curl_slist_append(*list, line);
        OPENSSL_cleanse(line, len);
        free(line);
    }
    if (!n)
        return nb_error(NB_ERR_NOMEM, "out of memory adding the %s header", name);
    *list = n;
    return NB_OK;
}

nb_err http_setup(CURL *easy, const struct http_request *req, bool refresh_auth,
                  struct curl_slist **out_headers)
{
    struct curl_slist *h = NULL, *n;
    struct http_sign_request sreq = {.method = req->method ? req->method : "GET",
                                     .url = req->url,
                                     .headers = req->headers,
                                     .payload_sha256 = req->payload_sha256};
    const char *ca = http_ca_bundle();
    nb_err err;

    *out_headers = NULL;
    curl_easy_reset(easy);
    if ((err = copy_headers(req->headers, &h)))
        goto fail;
    /* No "Expect: 100-continue" round trip before bodies. */
    if (!(n = curl_slist_append(h, "Expect:"))) {
        err = NB_ERR_NOMEM;
        goto fail;
    }
    h = n;
    if (req->signer && (err = req->signer->sign(req->signer->ctx, &sreq, refresh_auth, &h)))
        goto fail;
    /* CURLOPT_URL copies the string: a signer's replacement can go now. */
    curl_easy_setopt(easy, CURLOPT_URL, sreq.new_url ? sreq.new_url : req->url);
    free(sreq.new_url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "neo4j-backup/" TOOL_VERSION);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_SECONDS);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    if (ca)
        curl_easy_setopt(easy, CURLOPT_CAINFO, ca);
    set_method(easy, req);
    *out_headers = h;
    return NB_OK;
fail:
    free(sreq.new_url);
    curl_slist_free_all(h);
    return err == NB_ERR_NOMEM ? nb_error(err, "out of memory building %s", req->what) : err;
}

/* ---- capturing a response ---- */

struct capture {
    struct http_response *resp;
    size_t max_body;
    size_t body_cap;
    size_t headers_cap;
    bool nomem;
};

static bool append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 1024;
        char *p;
        while (want < *len + n + 1)
            want *= 2;
        p = realloc(*buf, want);
        if (!p)
            return false;
        *buf = p;
        *cap = want;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

static size_t capture_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct capture *cap = ctx;
    struct http_response *r = cap->resp;
    size_t n = size * nmemb, keep = n;

    if (r->body_len + keep > cap->max_body) {
        keep = cap->max_body - r->body_len;
        r->truncated = true;
    }
    if (keep && !append(&r->body, &r->body_len, &cap->body_cap, data, keep)) {
        cap->nomem = true;
        return 0;
    }
    return n;
}

static size_t capture_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct capture *cap = ctx;
    struct http_response *r = cap->resp;
    size_t n = size * nmemb;

    /* A new status line (after 100 Continue, say) starts a new block. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        r->headers_len = 0;
    if (r->headers_len + n > HTTP_MAX_HEADERS)
        return n;
    if (!append(&r->headers, &r->headers_len, &cap->headers_cap, data, n)) {
        cap->nomem = true;
        return 0;
    }
    return n;
}

static nb_err send_attempt(struct http_client *c, const struct http_request *req, bool refresh,
                           struct http_response *resp)
{
    struct capture cap = {.resp = resp,
                          .max_body = req->max_body ? req->max_body : HTTP_MAX_BODY_DEFAULT};
    struct curl_slist *headers = NULL;
    nb_err err = http_setup(c->easy, req, refresh || req->refresh_auth, &headers);

    if (err)
        return err;
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, capture_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &cap);
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, capture_header);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, &cap);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, resp->curl_error);
    resp->curl_error[0] = '\0';
    resp->curl = curl_easy_perform(c->easy);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    if (cap.nomem)
        return nb_error(NB_ERR_NOMEM, "out of memory reading the answer to %s", req->what);
    if (resp->curl != CURLE_OK) {
        resp->status = 0;
        if (!resp->curl_error[0])
            snprintf(resp->curl_error, sizeof(resp->curl_error), "%s",
                     curl_easy_strerror(resp->curl));
        return nb_error(NB_ERR_STORAGE, "%s: %s", req->what, resp->curl_error);
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &resp->status);
    return NB_OK;
}

nb_err http_send(struct http_client *c, const struct http_request *req, struct http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    return send_attempt(c, req, false, resp);
}

nb_err http_call(struct http_client *c, const struct http_request *req,
                 const struct http_retry_policy *policy, struct http_response *resp)
{
    struct http_retry r;
    bool refresh = false, refreshed = false;

    http_retry_start(&r, policy ? policy : &default_policy);
    memset(resp, 0, sizeof(*resp));
    for (;;) {
        struct http_outcome o;
        nb_err err;

        http_response_free(resp);
        err = send_attempt(c, req, refresh, resp);
        if (err && resp->curl == CURLE_OK)
            return err; /* credentials or memory: not the network's fault */
        o = (struct http_outcome){.curl = resp->curl,
                                  .curl_error = resp->curl_error,
                                  .status = resp->status,
                                  .headers = resp->headers};
        switch (http_retry_next(&r, req->what, &o, req->signer ? &refreshed : NULL)) {
        case HTTP_NEXT_DONE:
            return NB_OK;
        case HTTP_NEXT_FAIL:
            return NB_ERR_STORAGE;
        case HTTP_NEXT_REFRESH:
            refresh = true;
            break;
        case HTTP_NEXT_RETRY:
            refresh = false;
            break;
        }
    }
}

enum http_next http_retry_next(struct http_retry *r, const char *what, const struct http_outcome *o,
                               bool *refreshed)
{
    char why[CURL_ERROR_SIZE + 32], ra[64];
    double retry_after = -1;

    if (o->curl != CURLE_OK) {
        const char *msg =
            o->curl_error && o->curl_error[0] ? o->curl_error : curl_easy_strerror(o->curl);
        snprintf(why, sizeof(why), "%s", msg);
        if (!http_curl_retryable(o->curl)) {
            nb_error(NB_ERR_STORAGE, "%s: %s", what, why);
            return HTTP_NEXT_FAIL;
        }
    } else if (o->status == 401 && refreshed && !*refreshed) {
        *refreshed = true;
        log_info("%s: HTTP 401, fetching new credentials and trying again", what);
        return HTTP_NEXT_REFRESH;
    } else if (!http_status_retryable(o->status)) {
        return HTTP_NEXT_DONE;
    } else {
        snprintf(why, sizeof(why), "HTTP %ld", o->status);
        if (http_header_get(o->headers, "Retry-After", ra, sizeof(ra)))
            retry_after = http_parse_retry_after(ra, (double)time(NULL));
    }
    if (http_retry_wait(r, what, why, retry_after))
        return HTTP_NEXT_RETRY;
    if (o->curl == CURLE_OK)
        return HTTP_NEXT_DONE;
    nb_error(NB_ERR_STORAGE, "%s: %s (gave up after %u retries in %.0f s)", what, why, r->retries,
             monotonic_seconds() - r->started);
    return HTTP_NEXT_FAIL;
}

/* ---- retries ---- */

static _Thread_local uint64_t rng_state;

static double random_unit(void)
{
    uint64_t x;

    if (!rng_state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() ^
                    0x9e3779b97f4a7c15ull;
    }
    /* xorshift64* */
    x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

void http_sleep(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void http_retry_start(struct http_retry *r, const struct http_retry_policy *policy)
{
    r->policy = policy ? policy : &default_policy;
    r->retries = 0;
    r->started = monotonic_seconds();
}

bool http_retry_wait(struct http_retry *r, const char *what, const char *why, double retry_after)
{
    const struct http_retry_policy *p = r->policy;
    double elapsed = monotonic_seconds() - r->started;
    double delay;

    if (r->retries >= p->max_retries)
        return false;
    delay = retry_after >= 0 ? retry_after : http_backoff(p, r->retries, random_unit());
    if (delay > p->cap)
        delay = p->cap;
    if (elapsed + delay > p->budget)
        return false;
    r->retries++;
    log_warn("%s: %s; retry %u of %u in %.1f s%s", what, why, r->retries, p->max_retries, delay,
             retry_after >= 0 ? " (Retry-After)" : "");
    http_sleep(delay);
    return true;
}

/* ---- pure helpers ---- */

bool http_status_retryable(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool http_curl_retryable(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

double http_backoff(const struct http_retry_policy *p, unsigned retry, double unit)
{
    double d = p->base;

    for (unsigned i = 0; i <= retry && d < p->cap; i++)
        d *= 2;
    if (d > p->cap)
        d = p->cap;
    if (unit < 0)
        unit = 0;
    if (unit >= 1)
        unit = 0.999999;
    return d / 2 + unit * d / 2;
}

double http_parse_retry_after(const char *value, double now)
{
    char *num_end;
    long secs;

    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        errno = 0;
        secs = strtol(value, &num_end, 10);
        while (*num_end == ' ' || *num_end == '\t')
            num_end++;
        if (errno || *num_end)
            return -1;
        return (double)secs;
    }
    /* An HTTP-date: libcurl parses every form RFC 9110 allows. */
    {
        time_t at = curl_getdate(value, NULL);
        if (at < 0)
            return -1;
        return (double)at > now ? (double)at - now : 0;
    }
}

bool http_header_get(const char *block, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    const char *line = block;

    if (!block || !len)
        return false;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t llen = eol ? (size_t)(eol - line) : strlen(line);

        if (llen > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            size_t vlen = llen - nlen - 1;
            while (vlen && (*v == ' ' || *v == '\t')) {
                v++;
                vlen--;
            }
            while (vlen && isspace((unsigned char)v[vlen - 1]))
                vlen--;
            if (vlen >= len)
                vlen = len - 1;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return true;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return false;
}

char *http_escape(const char *s)
{
    /* libcurl keeps RFC 3986's unreserved characters and encodes the rest. */
    char *escaped = curl_easy_escape(NULL, s, (int)strlen(s));
    char *out = escaped ? strdup(escaped) : NULL;

    curl_free(escaped);
    return out;
}

char *http_escape_path(const char *key)
{
    size_t cap = strlen(key) * 3 + 1, len = 0;
    char *out = malloc(cap);
    const char *p = key;

    if (!out)
        return NULL;
    out[0] = '\0';
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char *seg = strndup(p, n), *enc = seg ? http_escape(seg) : NULL;
        if (!enc) {
            free(seg);
            free(out);
            return NULL;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s", enc, slash ? "/" : "");
        free(seg);
        free(enc);
        if (!slash)
            break;
        p = slash + 1;
    }
    return out;
}

static bool parse_u64(const char **s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = *s;

    if (!isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *s = p;
    *out = v;
    return true;
}

bool http_parse_range_end(const char *value, uint64_t *end)
{
    uint64_t first;

    if (!value || strncmp(value, "bytes=", 6) != 0)
        return false;
    value += 6;
    if (!parse_u64(&value, &first) || *value++ != '-' || !parse_u64(&value, end))
        return false;
    return *value == '\0' && *end >= first;
}

bool http_parse_content_range(const char *value, uint64_t *first, uint64_t *last, uint64_t *total)
{
    if (!value || strncmp(value, "bytes ", 6) != 0)
        return false;
    value += 6;
    if (*value == '*') {
        value++;
        *first = *last = UINT64_MAX;
    } else if (!parse_u64(&value, first) || *value++ != '-' || !parse_u64(&value, last) ||
               *last < *first) {
        return false;
    }
    if (*value++ != '/')
        return false;
    if (*value == '*') {
        *total = UINT64_MAX;
        return value[1] == '\0';
    }
    return parse_u64(&value, total) && *value == '\0';
}
