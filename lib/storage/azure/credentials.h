/*
 * credentials.h: Azure storage credentials from a KEY=VALUE file, the
 * environment or a connection string (DESIGN sections 5 and 10), as pure
 * parsers. Nothing here is executed or expanded: a `$(...)`, `${X}` or
 * backquote in a value is kept as data.
 *
 * The KEY=VALUE file (the shell subset the older neo4j-helm tools sourced):
 *   - blank lines and lines starting with '#' are skipped; CRLF is accepted;
 *   - `export ` before a key is allowed (`export KEY` alone is skipped);
 *   - KEY is [A-Za-z_][A-Za-z0-9_]*, followed by '=' (blanks around it are
 *     tolerated);
 *   - the value is made of unquoted text (a backslash takes the next
 *     character literally; `$(...)`, `${...}` and backquoted parts are kept
 *     whole, blanks included), '...' (literal) and "..." (backslash escapes
 *     only \ " $ `) parts, up to the first unquoted blank; after it only a
 *     `# comment` may follow;
 *   - the last assignment of a key wins.
 * Errors give the file's name, the line number and the key, never a value.
 *
 * Names read (from the file, or the environment with the same names):
 *   AZURE_STORAGE_CONNECTION_STRING; AZURE_STORAGE_ACCOUNT_NAME or
 *   ACCOUNT_NAME; AZURE_STORAGE_ACCOUNT_KEY or ACCOUNT_KEY;
 *   AZURE_STORAGE_SAS_TOKEN; AZURE_STORAGE_BLOB_ENDPOINT.
 */
#ifndef NB_STORAGE_AZURE_CREDENTIALS_H
#define NB_STORAGE_AZURE_CREDENTIALS_H

#include <stddef.h>

#include "error.h"

#define AZURE_DEFAULT_ENDPOINT_SUFFIX "core.windows.net"
#define AZURE_CREDENTIALS_MAX_BYTES   (64u << 10)
/* azurite's account and its well-known key (UseDevelopmentStorage=true). */
#define AZURE_DEV_ACCOUNT "devstoreaccount1"
#define AZURE_DEV_KEY                                                                              \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define AZURE_DEV_ENDPOINT "http://127.0.0.1:10000/devstoreaccount1"

struct azure_kv {
    char *key;
    char *value;
};

struct azure_kv_list {
    struct azure_kv *items;
    size_t n;
};

/* Parses KEY=VALUE text; `source` names it in messages (e.g. the file's
 * path). NB_ERR_USAGE for a line that is not KEY=VALUE or an unterminated
 * quote. */
nb_err azure_kv_parse(const char *text, const char *source,
                      struct azure_kv_list *out) NB_WARN_UNUSED;
/* Reads and parses the file at `path` (at most AZURE_CREDENTIALS_MAX_BYTES).
 * NB_ERR_USAGE when it cannot be read or parsed. */
nb_err azure_kv_read_file(const char *path, struct azure_kv_list *out) NB_WARN_UNUSED;
/* The value of `key` (the last one), NULL when absent. */
const char *azure_kv_get(const struct azure_kv_list *l, const char *key);
/* Frees the list, wiping the values first. */
void azure_kv_free(struct azure_kv_list *l);

struct azure_connection_string {
    char *protocol;        /* "https" (default) or "http" */
    char *account_name;    /* NULL when not given */
    char *account_key;     /* base64, NULL when not given */
    char *sas;             /* without a leading '?', NULL when not given */
    char *endpoint_suffix; /* AZURE_DEFAULT_ENDPOINT_SUFFIX when not given */
    char *blob_endpoint;   /* BlobEndpoint, else PROTOCOL://ACCOUNT.blob.SUFFIX; no trailing '/' */
};

/* Parses "Key=Value;Key=Value" (keys case-insensitive, unknown ones
 * ignored): DefaultEndpointsProtocol, AccountName, AccountKey,
 * EndpointSuffix, BlobEndpoint, SharedAccessSignature,
 * UseDevelopmentStorage=true (azurite's account, key and endpoint).
 * NB_ERR_USAGE when a part is not Key=Value, the protocol is not http or
 * https, neither AccountName nor BlobEndpoint is given, there is neither
 * AccountKey nor SharedAccessSignature, AccountKey comes without
 * AccountName, or the key is not base64. Messages never quote the key or
 * the signature. */
nb_err azure_connection_string_parse(const char *s,
                                     struct azure_connection_string *out) NB_WARN_UNUSED;
/* Frees the fields, wiping the key and SAS first. */
void azure_connection_string_free(struct azure_connection_string *c);

enum azure_credential_kind {
    AZURE_CRED_NONE = 0,   /* nothing found: the ambient identity applies */
    AZURE_CRED_SHARED_KEY, /* account_key set */
    AZURE_CRED_SAS,        /* sas set */
};

struct azure_credentials {
    enum azure_credential_kind kind;
    char *account_name;  /* NULL when the source names none (then: the URL) */
    char *account_key;   /* base64 */
    char *sas;           /* without a leading '?' */
    char *blob_endpoint; /* connection string's, or AZURE_STORAGE_BLOB_ENDPOINT; NULL */
};

/* Looks a name up in a source: a kv list, or the environment. */
typedef const char *(*azure_lookup_fn)(void *ctx, const char *name);
/* Lookups for azure_credentials_resolve: ctx is a struct azure_kv_list *,
 * or unused (getenv). */
const char *azure_lookup_kv(void *ctx, const char *name);
const char *azure_lookup_env(void *ctx, const char *name);

/* The credentials one source gives, first that applies: a connection
 * string; an account key (with the account name, if any); a SAS token;
 * else AZURE_CRED_NONE. `source` names the source in messages ("the
 * credentials file /credentials/credentials", "the environment").
 * NB_ERR_USAGE for a bad connection string or a key that is not base64. */
nb_err azure_credentials_resolve(azure_lookup_fn lookup, void *ctx, const char *source,
                                 struct azure_credentials *out) NB_WARN_UNUSED;
void azure_credentials_free(struct azure_credentials *c);

#endif
