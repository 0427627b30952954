#include "location.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const provider_names[] = {
    [PROVIDER_LOCAL] = "local",
    [PROVIDER_GCS] = "gcp",
    [PROVIDER_S3] = "aws",
    [PROVIDER_AZURE] = "azure",
};

const char *provider_name(enum provider p)
{
    return provider_names[p];
}

static nb_err provider_from_name(const char *name, enum provider *out)
{
    for (size_t i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]); i++) {
        if (strcmp(name, provider_names[i]) == 0) {
            *out = (enum provider)i;
            return NB_OK;
        }
    }
    return nb_error(NB_ERR_USAGE,
                    "CLOUD_PROVIDER '%s' is unknown: use one of gcp, aws, azure, local", name);
}

/* Copies s[0..len) with runs of '/' folded and no leading or trailing '/'. */
static char *clean_path(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t n = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '/' && (n == 0 || out[n - 1] == '/'))
            continue;
        out[n++] = s[i];
    }
    while (n > 0 && out[n - 1] == '/')
        n--;
    out[n] = '\0';
    return out;
}

/* "bucket/some/path" -> bucket, prefix */
static nb_err split_bucket(const char *what, const char *rest, struct location *out)
{
    const char *slash = strchr(rest, '/');

    if (!slash)
        slash = rest + strlen(rest);
    if (slash == rest)
        return nb_error(NB_ERR_USAGE, "BUCKET '%s' names no bucket or container: write it as %s",
                        what, "gs://bucket/path, s3://bucket/path or azb://container/path");
    out->bucket = strndup(rest, (size_t)(slash - rest));
    out->prefix = clean_path(slash, strlen(slash));
    if (!out->bucket || !out->prefix)
        return NB_ERR_NOMEM;
    return NB_OK;
}

static nb_err make_display(struct location *out)
{
    static const char *const schemes[] = {
        [PROVIDER_LOCAL] = "file://",
        [PROVIDER_GCS] = "gs://",
        [PROVIDER_S3] = "s3://",
        [PROVIDER_AZURE] = "azb://",
    };
    size_t len = strlen(out->bucket) + strlen(out->prefix) + 16;

    out->display = malloc(len);
    if (!out->display)
        return NB_ERR_NOMEM;
    snprintf(out->display, len, "%s%s%s%s", schemes[out->provider], out->bucket,
             out->prefix[0] ? "/" : "", out->prefix);
    return NB_OK;
}

nb_err location_parse(const char *bucket, const char *cloud_provider, struct location *out)
{
    enum provider wanted = PROVIDER_LOCAL;
    bool have_wanted = cloud_provider && *cloud_provider;
    nb_err err = NB_OK;

    memset(out, 0, sizeof(*out));
    if (have_wanted && (err = provider_from_name(cloud_provider, &wanted)))
        return err;
    if (!bucket || !*bucket)
        return nb_error(NB_ERR_USAGE, "BUCKET is not set: give --bucket or BUCKET, e.g. "
                                      "gs://my-bucket/neo4j or file:///backups");

    if (strncmp(bucket, "gs://", 5) == 0) {
        out->provider = PROVIDER_GCS;
        err = split_bucket(bucket, bucket + 5, out);
    } else if (strncmp(bucket, "s3://", 5) == 0) {
        out->provider = PROVIDER_S3;
        err = split_bucket(bucket, bucket + 5, out);
    } else if (strncmp(bucket, "azb://", 6) == 0) {
        out->provider = PROVIDER_AZURE;
        err = split_bucket(bucket, bucket + 6, out);
    } else if (strncmp(bucket, "https://", 8) == 0 && strstr(bucket, ".blob.core.windows.net/")) {
        const char *host = bucket + 8;
        const char *dot = strchr(host, '.');
        out->provider = PROVIDER_AZURE;
        out->account = strndup(host, (size_t)(dot - host));
        err = out->account ? split_bucket(bucket, strchr(host, '/') + 1, out) : NB_ERR_NOMEM;
    } else if (strncmp(bucket, "file://", 7) == 0 || bucket[0] == '/') {
        const char *path = strncmp(bucket, "file://", 7) == 0 ? bucket + 7 : bucket;
        if (path[0] != '/')
            return nb_error(NB_ERR_USAGE,
                            "BUCKET '%s' is not an absolute path: write file:///abs/path", bucket);
        out->provider = PROVIDER_LOCAL;
        out->bucket = clean_path(path, strlen(path));
        out->prefix = strdup("");
        if (out->bucket && out->bucket[0] == '\0') {
            free(out->bucket);
            out->bucket = strdup("/");
        } else if (out->bucket) {
            /* clean_path dropped the leading '/': put it back. */
            char *abs = malloc(strlen(out->bucket) + 2);
            if (abs)
                sprintf(abs, "/%s", out->bucket);
            free(out->bucket);
            out->bucket = abs;
        }
        err = out->bucket && out->prefix ? NB_OK : NB_ERR_NOMEM;
    } else if (strstr(bucket, "://")) {
        return nb_error(NB_ERR_USAGE,
                        "BUCKET '%s' has an unknown scheme: use gs://, s3://, azb://, "
                        "https://ACCOUNT.blob.core.windows.net/ or file://",
                        bucket);
    } else if (have_wanted && wanted == PROVIDER_AZURE) {
        out->provider = PROVIDER_AZURE;
        err = split_bucket(bucket, bucket, out);
    } else {
        return nb_error(NB_ERR_USAGE,
                        "BUCKET '%s' names no provider: write gs://, s3://, azb:// or file:///, "
                        "or set CLOUD_PROVIDER=azure for container/path",
                        bucket);
    }
    if (!err && have_wanted && wanted != out->provider)
        err = nb_error(NB_ERR_USAGE,
                       "CLOUD_PROVIDER '%s' contradicts BUCKET '%s' (a %s location): "
                       "fix one of them or leave CLOUD_PROVIDER unset",
                       cloud_provider, bucket, provider_name(out->provider));
    if (!err)
        err = make_display(out);
    if (err)
        location_free(out);
    return err;
}

char *location_key(const struct location *loc, const char *name)
{
    size_t len = strlen(loc->prefix) + strlen(name) + 2;
    char *key = malloc(len);

    if (key)
        snprintf(key, len, "%s%s%s", loc->prefix, loc->prefix[0] ? "/" : "", name);
    return key;
}

void location_free(struct location *loc)
{
    free(loc->bucket);
    free(loc->prefix);
    free(loc->account);
    free(loc->display);
    memset(loc, 0, sizeof(*loc));
}
