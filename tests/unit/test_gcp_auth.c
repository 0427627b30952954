/* Unit tests of lib/auth/gcp.c: base64url, the JWT's header and claims,
 * its RS256 signature, token answers, refresh timing, and key files (their
 * errors never quote the key). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/gcp.h"
#include "auth/token_cache.h"
#include "log.h"
#include "unit.h"

static void check_b64(const char *in, size_t len, const char *want)
{
    char *s = gcp_base64url(in, len);
    CHECK_STR(s, want);
    free(s);
}

static void test_base64url(void)
{
    /* RFC 4648 section 10, without padding */
    check_b64("", 0, "");
    check_b64("f", 1, "Zg");
    check_b64("fo", 2, "Zm8");
    check_b64("foo", 3, "Zm9v");
    check_b64("foob", 4, "Zm9vYg");
    check_b64("fooba", 5, "Zm9vYmE");
    check_b64("foobar", 6, "Zm9vYmFy");
    /* the URL-safe alphabet: '+' '/' become '-' '_' */
    check_b64("\xfb\xff", 2, "-_8");
    check_b64("\xff\xff\xfe", 3, "___-");
    check_b64("\0\0\0", 3, "AAAA");
}

/* Decodes base64url (no padding); returns the length or -1. */
static long b64url_decode(const char *in, size_t len, unsigned char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned v = 0, bits = 0;
    long n = 0;

    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(abc, in[i]);
        if (!p || !in[i])
            return -1;
        v = v << 6 | (unsigned)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    return n;
}

static void test_jwt_parts(void)
{
    char *h = gcp_jwt_header("0123abcd");
    char *h2 = gcp_jwt_header(NULL);
    char *c = gcp_jwt_claims("sa@p.iam.gserviceaccount.com", GCP_SCOPE_READ_WRITE,
                             "https://oauth2.googleapis.com/token", 1700000000LL, 3600);

    CHECK_STR(h, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"0123abcd\"}");
    CHECK_STR(h2, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    CHECK_STR(c, "{\"iss\":\"sa@p.iam.gserviceaccount.com\","
                 "\"scope\":\"https://www.googleapis.com/auth/devstorage.read_write\","
                 "\"aud\":\"https://oauth2.googleapis.com/token\","
                 "\"iat\":1700000000,\"exp\":1700003600}");
    free(h);
    free(h2);
    free(c);
}

static void test_jwt_sign(void)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    const char *header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    const char *claims = "{\"iss\":\"a\"}";
    char *jwt = NULL, *dot1, *dot2;
    unsigned char sig[1024], part[256];
    long siglen, n;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    CHECK(key != NULL);
    CHECK(gcp_jwt_sign(key, header, claims, &jwt) == NB_OK);
    CHECK(jwt != NULL);
    if (!jwt || !key)
        goto out;
    dot1 = strchr(jwt, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    CHECK(dot1 && dot2 && !strchr(dot2 + 1, '.'));
    CHECK(!strpbrk(jwt, "+/="));
    if (!dot1 || !dot2)
        goto out;
    n = b64url_decode(jwt, (size_t)(dot1 - jwt), part);
    CHECK(n == (long)strlen(header) && memcmp(part, header, (size_t)n) == 0);
    n = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), part);
    CHECK(n == (long)strlen(claims) && memcmp(part, claims, (size_t)n) == 0);
    siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
    CHECK(siglen == 256);
    /* RS256 = RSASSA-PKCS1-v1_5 with SHA-256 over "header.claims" */
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    CHECK(EVP_DigestVerify(md, sig, (size_t)siglen, (const unsigned char *)jwt,
                           (size_t)(dot2 - jwt)) == 1);
    /* a changed claim does not verify */
    jwt[dot1 - jwt + 2] ^= 1;
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    CHECK(EVP_DigestVerify(md, sig, (size_t)siglen, (const unsigned char *)jwt,
                           (size_t)(dot2 - jwt)) != 1);
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(jwt);
}

static void test_token_response(void)
{
    char *tok = NULL;
    long exp = 0;

    CHECK(gcp_parse_token_response("{\"access_token\":\"ya29.x\",\"expires_in\":3599,"
                                   "\"token_type\":\"Bearer\"}",
                                   &tok, &exp) == NB_OK);
    CHECK_STR(tok, "ya29.x");
    CHECK(exp == 3599);
    free(tok);
    tok = NULL;
    CHECK(gcp_parse_token_response("{\"access_token\":\"t\"}", &tok, &exp) == NB_OK);
    CHECK(exp == 3600);
    free(tok);
    tok = NULL;
    CHECK(gcp_parse_token_response("{\"access_token\":\"t\",\"expires_in\":\"60\"}", &tok, &exp) ==
          NB_OK);
    CHECK(exp == 60);
    free(tok);
    tok = NULL;
    CHECK(gcp_parse_token_response("{\"error\":\"invalid_grant\"}", &tok, &exp) == NB_ERR_STORAGE);
    CHECK(gcp_parse_token_response("not json", &tok, &exp) == NB_ERR_STORAGE);
    CHECK(gcp_parse_token_response(NULL, &tok, &exp) == NB_ERR_STORAGE);
    CHECK(gcp_parse_token_response("{\"access_token\":\"\"}", &tok, &exp) == NB_ERR_STORAGE);
}

