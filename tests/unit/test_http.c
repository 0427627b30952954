/* Unit tests of lib/http.c's pure helpers: backoff bounds, Retry-After,
 * retryable statuses, header lookup, escaping, ranges, retry bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "unit.h"

static void test_backoff_bounds(void)
{
    const struct http_retry_policy p = {.max_retries = 20, .base = 0.25, .cap = 30, .budget = 300};
    const double units[] = {0.0, 0.3, 0.5, 0.999999, -1.0, 2.0};

    for (unsigned retry = 0; retry < 20; retry++) {
        double d = p.base;
        for (unsigned i = 0; i <= retry; i++)
            d *= 2;
        if (d > p.cap)
            d = p.cap;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            double b = http_backoff(&p, retry, units[i]);
            CHECK(b >= d / 2 - 1e-9);
            CHECK(b <= d + 1e-9);
            CHECK(b <= p.cap);
        }
    }
    /* grows: the lower bound of retry n+1 is the upper bound of retry n */
    CHECK(http_backoff(&p, 0, 0.0) == 0.25);
    CHECK(http_backoff(&p, 0, 0.999999) < 0.5);
    CHECK(http_backoff(&p, 1, 0.0) == 0.5);
    CHECK(http_backoff(&p, 30, 0.0) == 15.0);
    /* a large retry number neither overflows nor exceeds the cap */
    CHECK(http_backoff(&p, 1000, 0.5) <= 30.0);
}

static void test_retry_after(void)
{
    /* Sun, 06 Nov 1994 08:49:37 GMT */
    const double t = 784111777.0;

    CHECK(http_parse_retry_after("5", 0) == 5);
    CHECK(http_parse_retry_after(" 120 ", 0) == 120);
    CHECK(http_parse_retry_after("0", 0) == 0);
    CHECK(http_parse_retry_after("abc", 0) == -1);
    CHECK(http_parse_retry_after("5x", 0) == -1);
    CHECK(http_parse_retry_after("", 0) == -1);
    CHECK(http_parse_retry_after("-3", 0) == -1);
    CHECK(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 10) == 10);
    CHECK(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 10) == 0);
    /* the obsolete forms RFC 9110 says to accept */
    CHECK(http_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t - 10) == 10);
    CHECK(http_parse_retry_after("Sun Nov  6 08:49:37 1994", t - 10) == 10);
}

