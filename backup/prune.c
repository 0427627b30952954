/* neo4j-backup prune: restic-style retention (DESIGN section 11).
 *
 * Each removal is marker first (DB/DB-STAMP.pruning), then the manifest,
 * then the archive and report, then the marker: no manifest ever names a
 * missing archive, and a kill anywhere leaves a marker the next prune
 * finishes. Never removed: the set latest names, sets without a manifest
 * (legacy), and any object the naming convention does not describe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static const struct option_def retention_defs[RETENTION_OPTIONS] = {
    [RETAIN_LAST] = {"keep-last", "KEEP_LAST", OPTION_STRING, NULL, "N", "keep the N newest sets"},
    [RETAIN_HOURLY] = {"keep-hourly", "KEEP_HOURLY", OPTION_STRING, NULL, "N",
                       "keep the newest set of each of the last N hours that have one (UTC)"},
    [RETAIN_DAILY] = {"keep-daily", "KEEP_DAILY", OPTION_STRING, NULL, "N",
                      "keep the newest set of each of the last N days that have one (UTC)"},
    [RETAIN_WEEKLY] = {"keep-weekly", "KEEP_WEEKLY", OPTION_STRING, NULL, "N",
                       "keep the newest set of each of the last N ISO weeks that have one"},
    [RETAIN_MONTHLY] = {"keep-monthly", "KEEP_MONTHLY", OPTION_STRING, NULL, "N",
                        "keep the newest set of each of the last N months that have one"},
    [RETAIN_YEARLY] = {"keep-yearly", "KEEP_YEARLY", OPTION_STRING, NULL, "N",
                       "keep the newest set of each of the last N years that have one"},
    [RETAIN_WITHIN] = {"keep-within", "KEEP_WITHIN", OPTION_STRING, NULL, "DURATION",
                       "keep every set taken within DURATION (36h, 30d, 1y6m) of the newest"},
};

void retention_option_defs(struct option_def *defs)
{
    memcpy(defs, retention_defs, sizeof(retention_defs));
}

nb_err retention_from_options(const struct option_def *defs, struct retention_policy *p)
{
    nb_err err;

    memset(p, 0, sizeof(*p));
    for (int r = 0; r < RETAIN_WITHIN; r++) {
        if (defs[r].value && *defs[r].value &&
            (err = config_int(&defs[r], 0, 1000000, &p->count[r])))
            return err;
    }
    if (defs[RETAIN_WITHIN].value && *defs[RETAIN_WITHIN].value) {
        char where[64];
        snprintf(where, sizeof(where), "%s",
                 strcmp(defs[RETAIN_WITHIN].source, "KEEP_WITHIN") == 0 ? "KEEP_WITHIN"
                                                                        : "--keep-within");
        if ((err = retention_parse_duration(defs[RETAIN_WITHIN].value, where, &p->within)))
            return err;
        p->within_set = true;
    }
    return NB_OK;
}

static nb_err remove_if_there(struct storage *st, const char *db, const char *stamp,
                              enum object_kind kind)
{
    char name[512];
    nb_err err;

    naming_object(name, sizeof(name), db, stamp, kind);
    err = storage_remove(st, name);
    if (err == NB_ERR_NOT_FOUND) {
        nb_error_clear();
        err = NB_OK;
    }
    return err;
}

static void marker_name(char *buf, size_t len, const char *db, const char *stamp)
{
    snprintf(buf, len, "%s/%s-%s.pruning", db, db, stamp);
}

/* Manifest, archives, report, then the marker (which must exist). */
static nb_err finish_removal(struct storage *st, const char *db, const char *stamp)
{
    char marker[512];
    nb_err err;

    marker_name(marker, sizeof(marker), db, stamp);
    if ((err = remove_if_there(st, db, stamp, OBJECT_MANIFEST)) ||
        (err = remove_if_there(st, db, stamp, OBJECT_ARCHIVE_GZIP)) ||
        (err = remove_if_there(st, db, stamp, OBJECT_ARCHIVE_ZSTD)) ||
        (err = remove_if_there(st, db, stamp, OBJECT_REPORT)))
        return err;
    err = storage_remove(st, marker);
    if (err == NB_ERR_NOT_FOUND) {
        nb_error_clear();
        err = NB_OK;
    }
    return err;
}

static nb_err remove_set(struct storage *st, const char *db, const char *stamp)
{
    static const char note[] = "neo4j-backup prune is removing this set; the next prune "
                               "finishes it\n";
    char marker[512];
    nb_err err;

    marker_name(marker, sizeof(marker), db, stamp);
    if ((err = storage_write_small(st, marker, note, strlen(note))))
        return err;
    return finish_removal(st, db, stamp);
}

