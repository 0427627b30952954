/* Unit tests of lib/storage/azure/sign.c: Shared Key signatures against
 * those Microsoft's @azure/storage-blob computes for the same requests
 * (tests/fixtures/azure/shared_key_vectors.json, made by
 * tests/emulators/azure/make_sign_vectors.js), the string to sign's layout
 * as the service documents it, base64, x-ms-date and block ids. */
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "storage/azure/sign.h"
#include "unit.h"

#define VECTORS "tests/fixtures/azure/shared_key_vectors.json"

static struct curl_slist *list(const char *const *lines)
{
    struct curl_slist *l = NULL;
    for (; *lines; lines++)
        l = curl_slist_append(l, *lines);
    return l;
}

static void test_sdk_vectors(void)
{
    json_error_t jerr;
    json_t *root = json_load_file(VECTORS, 0, &jerr);
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "%s: %s (run from the project root)\n", VECTORS, jerr.text);
        return;
    }
    json_t *vectors = json_object_get(root, "vectors");
    size_t i, checked = 0;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct curl_slist *headers = NULL;
        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(v, "headers"), j, h)
        {
            headers = curl_slist_append(headers, json_string_value(h));
        }
        char *auth = NULL;
        nb_err err = azure_shared_key(json_string_value(json_object_get(v, "account")),
                                      json_string_value(json_object_get(v, "key")),
                                      json_string_value(json_object_get(v, "method")),
                                      json_string_value(json_object_get(v, "url")), headers, &auth);
        CHECK(err == NB_OK);
        const char *want = json_string_value(json_object_get(v, "authorization"));
        if (!auth || !want || strcmp(auth, want) != 0)
            fprintf(stderr, "vector '%s'\n", json_string_value(json_object_get(v, "what")));
        CHECK_STR(auth, want);
        free(auth);
        curl_slist_free_all(headers);
        checked++;
    }
    CHECK(checked >= 20);
    json_decref(root);
}

/* The documented layout, field by field (the SDK never sets
 * Content-Encoding or Content-Language, so its vectors cannot show their
 * order: Encoding comes first). */
