/*
 * neo4j_admin.h: the documented command lines of neo4j-admin (DESIGN
 * section 9) for both dialects, and running them with their output in our
 * log. The *_argv builders are pure: unit tests check them to the byte.
 */
#ifndef NB_NEO4J_ADMIN_H
#define NB_NEO4J_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum neo4j_dialect { DIALECT_44 = 4, DIALECT_5 = 5 };

struct neo4j_admin {
    char program[1024];
    enum neo4j_dialect dialect;
    char version[32]; /* "4.4.10", "5.26.0", "2025.10.1", or "unknown" */
};

#define ARGV_MAX 40
struct argv_list {
    int n;
    char *items[ARGV_MAX + 1]; /* NULL-terminated */
};
void argv_free(struct argv_list *a);
/* "neo4j-admin backup --backup-dir=/b ..." for logs. */
void argv_format(const struct argv_list *a, char *buf, size_t len);

/* Parses `neo4j-admin --version` output ("neo4j-admin 4.4.10", "5.26.0",
 * "2025.10.1"). */
nb_err neo4j_admin_parse_version(const char *text, char *version, size_t len,
                                 enum neo4j_dialect *dialect) NB_WARN_UNUSED;
/* Finds the dialect: from `forced` ("4.4" or "5") when set, else from
 * `program --version`. */
nb_err neo4j_admin_detect(struct neo4j_admin *na, const char *program,
                          const char *forced) NB_WARN_UNUSED;
const char *dialect_name(enum neo4j_dialect d); /* "4.4" / "5" */

struct backup_request {
    const char *database;
    const char *backup_dir; /* 4.4: --backup-dir (the set lands in DIR/DB); 5: --to-path */
    const char *from;       /* host:port */
    const char *pagecache;
    const char *report_dir; /* 4.4 --report-dir; 5: check's --report-path */
    const char *type;       /* 5: FULL, DIFF or AUTO */
    bool fallback_to_full;
    bool check_consistency;
    bool check_graph;
    bool check_indexes;
    bool check_label_scan_store;
    bool check_property_owners;
};

struct restore_request {
    const char *database;
    const char *from;     /* 4.4: the set folder; 5: the newest artifact */
    const char *data_dir; /* DATA_DIR/databases */
    const char *txn_dir;  /* DATA_DIR/transactions */
    bool force;
};

nb_err neo4j_admin_backup_argv(const struct neo4j_admin *na, const struct backup_request *req,
                               struct argv_list *out) NB_WARN_UNUSED;
/* 5 only: `database check` of the artifacts in req->backup_dir. */
nb_err neo4j_admin_check_argv(const struct neo4j_admin *na, const struct backup_request *req,
                              struct argv_list *out) NB_WARN_UNUSED;
/* The consistency check of a restored database (a restore drill): 4.4
 * `check-consistency --database --additional-config` (a config naming the
 * drill's data folders), 5+ `database check --from-path-data
 * --from-path-txn`. */
struct check_request {
    const char *database;
    const char *databases_dir;    /* DATA/databases */
    const char *transactions_dir; /* DATA/transactions */
    const char *config_file;      /* 4.4: dbms.directories.data=DATA ... */
    const char *report_dir;
};
nb_err neo4j_admin_check_restored_argv(const struct neo4j_admin *na, const struct check_request *r,
                                       struct argv_list *out) NB_WARN_UNUSED;
nb_err neo4j_admin_restore_argv(const struct neo4j_admin *na, const struct restore_request *req,
                                struct argv_list *out) NB_WARN_UNUSED;
nb_err neo4j_admin_unbind_argv(const struct neo4j_admin *na, struct argv_list *out) NB_WARN_UNUSED;

/* Runs argv with `env` ("NAME=value" strings, NULL-terminated, may be NULL)
 * added to ours; every output line goes to the log. *status is the exit
 * status (128 + signal when killed). NB_ERR_ADMIN only when it could not
 * run at all. */
nb_err neo4j_admin_run(const struct argv_list *argv, char *const *env, int *status) NB_WARN_UNUSED;

#endif
