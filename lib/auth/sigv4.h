/*
 * sigv4.h: AWS Signature Version 4, as S3 uses it.
 *
 * Pure functions of the request, the credentials and the time: no socket,
 * no state; checked against AWS's published Signature Version 4 test
 * suite (tests/unit/test_sigv4.c). S3 flavour: the path is signed as sent
 * (encoded once, not normalised); the caller puts x-amz-date (and for S3
 * x-amz-content-sha256, x-amz-security-token) among the headers to sign.
 */
#ifndef NB_AUTH_SIGV4_H
#define NB_AUTH_SIGV4_H

#include <curl/curl.h>
#include <time.h>

#include "error.h"

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_params {
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service; /* "s3", "sts" */
    time_t when;         /* the time in x-amz-date */
};

struct sigv4_result {
    char *canonical_request;
    char *string_to_sign;
    char *authorization; /* the Authorization header's value */
};

/* "20150830T123600Z" into buf (at least 17 bytes). */
void sigv4_amz_date(time_t when, char *buf, size_t len);

/* Signs method + url (its path and query) + headers ("Name: value"; Host
 * derived from the URL when absent; every header given is signed) +
 * payload_hash (hex, or UNSIGNED-PAYLOAD). Free with sigv4_result_free. */
nb_err sigv4_sign(const struct sigv4_params *p, const char *method, const char *url,
                  const struct curl_slist *headers, const char *payload_hash,
                  struct sigv4_result *out) NB_WARN_UNUSED;
void sigv4_result_free(struct sigv4_result *r);

/* Lowercase hex SHA-256 of data into hex (65 bytes). */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