static void test_string_to_sign_layout(void)
{
    const char *const lines[] = {
        "Content-Encoding: gzip",
        "Content-Language: en",
        "Content-Length: 0",
        "Content-MD5: md5==",
        "Content-Type: text/plain",
        "If-Match: \"etag\"",
        "Range: bytes=0-9",
        "User-Agent: not signed",
        "X-MS-Version:   2025-01-05  ",
        "x-ms-meta-b: 2",
        "x-ms-meta-a: 1",
        "x-ms-meta-a: 0",
        "x-ms-date: Thu, 03 Dec 2026 06:22:17 GMT",
        "x-ms-empty;",
        NULL,
    };
    struct curl_slist *h = list(lines);
    char *sts = NULL;
    CHECK(azure_string_to_sign("put", "acct",
                               "https://acct.blob.core.windows.net/c/a%20b/x.bin?comp=block"
                               "&BlockId=bmIw%3D%3D&timeout=30",
                               h, &sts) == NB_OK);
    CHECK_STR(sts, "PUT\n"
                   "gzip\n"
                   "en\n"
                   "\n" /* Content-Length 0 is signed as empty */
                   "md5==\n"
                   "text/plain\n"
                   "\n" /* Date */
                   "\n" /* If-Modified-Since */
                   "\"etag\"\n"
                   "\n"
                   "\n"
                   "bytes=0-9\n"
                   "x-ms-date:Thu, 03 Dec 2026 06:22:17 GMT\n"
                   "x-ms-empty:\n"
                   "x-ms-meta-a:0,1\n"
                   "x-ms-meta-b:2\n"
                   "x-ms-version:2025-01-05\n"
                   "/acct/c/a%20b/x.bin\n"
                   "blockid:bmIw==\n"
                   "comp:block\n"
                   "timeout:30");
    free(sts);
    curl_slist_free_all(h);

    /* No path: "/"; path-style (azurite): the account twice; a fragment is not sent. */
    CHECK(azure_string_to_sign("GET", "acct", "https://acct.blob.core.windows.net?comp=list", NULL,
                               &sts) == NB_OK);
    CHECK_STR(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\n/acct/\ncomp:list");
    free(sts);
    CHECK(azure_string_to_sign("HEAD", "devstoreaccount1",
                               "http://127.0.0.1:10000/devstoreaccount1/c/b#frag", NULL,
                               &sts) == NB_OK);
    CHECK_STR(sts, "HEAD\n\n\n\n\n\n\n\n\n\n\n\n/devstoreaccount1/devstoreaccount1/c/b");
    free(sts);
}

static void test_refused_requests(void)
{
    char *out = (char *)"unchanged";
    /* An empty query parameter: the service and the SDKs disagree on it. */
    CHECK(azure_string_to_sign("GET", "a", "https://a.blob.core.windows.net/c?comp=list&prefix=",
                               NULL, &out) == NB_ERR_INTERNAL);
    CHECK(out == NULL);
    CHECK(strstr(nb_errmsg(), "prefix") != NULL);
    CHECK(azure_string_to_sign("GET", "a", "https://a.blob.core.windows.net/c?restype", NULL,
                               &out) == NB_ERR_INTERNAL);
    CHECK(azure_string_to_sign("GET", "a", "/c/b", NULL, &out) == NB_ERR_INTERNAL);

    /* A key that is not base64: usage, naming the account, not the key. */
    const char *bad_key = "not*a*key/secretpart==";
    CHECK(azure_shared_key("myacct", bad_key, "GET", "https://myacct.blob.core.windows.net/c/b",
                           NULL, &out) == NB_ERR_USAGE);
    CHECK(out == NULL);
    CHECK(strstr(nb_errmsg(), "myacct") != NULL);
    CHECK(strstr(nb_errmsg(), "secretpart") == NULL);
}

static void test_hmac(void)
{
    /* RFC 4231 test case 2 (hex 5bdcc146...64ec3843), in base64. */
    char *sig = NULL;
    CHECK(azure_hmac_sha256_b64((const unsigned char *)"Jefe", 4, "what do ya want for nothing?",
                                &sig) == NB_OK);
    CHECK_STR(sig, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    free(sig);
}

static void check_decode(const char *in, const char *want, size_t want_len)
{
    unsigned char *out = NULL;
    size_t len = 99;
    CHECK(azure_base64_decode(in, &out, &len) == NB_OK);
    CHECK(len == want_len);
    CHECK(out && memcmp(out, want, want_len) == 0);
    free(out);
}

static void test_base64(void)
{
    check_decode("", "", 0);
    check_decode("Zg==", "f", 1);
    check_decode("Zm8=", "fo", 2);
    check_decode("Zm9v", "foo", 3);
    check_decode("Zm9vYmFy", "foobar", 6);
    check_decode("+/8=", "\xfb\xff", 2);
    const char *bad[] = {"Zg", "Zg=", "Zm9v\n", "Z===", "Zm=v", "Zm9-", "Zm9_", " Zm9v", NULL};
    for (const char **b = bad; *b; b++) {
        unsigned char *out = (unsigned char *)"x";
        size_t len = 5;
        CHECK(azure_base64_decode(*b, &out, &len) == NB_ERR_USAGE);
        CHECK(out == NULL && len == 0);
    }
    char *s = azure_base64("foobar", 6);
    CHECK_STR(s, "Zm9vYmFy");
    free(s);
    s = azure_base64("f", 1);
    CHECK_STR(s, "Zg==");
    free(s);
}

static void test_http_date(void)
{
    char buf[30];
    CHECK_STR(azure_http_date(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_STR(azure_http_date(1796278937, buf), "Thu, 03 Dec 2026 06:22:17 GMT");
    CHECK_STR(azure_http_date(951782400, buf), "Tue, 29 Feb 2000 00:00:00 GMT");
}

static void test_block_ids(void)
{
    char a[AZURE_BLOCK_ID_LEN + 1], b[AZURE_BLOCK_ID_LEN + 1];
    azure_block_id(0, 0, a);
    CHECK_STR(a, "MDAwMDAwMDAwMDAwMDAw"); /* base64("000000000000000") */
    azure_block_id(0xdeadbeefu, 1, a);
    CHECK_STR(a, "ZGVhZGJlZWYwMDAwMDAx"); /* base64("deadbeef0000001") */
    /* Every id of a blob: the same length, URL-safe, distinct, decodable;
     * another upload's ids differ. */
    bool ok = true;
    for (unsigned i = 0; i < AZURE_MAX_BLOCKS; i += 7) {
        azure_block_id(42, i, a);
        azure_block_id(42, i + 1, b);
        ok = ok && strlen(a) == AZURE_BLOCK_ID_LEN && strcmp(a, b) != 0;
        azure_block_id(43, i, b);
        ok = ok && strcmp(a, b) != 0;
        for (const char *p = a; *p; p++)
            ok = ok && isalnum((unsigned char)*p);
    }
    CHECK(ok);
    unsigned char *raw = NULL;
    size_t len = 0;
    azure_block_id(0xffffffffu, 49999, a);
    CHECK(azure_base64_decode(a, &raw, &len) == NB_OK);
    CHECK(len == 15 && raw && memcmp(raw, "ffffffff0049999", 15) == 0);
    free(raw);
}

int main(void)
{
    test_sdk_vectors();
    test_string_to_sign_layout();
    test_refused_requests();
    test_hmac();
    test_base64();
    test_http_date();
    test_block_ids();
    return unit_report("test_azure_sign");
}
