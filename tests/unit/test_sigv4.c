/* SigV4 against AWS's published Signature Version 4 test suite
 * (aws-sig-v4-test-suite: AKIDEXAMPLE, us-east-1, service "service",
 * 2015-08-30T12:36:00Z), plus the S3 specifics the driver relies on. */
#include <stdlib.h>
#include <string.h>

#include "auth/sigv4.h"
#include "unit.h"

#define SUITE_TIME 1440938160 /* 2015-08-30T12:36:00Z */
#define CRED       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

static const struct sigv4_params suite = {
    .access_key = "AKIDEXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "service",
    .when = SUITE_TIME,
};

/* Signs a suite request; `hdrs` is a NULL-terminated list of header lines
 * besides Host (derived) and X-Amz-Date (added). */
static char *sign(const char *method, const char *target, const char *const *hdrs, const char *body,
                  struct sigv4_result *r)
{
    struct curl_slist *h = curl_slist_append(NULL, "X-Amz-Date:20150830T123600Z");
    char url[512], hash[65];

    for (; hdrs && *hdrs; hdrs++)
        h = curl_slist_append(h, *hdrs);
    snprintf(url, sizeof(url), "https://example.amazonaws.com%s", target);
    sigv4_sha256_hex(body, strlen(body), hash);
    if (sigv4_sign(&suite, method, url, h, hash, r) != NB_OK)
        r->authorization = NULL;
    curl_slist_free_all(h);
    return r->authorization;
}

static void vector(const char *method, const char *target, const char *const *hdrs,
                   const char *body, const char *expected)
{
    struct sigv4_result r = {0};

    CHECK_STR(sign(method, target, hdrs, body, &r), expected);
    sigv4_result_free(&r);
}

int main(void)
{
    struct sigv4_result r = {0};
    char date[32];

    sigv4_amz_date(SUITE_TIME, date, sizeof(date));
    CHECK_STR(date, "20150830T123600Z");

    /* get-vanilla, with its canonical request and string to sign. */
    CHECK_STR(sign("GET", "/", NULL, "", &r),
              CRED "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_STR(r.canonical_request,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
              "\nhost;x-amz-date\n" SIGV4_EMPTY_SHA256);
    CHECK_STR(r.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    sigv4_result_free(&r);

    vector("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL, "",
           CRED "SignedHeaders=host;x-amz-date, "
                "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
    /* Query parameters sorted by name, then by value. */
    CHECK_STR(sign("GET", "/?Param2=value2&Param1=value1", NULL, "", &r),
              CRED "SignedHeaders=host;x-amz-date, "
                   "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    CHECK(r.canonical_request && strstr(r.canonical_request, "\nParam1=value1&Param2=value2\n"));
    sigv4_result_free(&r);
    vector("GET", "/?Param1=value2&Param1=value1", NULL, "",
           CRED "SignedHeaders=host;x-amz-date, "
                "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
    /* Repeated headers join in order; values are trimmed, inner spaces
     * collapsed. */
    {
        const char *dup[] = {"My-Header1:value2", "My-Header1:value2", "My-Header1:value1", NULL};
        const char *order[] = {"My-Header1:value4", "My-Header1:value1", "My-Header1:value3",
                               "My-Header1:value2", NULL};
        const char *trim[] = {"My-Header1: value1", "My-Header2: \"a   b   c\"", NULL};
        const char *form[] = {"Content-Type:application/x-www-form-urlencoded", NULL};
        vector("GET", "/", dup, "",
               CRED "SignedHeaders=host;my-header1;x-amz-date, "
                    "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
        vector("GET", "/", order, "",
               CRED "SignedHeaders=host;my-header1;x-amz-date, "
                    "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
        vector("GET", "/", trim, "",
               CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                    "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
        /* post-x-www-form-urlencoded: the payload hash is the body's. */
        vector("POST", "/", form, "Param1=value1",
               CRED "SignedHeaders=content-type;host;x-amz-date, "
                    "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
    }
    /* A session token is a signed header. */
    {
        const char *tok[] = {
            "X-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            NULL};
        vector("GET", "/", tok, "",
               CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                    "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
    }

    /* S3: the path is signed as sent (encoded once, not normalised), a
     * port that is not the scheme's default is part of Host, and a header
     * with no value is not signed. */
    {
        struct curl_slist *h = curl_slist_append(NULL, "x-amz-date: 20150830T123600Z");
        h = curl_slist_append(h, "Expect:");
        CHECK(sigv4_sign(&suite, "GET",
                         "http://127.0.0.1:8000/bkt/a%20b/neo4j-2026-11-24-13%3A05%3A00.tar.gz?"
                         "list-type=2&prefix=a%2Fb",
                         h, SIGV4_UNSIGNED_PAYLOAD, &r) == NB_OK);
        CHECK_STR(r.canonical_request,
                  "GET\n/bkt/a%20b/neo4j-2026-11-24-13%3A05%3A00.tar.gz\nlist-type=2&prefix=a%2Fb\n"
                  "host:127.0.0.1:8000\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                  "UNSIGNED-PAYLOAD");
        sigv4_result_free(&r);
        curl_slist_free_all(h);
    }
    return unit_report("test_sigv4");
}
