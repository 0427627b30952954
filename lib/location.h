/*
 * location.h: where backups live (DESIGN section 2).
 *
 *   gs://bucket/path                          GCS
 *   s3://bucket/path                          S3 and S3-compatible stores
 *   azb://container/path                      Azure Blob
 *   https://ACCOUNT.blob.core.windows.net/container/path
 *   container/path with CLOUD_PROVIDER=azure  Azure, as neo4j-helm wrote it
 *   file:///abs/path or /abs/path             a local or mounted folder
 */
#ifndef NB_LOCATION_H
#define NB_LOCATION_H

#include "error.h"

enum provider { PROVIDER_LOCAL, PROVIDER_GCS, PROVIDER_S3, PROVIDER_AZURE };

struct location {
    enum provider provider;
    char *bucket;  /* bucket or container; for local, the folder's absolute path */
    char *prefix;  /* path inside the bucket: no leading or trailing '/', may be "" */
    char *account; /* Azure storage account when the URL names it, else NULL */
    char *display; /* canonical form for logs: "gs://bucket/path" */
};

/* CLOUD_PROVIDER's spelling of each provider: "local", "gcp", "aws", "azure". */
const char *provider_name(enum provider p);

/* Parses BUCKET; `cloud_provider` (may be NULL or "") must agree with the
 * scheme. Usage errors name the setting and the accepted forms. */
nb_err location_parse(const char *bucket, const char *cloud_provider,
                      struct location *out) NB_WARN_UNUSED;
/* prefix + "/" + name (or name alone when there is no prefix); malloc'd. */
char *location_key(const struct location *loc, const char *name);
void location_free(struct location *loc);

#endif
