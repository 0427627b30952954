/*
 * config.h: every setting is a long option and an environment variable;
 * the option wins, then the environment, then the default (DESIGN
 * section 5). Each program declares a table of struct option_def.
 */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "location.h"

enum option_type { OPTION_STRING, OPTION_BOOL };

struct option_def {
    const char *name; /* long option without "--" */
    const char *env;  /* environment variable, or NULL */
    enum option_type type;
    const char *defval;  /* NULL: unset */
    const char *metavar; /* for --help */
    const char *help;
    /* Filled by config_parse: */
    const char *value;
    const char *source; /* "--bucket", "BUCKET" or "default" */
};

struct program_info {
    const char *name;    /* "neo4j-restore" */
    const char *summary; /* one paragraph for --help */
};

/* Fills every option's value. Sets *exit_now when --help or --version was
 * given (and has printed what they print). */
nb_err config_parse(const struct program_info *prog, struct option_def *opts, size_t n, int argc,
                    char **argv, bool *exit_now) NB_WARN_UNUSED;
/* true/false (also yes/no, 1/0); a bad value is a usage error naming the
 * option and where it came from. */
nb_err config_bool(const struct option_def *o, bool *out) NB_WARN_UNUSED;
nb_err config_int(const struct option_def *o, long min, long max, long *out) NB_WARN_UNUSED;
/* A value that must be set. */
nb_err config_required(const struct option_def *o) NB_WARN_UNUSED;

/* The comma list of DATABASE, validated; *dbs (malloc'd, with its strings)
 * is freed by config_free_list. Neo4j's database names are
 * case-insensitive and stored lower-case, so names are lower-cased (and a
 * log line says so): "Neo4j" files and finds its sets under "neo4j/". */
nb_err config_databases(const struct option_def *o, char ***dbs, size_t *n) NB_WARN_UNUSED;
void config_free_list(char **list, size_t n);

/* The longest DATA_DIR, BACKUP_DIR or local BUCKET folder: every path
 * built under them stays far below PATH_MAX. */
#define CONFIG_PATH_MAX 1024
/* The longest path inside a bucket: with DB/DB-TIMESTAMP.report.tar.gz the
 * key stays below the stores' 1024-byte limit. */
#define CONFIG_PREFIX_MAX 800

/* HOST:PORT, or a comma list of them: a host name, IPv4 or [IPv6] address,
 * and a port from 1 to 65535. */
nb_err config_host_port(const struct option_def *o) NB_WARN_UNUSED;
/* A memory size as neo4j-admin takes it (HEAP_SIZE, PAGE_CACHE): a whole
 * number above 0 and an optional unit k, m, g or t (any case); with
 * `jvm_form` false also a trailing "b"/"ib" ("512MB", "2GiB"). */
nb_err config_size(const struct option_def *o, bool jvm_form) NB_WARN_UNUSED;
/* UID:GID, each a number below 4294967295 (-1 would mean "no change"). */
nb_err config_owner(const struct option_def *o, uid_t *uid, gid_t *gid) NB_WARN_UNUSED;
/* NEO4J_ADMIN_DIALECT: unset, "4.4" (or "4") or "5" (or "5+"). */
nb_err config_dialect(const struct option_def *o) NB_WARN_UNUSED;
/* An absolute folder of at most CONFIG_PATH_MAX bytes; with must_exist,
 * one that exists. */
nb_err config_dir(const struct option_def *o, bool must_exist) NB_WARN_UNUSED;

/* The credentials file for `provider` (DESIGN section 5): the explicit one,
 * else GOOGLE_APPLICATION_CREDENTIALS for GCS, else /credentials/credentials
 * when it exists, else NULL (ambient identity). An explicit file that cannot
 * be read is a usage error. *path is malloc'd or NULL. */
nb_err config_credentials(const struct option_def *o, enum provider provider,
                          char **path) NB_WARN_UNUSED;

#define TOOL_VERSION "0.1.0"

/* The settings both programs share, for their option tables. */
#define CONFIG_OPTION_BUCKET(verb)                                                                 \
    {                                                                                              \
        "bucket", "BUCKET", OPTION_STRING, NULL, "URL",                                            \
            "where backups " verb ": gs://, s3://, azb://, file:///path"                           \
    }
#define CONFIG_OPTION_DATABASE(verb)                                                               \
    {                                                                                              \
        "database", "DATABASE", OPTION_STRING, "neo4j,system", "LIST",                             \
            "comma list of databases to " verb                                                     \
    }
#define CONFIG_OPTION_CLOUD_PROVIDER                                                               \
    {                                                                                              \
        "cloud-provider", "CLOUD_PROVIDER", OPTION_STRING, NULL, "NAME",                           \
            "gcp, aws, azure or local; optional when BUCKET's scheme says it"                      \
    }
#define CONFIG_OPTION_CREDENTIALS                                                                  \
    {                                                                                              \
        "credentials", "CREDENTIALS_FILE", OPTION_STRING, NULL, "FILE",                            \
            "credentials file (default: GOOGLE_APPLICATION_CREDENTIALS for GCS, else "             \
            "/credentials/credentials when present, else ambient identity)"                        \
    }
#define CONFIG_OPTION_NEO4J_ADMIN                                                                  \
    {                                                                                              \
        "neo4j-admin", "NEO4J_ADMIN", OPTION_STRING, "neo4j-admin", "PROGRAM",                     \
            "the neo4j-admin program"                                                              \
    }
#define CONFIG_OPTION_NEO4J_ADMIN_DIALECT                                                          \
    {                                                                                              \
        "neo4j-admin-dialect", "NEO4J_ADMIN_DIALECT", OPTION_STRING, NULL, "4.4|5",                \
            "force the command set instead of reading --version"                                   \
    }

/* Where and what: BUCKET (with CLOUD_PROVIDER), DATABASE and the credentials
 * file, validated together: the bucket or container name by its store's
 * rules (GCS, S3, Azure), path lengths, database names. */
struct config_target {
    struct location loc;
    char **databases;
    size_t n_databases;
    char *credentials;
};
nb_err config_target(const struct option_def *bucket, const struct option_def *provider,
                     const struct option_def *database, const struct option_def *credentials,
                     struct config_target *out) NB_WARN_UNUSED;
/* (database may be NULL: no DATABASE setting, n_databases 0.) */
void config_target_free(struct config_target *t);

/* ---- environment-only knobs (no option) ---- */

/* The value of environment variable `name`; NULL when unset or empty. */
const char *config_env(const char *name);
/* An environment-only number: unset keeps *out; else a whole number from
 * lo to hi, or NB_ERR_USAGE naming the variable and the range. */
nb_err config_env_number(const char *name, unsigned long long lo, unsigned long long hi,
                         unsigned long long *out) NB_WARN_UNUSED;

#endif
