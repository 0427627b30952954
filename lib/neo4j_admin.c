#include "neo4j_admin.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

extern char **environ;

void argv_free(struct argv_list *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->items[i]);
    a->n = 0;
    a->items[0] = NULL;
}

static nb_err add(struct argv_list *a, const char *fmt, ...) NB_PRINTF(2, 3);
static nb_err add(struct argv_list *a, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    if (a->n >= ARGV_MAX)
        return nb_error(NB_ERR_INTERNAL, "neo4j-admin command line too long");
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        return NB_ERR_NOMEM;
    a->items[a->n++] = s;
    a->items[a->n] = NULL;
    return NB_OK;
}

void argv_format(const struct argv_list *a, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < a->n && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", a->items[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

const char *dialect_name(enum neo4j_dialect d)
{
    return d == DIALECT_44 ? "4.4" : "5";
}

nb_err neo4j_admin_parse_version(const char *text, char *version, size_t len,
                                 enum neo4j_dialect *dialect)
{
    const char *p = text;
    size_t n = 0;
    long major;

    /* The first word that starts with a digit: "neo4j-admin 4.4.10". */
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (isdigit((unsigned char)*p))
            break;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    while (p[n] && (isdigit((unsigned char)p[n]) || p[n] == '.' || p[n] == '-' ||
                    isalpha((unsigned char)p[n])))
        n++;
    if (n == 0 || n >= len)
        return nb_error(NB_ERR_ADMIN,
                        "unable to read a version from neo4j-admin --version ('%.60s'): set "
                        "NEO4J_ADMIN_DIALECT to 4.4 or 5",
                        text);
    memcpy(version, p, n);
    version[n] = '\0';
    major = strtol(version, NULL, 10);
    if (major == 4) {
        *dialect = DIALECT_44;
    } else if (major >= 5) {
        *dialect = DIALECT_5;
    } else {
        return nb_error(NB_ERR_ADMIN,
                        "neo4j-admin %s is not supported: this tool drives Neo4j 4.4 and 5+",
                        version);
    }
    return NB_OK;
}

/* Runs `program --version` and captures its first output line. */
static nb_err read_version(const char *program, char *line, size_t len)
{
    int fds[2];
    pid_t pid;
    int status;
    ssize_t n;
    size_t got = 0;

    if (pipe(fds) != 0)
        return nb_error(NB_ERR_ADMIN, "unable to run %s: %s", program, strerror(errno));
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return nb_error(NB_ERR_ADMIN, "unable to run %s: %s", program, strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp(program, program, "--version", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (got + 1 < len && (n = read(fds[0], line + got, len - 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        got += (size_t)n;
    }
    line[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nb_error(NB_ERR_ADMIN,
                        "'%s --version' failed (exit %d): install neo4j-admin or set NEO4J_ADMIN "
                        "to its path",
                        program, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return NB_OK;
}

nb_err neo4j_admin_detect(struct neo4j_admin *na, const char *program, const char *forced)
{
    char line[256];
    nb_err err;

    snprintf(na->program, sizeof(na->program), "%s", program);
    snprintf(na->version, sizeof(na->version), "unknown");
    if (forced && *forced) {
        if (strcmp(forced, "4.4") == 0 || strcmp(forced, "4") == 0)
            na->dialect = DIALECT_44;
        else if (strcmp(forced, "5") == 0 || strcmp(forced, "5+") == 0)
            na->dialect = DIALECT_5;
        else
            return nb_error(NB_ERR_USAGE, "NEO4J_ADMIN_DIALECT '%s' is unknown: use 4.4 or 5",
                            forced);
        /* The version only labels the manifest here; failing to read it is
         * not fatal when the dialect is forced. */
        if (read_version(program, line, sizeof(line)) == NB_OK) {
            enum neo4j_dialect ignored;
            if (neo4j_admin_parse_version(line, na->version, sizeof(na->version), &ignored))
                snprintf(na->version, sizeof(na->version), "unknown");
        }
        nb_error_clear();
        return NB_OK;
    }
    err = read_version(program, line, sizeof(line));
    if (!err)
        err = neo4j_admin_parse_version(line, na->version, sizeof(na->version), &na->dialect);
    return err;
}

static const char *b(bool v)
{
    return v ? "true" : "false";
}

nb_err neo4j_admin_backup_argv(const struct neo4j_admin *na, const struct backup_request *r,
                               struct argv_list *a)
{
    nb_err err = add(a, "%s", na->program);

    if (na->dialect == DIALECT_44) {
        if (!err)
            err = add(a, "backup");
        if (!err)
            err = add(a, "--backup-dir=%s", r->backup_dir);
        if (!err)
            err = add(a, "--from=%s", r->from);
        if (!err)
            err = add(a, "--database=%s", r->database);
        if (!err)
            err = add(a, "--fallback-to-full=%s", b(r->fallback_to_full));
        if (!err)
            err = add(a, "--pagecache=%s", r->pagecache);
        if (!err)
            err = add(a, "--check-consistency=%s", b(r->check_consistency));
        if (!err && r->check_consistency) {
            err = add(a, "--report-dir=%s", r->report_dir);
            if (!err)
                err = add(a, "--check-graph=%s", b(r->check_graph));
            if (!err)
                err = add(a, "--check-indexes=%s", b(r->check_indexes));
            if (!err)
                err = add(a, "--check-label-scan-store=%s", b(r->check_label_scan_store));
            if (!err)
                err = add(a, "--check-property-owners=%s", b(r->check_property_owners));
        }
    } else {
        if (!err)
            err = add(a, "database");
        if (!err)
            err = add(a, "backup");
        if (!err)
            err = add(a, "--to-path=%s", r->backup_dir);
        if (!err)
            err = add(a, "--from=%s", r->from);
        if (!err)
            err = add(a, "--type=%s", r->type);
        if (!err)
            err = add(a, "--pagecache=%s", r->pagecache);
        if (!err)
            err = add(a, "%s", r->database);
    }
    if (err)
        argv_free(a);
    return err;
}

nb_err neo4j_admin_check_argv(const struct neo4j_admin *na, const struct backup_request *r,
                              struct argv_list *a)
{
    nb_err err;

    if (na->dialect != DIALECT_5)
        return nb_error(NB_ERR_INTERNAL, "neo4j-admin 4.4 checks during backup");
    err = add(a, "%s", na->program);
    if (!err)
        err = add(a, "database");
    if (!err)
        err = add(a, "check");
    if (!err)
        err = add(a, "--from-path=%s", r->backup_dir);
    if (!err)
        err = add(a, "--report-path=%s", r->report_dir);
    if (!err)
        err = add(a, "--check-graph=%s", b(r->check_graph));
    if (!err)
        err = add(a, "--check-indexes=%s", b(r->check_indexes));
    if (!err)
        err = add(a, "--check-property-owners=%s", b(r->check_property_owners));
    if (!err)
        err = add(a, "%s", r->database);
    if (err)
        argv_free(a);
    return err;
}

nb_err neo4j_admin_check_restored_argv(const struct neo4j_admin *na, const struct check_request *r,
                                       struct argv_list *a)
{
    nb_err err = add(a, "%s", na->program);

    if (na->dialect == DIALECT_44) {
        /* 4.4 checks a database of the configured data folder: the
         * additional config points dbms.directories.* at the restore. */
        if (!err)
            err = add(a, "check-consistency");
        if (!err)
            err = add(a, "--database=%s", r->database);
        if (!err)
            err = add(a, "--additional-config=%s", r->config_file);
        if (!err)
            err = add(a, "--report-dir=%s", r->report_dir);
    } else {
        if (!err)
            err = add(a, "database");
        if (!err)
            err = add(a, "check");
        if (!err)
            err = add(a, "--from-path-data=%s", r->databases_dir);
        if (!err)
            err = add(a, "--from-path-txn=%s", r->transactions_dir);
        if (!err)
            err = add(a, "--report-path=%s", r->report_dir);
        if (!err)
            err = add(a, "%s", r->database);
    }
    if (err)
        argv_free(a);
    return err;
}

nb_err neo4j_admin_restore_argv(const struct neo4j_admin *na, const struct restore_request *r,
                                struct argv_list *a)
{
    nb_err err = add(a, "%s", na->program);

    if (na->dialect == DIALECT_44) {
        if (!err)
            err = add(a, "restore");
        if (!err)
            err = add(a, "--from=%s", r->from);
        if (!err)
            err = add(a, "--database=%s", r->database);
        if (!err && r->force)
            err = add(a, "--force");
        /* Staging is on the data volume: --move renames into place. */
        if (!err)
            err = add(a, "--move");
        if (!err)
            err = add(a, "--to-data-directory=%s", r->data_dir);
        if (!err)
            err = add(a, "--to-data-tx-directory=%s", r->txn_dir);
    } else {
        if (!err)
            err = add(a, "database");
        if (!err)
            err = add(a, "restore");
        if (!err)
            err = add(a, "--from-path=%s", r->from);
        if (!err && r->force)
            err = add(a, "--overwrite-destination=true");
        if (!err)
            err = add(a, "--to-path-data=%s", r->data_dir);
        if (!err)
            err = add(a, "--to-path-txn=%s", r->txn_dir);
        if (!err)
            err = add(a, "%s", r->database);
    }
    if (err)
        argv_free(a);
    return err;
}

nb_err neo4j_admin_unbind_argv(const struct neo4j_admin *na, struct argv_list *a)
{
    nb_err err = add(a, "%s", na->program);

    if (!err && na->dialect == DIALECT_5)
        err = add(a, "server");
    if (!err)
        err = add(a, "unbind");
    if (err)
        argv_free(a);
    return err;
}

nb_err neo4j_admin_run(const struct argv_list *argv, char *const *env, int *status)
{
    char line[4096];
    char cmd[2048];
    int fds[2];
    FILE *out;
    pid_t pid;
    int st;

    argv_format(argv, cmd, sizeof(cmd));
    log_info("running %s", cmd);
    if (pipe(fds) != 0)
        return nb_error(NB_ERR_ADMIN, "unable to run %s: %s", argv->items[0], strerror(errno));
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return nb_error(NB_ERR_ADMIN, "unable to run %s: %s", argv->items[0], strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        execvp(argv->items[0], argv->items);
        fprintf(stderr, "unable to run %s: %s\n", argv->items[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    out = fdopen(fds[0], "r");
    while (out && fgets(line, sizeof(line), out)) {
        line[strcspn(line, "\n")] = '\0';
        log_info("neo4j-admin: %s", line);
    }
    if (out)
        fclose(out);
    else
        close(fds[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (*status == 127)
        return nb_error(NB_ERR_ADMIN, "unable to run '%s': install neo4j-admin or set NEO4J_ADMIN",
                        argv->items[0]);
    return NB_OK;
}