static void test_retryable(void)
{
    const long yes[] = {408, 429, 500, 502, 503, 504, 599};
    const long no[] = {200, 204, 308, 400, 401, 403, 404, 410, 412, 416, 499};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        CHECK(http_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        CHECK(!http_status_retryable(no[i]));
    CHECK(http_curl_retryable(CURLE_COULDNT_CONNECT));
    CHECK(http_curl_retryable(CURLE_PARTIAL_FILE));
    CHECK(http_curl_retryable(CURLE_RECV_ERROR));
    CHECK(http_curl_retryable(CURLE_OPERATION_TIMEDOUT));
    CHECK(http_curl_retryable(CURLE_GOT_NOTHING));
    CHECK(!http_curl_retryable(CURLE_URL_MALFORMAT));
    CHECK(!http_curl_retryable(CURLE_WRITE_ERROR));
    CHECK(!http_curl_retryable(CURLE_PEER_FAILED_VERIFICATION));
}

static void test_header_get(void)
{
    const char *block = "HTTP/1.1 308 Resume Incomplete\r\n"
                        "Content-Type: text/plain\r\n"
                        "Range: bytes=0-262143\r\n"
                        "X-Padded:   spaced value  \r\n"
                        "Retry-After:7\r\n"
                        "\r\n";
    char buf[64], small[6];

    CHECK(http_header_get(block, "range", buf, sizeof(buf)));
    CHECK_STR(buf, "bytes=0-262143");
    CHECK(http_header_get(block, "X-PADDED", buf, sizeof(buf)));
    CHECK_STR(buf, "spaced value");
    CHECK(http_header_get(block, "Retry-After", buf, sizeof(buf)));
    CHECK_STR(buf, "7");
    CHECK(!http_header_get(block, "Rang", buf, sizeof(buf)));
    CHECK(!http_header_get(block, "Location", buf, sizeof(buf)));
    CHECK(!http_header_get(NULL, "Range", buf, sizeof(buf)));
    CHECK(http_header_get(block, "Content-Type", small, sizeof(small)));
    CHECK_STR(small, "text/");
    CHECK(http_header_get("Location: http://h/u?upload_id=x", "location", buf, sizeof(buf)));
    CHECK_STR(buf, "http://h/u?upload_id=x");
}

static void test_escape(void)
{
    char *s;

    s = http_escape("prod/neo4j/neo4j-2026-11-24-13:05:00.tar.gz");
    CHECK_STR(s, "prod%2Fneo4j%2Fneo4j-2026-11-24-13%3A05%3A00.tar.gz");
    free(s);
    s = http_escape("a b+c~_.-&=?#%");
    CHECK_STR(s, "a%20b%2Bc~_.-%26%3D%3F%23%25");
    free(s);
    s = http_escape("\xc3\xa9t\xc3\xa9");
    CHECK_STR(s, "%C3%A9t%C3%A9");
    free(s);
    s = http_escape_path("prod/neo4j/neo4j-2026-11-24-13:05:00.tar.gz");
    CHECK_STR(s, "prod/neo4j/neo4j-2026-11-24-13%3A05%3A00.tar.gz");
    free(s);
    s = http_escape_path("a b/+c/");
    CHECK_STR(s, "a%20b/%2Bc/");
    free(s);
    s = http_escape("");
    CHECK_STR(s, "");
    free(s);
}

static void test_ranges(void)
{
    uint64_t a, b, t, end;

    CHECK(http_parse_range_end("bytes=0-262143", &end) && end == 262143);
    CHECK(http_parse_range_end("bytes=0-0", &end) && end == 0);
    CHECK(!http_parse_range_end("bytes=0-", &end));
    CHECK(!http_parse_range_end("bytes=5-3", &end));
    CHECK(!http_parse_range_end("", &end));
    CHECK(!http_parse_range_end(NULL, &end));
    CHECK(!http_parse_range_end("bytes=0-12x", &end));

    CHECK(http_parse_content_range("bytes 0-99/1000", &a, &b, &t) && a == 0 && b == 99 &&
          t == 1000);
    CHECK(http_parse_content_range("bytes 5000000-20012675/20012676", &a, &b, &t) && a == 5000000 &&
          b == 20012675 && t == 20012676);
    CHECK(http_parse_content_range("bytes */1000", &a, &b, &t) && a == UINT64_MAX && t == 1000);
    CHECK(http_parse_content_range("bytes 0-99/*", &a, &b, &t) && t == UINT64_MAX);
    CHECK(!http_parse_content_range("bytes 99-0/1000", &a, &b, &t));
    CHECK(!http_parse_content_range("bytes=0-99/1000", &a, &b, &t));
    CHECK(!http_parse_content_range("bytes 0-99", &a, &b, &t));
    CHECK(!http_parse_content_range("bytes 0-99/10x", &a, &b, &t));
    CHECK(!http_parse_content_range("bytes 99999999999999999999-1/2", &a, &b, &t));
}

/* http_retry_wait: bounded in count and in total time. */
static void test_retry_bounds(void)
{
    const struct http_retry_policy count = {
        .max_retries = 2, .base = 0.001, .cap = 0.002, .budget = 10};
    const struct http_retry_policy time_budget = {
        .max_retries = 100, .base = 0.001, .cap = 1, .budget = 0.5};
    struct http_retry r;

    http_retry_start(&r, &count);
    CHECK(http_retry_wait(&r, "GET test", "HTTP 503", -1));
    CHECK(http_retry_wait(&r, "GET test", "HTTP 503", -1));
    CHECK(!http_retry_wait(&r, "GET test", "HTTP 503", -1));
    CHECK(r.retries == 2);

    /* A Retry-After that would end past the budget is not waited for. */
    http_retry_start(&r, &time_budget);
    CHECK(!http_retry_wait(&r, "GET test", "HTTP 429", 0.9));
    CHECK(r.retries == 0);
    /* A Retry-After is honoured (within the cap). */
    CHECK(http_retry_wait(&r, "GET test", "HTTP 429", 0.01));
    CHECK(r.retries == 1);

    /* The default policy is bounded. */
    CHECK(http_default_policy()->max_retries > 0 && http_default_policy()->max_retries <= 20);
    CHECK(http_default_policy()->budget > 0 && http_default_policy()->budget <= 600);
}

int main(void)
{
    log_init("test_http");
    log_set_level(LOG_ERROR);
    test_backoff_bounds();
    test_retry_after();
    test_retryable();
    test_header_get();
    test_escape();
    test_ranges();
    test_retry_bounds();
    return unit_report("test_http");
}