nb_err prune_database(struct storage *st, struct catalog_db *db, const struct retention_policy *p,
                      bool dry_run)
{
    time_t *times = calloc(db->n_sets ? db->n_sets : 1, sizeof(*times));
    struct retention_decision *d = calloc(db->n_sets ? db->n_sets : 1, sizeof(*d));
    size_t *index = calloc(db->n_sets ? db->n_sets : 1, sizeof(*index));
    size_t n = 0, removed = 0, kept = 0, finished = 0, legacy = 0;
    const char *verb = dry_run ? "would remove" : "removing";
    nb_err err = NB_OK;

    if (!times || !d || !index) {
        err = NB_ERR_NOMEM;
        goto out;
    }
    /* A marker means a prune was killed half-way: finish it first. */
    for (size_t i = 0; !err && i < db->n_sets; i++) {
        struct catalog_set *s = &db->sets[i];
        if (!s->marked)
            continue;
        if (strcmp(s->stamp, db->latest) == 0) {
            log_warn("[%s] %s carries a prune marker but latest names it: leaving it alone",
                     db->name, s->stamp);
            continue;
        }
        log_info("[%s] %s %s: a previous prune was interrupted", db->name,
                 dry_run ? "would finish removing" : "finishing the removal of", s->stamp);
        if (!dry_run && !(err = finish_removal(st, db->name, s->stamp)))
            finished++;
    }
    /* The rules count every set with a manifest (good or failed). */
    for (size_t i = 0; i < db->n_sets; i++) {
        struct catalog_set *s = &db->sets[i];
        struct tm tm = {0};
        if (s->marked)
            continue;
        if (!s->has_manifest) {
            legacy++;
            continue;
        }
        strptime(s->stamp, NAMING_TIMESTAMP_FORMAT, &tm);
        times[n] = timegm(&tm);
        index[n++] = i;
    }
    retention_apply(p, times, n, d);
    for (size_t k = 0; !err && k < n; k++) {
        struct catalog_set *s = &db->sets[index[k]];
        char why[128];

        if (d[k].reasons) {
            kept++;
            log_info("[%s] keep %s (%s)", db->name, s->stamp,
                     retention_format_reasons(d[k].reasons, why, sizeof(why)));
            continue;
        }
        if (strcmp(s->stamp, db->latest) == 0) {
            kept++;
            log_info("[%s] keep %s (latest names it)", db->name, s->stamp);
            continue;
        }
        log_info("[%s] %s %s", db->name, verb, s->stamp);
        if (!dry_run && (err = remove_set(st, db->name, s->stamp)))
            break;
        removed++;
    }
    if (legacy)
        log_info("[%s] kept %zu set(s) without a manifest (made by another tool): prune never "
                 "removes them",
                 db->name, legacy);
    if (!err)
        log_info("[%s] prune%s: %zu kept, %zu %s%s", db->name, dry_run ? " (dry run)" : "", kept,
                 removed, dry_run ? "to remove" : "removed",
                 finished ? ", interrupted removals finished" : "");
out:
    free(times);
    free(d);
    free(index);
    return err;
}

int cmd_prune(int argc, char **argv)
{
    enum { OPT_DRY_RUN = RETENTION_OPTIONS, OPT_COUNT };
    struct option_def opts[OPT_COUNT];
    struct retention_policy policy;
    struct command_target t;
    struct catalog cat;
    bool exit_now = false, dry_run = false;
    int status = EXIT_OK;
    nb_err err;

    retention_option_defs(opts);
    opts[OPT_DRY_RUN] = (struct option_def){.name = "dry-run",
                                            .env = "DRY_RUN",
                                            .type = OPTION_BOOL,
                                            .defval = "false",
                                            .help = "print the plan, change nothing"};
    err = command_setup("prune",
                        "Removes the sets that no retention rule keeps (restic's forget): "
                        "KEEP_LAST, KEEP_HOURLY,\nKEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, "
                        "KEEP_YEARLY (UTC periods, the newest set of each\nkept) and "
                        "KEEP_WITHIN. Never removes the set latest names, sets without a "
                        "manifest,\nor objects it did not write. Refuses to run without a rule.",
                        opts, OPT_COUNT, argc, argv, &t, &exit_now);
    if (!err && !exit_now && !(err = config_bool(&opts[OPT_DRY_RUN], &dry_run)) &&
        !(err = retention_from_options(opts, &policy)) && !retention_any(&policy))
        err = nb_error(NB_ERR_USAGE, "no retention rule is set: prune never deletes by default; "
                                     "set KEEP_LAST, KEEP_HOURLY, KEEP_DAILY, KEEP_WEEKLY, "
                                     "KEEP_MONTHLY, KEEP_YEARLY or KEEP_WITHIN");
    if (err || exit_now) {
        if (err)
            log_error("%s", nb_errmsg());
        command_teardown(&t);
        return err ? nb_exit_code(err) : EXIT_OK;
    }
    err = catalog_load(t.storage, t.target.databases, t.target.n_databases, &cat);
    if (err) {
        log_error("%s", nb_errmsg());
        command_teardown(&t);
        return nb_exit_code(err);
    }
    for (size_t i = 0; i < cat.n_dbs; i++) {
        nb_error_clear();
        err = prune_database(t.storage, &cat.dbs[i], &policy, dry_run);
        if (err) {
            log_error("[%s] %s", cat.dbs[i].name, nb_errmsg());
            if (status == EXIT_OK)
                status = nb_exit_code(err);
        }
    }
    catalog_free(&cat);
    command_teardown(&t);
    return status;
}