static void test_refresh_timing(void)
{
    CHECK(token_refresh_margin(3600) == 300);
    CHECK(token_refresh_margin(1200) == 300);
    CHECK(token_refresh_margin(400) == 100);
    CHECK(token_refresh_margin(4) == 1);
    /* an hour's token is renewed 5 minutes before it ends */
    CHECK(token_fresh(100, 100, 3600));
    CHECK(token_fresh(100 + 3299, 100, 3600));
    CHECK(!token_fresh(100 + 3300, 100, 3600));
    CHECK(!token_fresh(100 + 4000, 100, 3600));
    /* a short-lived one a quarter of its life before */
    CHECK(token_fresh(2.9, 0, 4));
    CHECK(!token_fresh(3.0, 0, 4));
}

/* ---- key files ---- */

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/test_gcp_auth.XXXXXX");
    int fd = mkstemp(path);

    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
        perror("mkstemp");
        exit(2);
    }
    close(fd);
    return path;
}

static char *pem_of_new_key(void)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;

    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(bio, &data);
    out = strndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return out;
}

/* A JSON string of s ('\n' escaped). */
static char *json_escape_pem(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 1), *p = out;

    for (; *s; s++) {
        if (*s == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else {
            *p++ = *s;
        }
    }
    *p = '\0';
    return out;
}

static void expect_usage(const char *content, const char *must_say, const char *secret)
{
    char *path = write_temp(content);
    struct gcp_auth *a = NULL;
    nb_err err = gcp_auth_new(path, &a);

    CHECK(err == NB_ERR_USAGE);
    CHECK(a == NULL);
    CHECK(strstr(nb_errmsg(), path) != NULL);
    if (must_say)
        CHECK(strstr(nb_errmsg(), must_say) != NULL);
    if (secret)
        CHECK(strstr(nb_errmsg(), secret) == NULL);
    if (err != NB_ERR_USAGE || (must_say && !strstr(nb_errmsg(), must_say)))
        fprintf(stderr, "  message: %s\n  file: %s\n", nb_errmsg(), content);
    gcp_auth_free(a);
    unlink(path);
    free(path);
}

static void test_key_files(void)
{
    char *pem = pem_of_new_key(), *jpem = json_escape_pem(pem);
    /* a line from the middle of the key: it must never be quoted */
    char secret[41];
    char *good = malloc(strlen(jpem) + 1024), *bad_pem = malloc(1024), *path;
    struct gcp_auth *a = NULL;

    snprintf(secret, sizeof(secret), "%.40s", strchr(pem, '\n') + 66);
    sprintf(good,
            "{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"k1\","
            "\"private_key\":\"%s\",\"client_email\":\"sa@p.iam.gserviceaccount.com\","
            "\"token_uri\":\"http://127.0.0.1:9/token\"}",
            jpem);
    path = write_temp(good);
    CHECK(gcp_auth_new(path, &a) == NB_OK);
    if (a)
        CHECK_STR(gcp_auth_identity(a), "sa@p.iam.gserviceaccount.com");
    gcp_auth_free(a);
    unlink(path);
    free(path);

    /* not JSON, with key material in it: the position only */
    snprintf(bad_pem, 1024, "{\"private_key\": \"%s\" oops", secret);
    expect_usage(bad_pem, "not a JSON", secret);
    expect_usage("", "not a JSON", NULL);
    expect_usage("{\"type\":\"authorized_user\",\"client_id\":\"x\"}", "authorized_user", NULL);
    expect_usage("{\"type\":\"service_account\",\"private_key\":\"x\"}", "client_email", NULL);
    snprintf(bad_pem, 1024,
             "{\"type\":\"service_account\",\"client_email\":\"sa@p.iam.gserviceaccount.com\","
             "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n\"}",
             secret);
    expect_usage(bad_pem, "sa@p.iam.gserviceaccount.com", secret);

    {
        struct gcp_auth *b = NULL;
        CHECK(gcp_auth_new("/nonexistent/key.json", &b) == NB_ERR_USAGE);
        CHECK(b == NULL);
    }
    free(pem);
    free(jpem);
    free(good);
    free(bad_pem);
}

static void test_metadata_identity(void)
{
    struct gcp_auth *a = NULL;

    setenv("GCE_METADATA_HOST", "127.0.0.1:9", 1);
    CHECK(gcp_auth_new(NULL, &a) == NB_OK);
    if (a)
        CHECK(strstr(gcp_auth_identity(a), "127.0.0.1:9") != NULL);
    gcp_auth_free(a);
}

int main(void)
{
    log_init("test_gcp_auth");
    log_set_level(LOG_ERROR);
    test_base64url();
    test_jwt_parts();
    test_jwt_sign();
    test_token_response();
    test_refresh_timing();
    test_key_files();
    test_metadata_identity();
    return unit_report("test_gcp_auth");
}
