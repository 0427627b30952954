/*
 * sign.h: what the Azure Blob service asks of every request, as pure
 * functions: the pinned service version, Shared Key signing, the x-ms-date
 * format and block ids.
 *
 * Shared Key (Blob service, "Authorize with Shared Key", service versions
 * 2009-09-19 and later):
 *
 *   StringToSign = VERB "\n" Content-Encoding "\n" Content-Language "\n"
 *                  Content-Length "\n" (empty when 0) Content-MD5 "\n"
 *                  Content-Type "\n" Date "\n" If-Modified-Since "\n"
 *                  If-Match "\n" If-None-Match "\n" If-Unmodified-Since "\n"
 *                  Range "\n" CanonicalizedHeaders CanonicalizedResource
 *   CanonicalizedHeaders: every x-ms-* header, name lowercased, sorted by
 *     name, "name:value\n" (value without leading/trailing blanks; repeated
 *     names joined with ",").
 *   CanonicalizedResource: "/" ACCOUNT PATH, PATH exactly as sent
 *     (percent-encoded; for azurite's path-style URLs it starts with
 *     "/devstoreaccount1/"), then for each query parameter, sorted by
 *     lowercased name: "\n" name ":" percent-decoded value (repeated names:
 *     values sorted, joined with ",").
 *   Signature = base64(HMAC-SHA256(base64-decoded account key, StringToSign)),
 *   sent as "Authorization: SharedKey ACCOUNT:Signature".
 *
 * The headers signed must be the headers sent: a caller passes every header
 * it sets, and must set what libcurl would otherwise add on its own
 * (Content-Length of a body, a Content-Type: curl adds
 * "application/x-www-form-urlencoded" to POSTFIELDS bodies), and must keep
 * libcurl from rewriting the path (CURLOPT_PATH_AS_IS: "/./" and "/../" in a
 * blob name). Query parameters must have values ("prefix=" is refused:
 * azurite and the SDKs sign an empty parameter differently from the
 * service), and '+' in a value must be sent as %2B.
 *
 * Checked against @azure/storage-blob in tests/unit/test_azure_sign.c
 * (vectors: tests/fixtures/azure/shared_key_vectors.json).
 */
#ifndef NB_STORAGE_AZURE_SIGN_H
#define NB_STORAGE_AZURE_SIGN_H

#include <curl/curl.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

/* The x-ms-version every request sends: one version, pinned. azurite
 * 3.37 accepts it; the service has supported it since January 2025. */
#define AZURE_SERVICE_VERSION "2025-01-05"

/* Block ids: base64 of "nb" and 10 decimal digits, 16 characters, no
 * padding and only [A-Za-z0-9] (no escaping in a URL). Every block of a blob
 * must have an id of the same length; 50,000 blocks at most. */
#define AZURE_BLOCK_ID_LEN 20 /* base64 of 15 bytes */
#define AZURE_MAX_BLOCKS   50000u

/* The string to sign for `method` on `url` (scheme://host[:port]/path[?query])
 * with `headers` ("Name: value" lines; others ignored) for `account`.
 * NB_ERR_INTERNAL for a URL without a host or a query parameter without a
 * value. malloc'd into *out. */
nb_err azure_string_to_sign(const char *method, const char *account, const char *url,
                            const struct curl_slist *headers, char **out) NB_WARN_UNUSED;

/* The value of the Authorization header, "SharedKey ACCOUNT:SIGNATURE", for
 * the request; key_b64 is the account key as given (base64). A key that is
 * not base64 is NB_ERR_USAGE naming the account, never the key. malloc'd. */
nb_err azure_shared_key(const char *account, const char *key_b64, const char *method,
                        const char *url, const struct curl_slist *headers,
                        char **authorization) NB_WARN_UNUSED;

/* base64(HMAC-SHA256(key, data)). malloc'd. */
nb_err azure_hmac_sha256_b64(const unsigned char *key, size_t key_len, const char *data,
                             char **out) NB_WARN_UNUSED;

/* Strict standard base64 (RFC 4648 section 4, padding required, no blanks).
 * NB_ERR_USAGE when `in` is not base64 (message: "not valid base64");
 * *out is malloc'd (also for an empty input) and *len its length. */
nb_err azure_base64_decode(const char *in, unsigned char **out, size_t *len) NB_WARN_UNUSED;
/* Standard base64 with padding. malloc'd, NULL when out of memory. */
char *azure_base64(const void *data, size_t len);

/* RFC 1123 date, as x-ms-date wants: "Thu, 03 Dec 2026 06:22:17 GMT"
 * (English names whatever the locale). buf needs 30 bytes. */
const char *azure_http_date(time_t t, char buf[30]);

/* The id of block number `index` (0-based) of the upload `nonce`:
 * base64 of the nonce (8 hex digits) and the index (7 digits), so
 * AZURE_BLOCK_ID_LEN characters of [A-Za-z0-9] (the text never yields
 * '+', '/' or '='), the same width for every block of a blob; two uploads
 * racing for one name never share an id. NUL-terminated into out. */
void azure_block_id(unsigned nonce, unsigned index, char out[AZURE_BLOCK_ID_LEN + 1]);

#endif
