/* neo4j-backup list: every set per database, newest first (DESIGN section
 * 11). Reads the listing and the manifests, never an archive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "log.h"

enum { OPT_OUTPUT, OPT_COUNT };

static const char *set_compression(const struct catalog_set *s)
{
    if (s->manifest_loaded)
        return compression_name(s->manifest.compression);
    return s->has_zstd ? "zstd" : "gzip";
}

static uint64_t set_bytes(const struct catalog_set *s)
{
    return s->manifest_loaded ? s->manifest.archive_bytes : s->archive_size;
}

static void archive_name(const struct catalog_db *db, const struct catalog_set *s, char *buf,
                         size_t len)
{
    char full[512];

    if (s->manifest_loaded) {
        snprintf(buf, len, "%s", s->manifest.archive_name);
        return;
    }
    naming_object(full, sizeof(full), db->name, s->stamp,
                  s->has_zstd ? OBJECT_ARCHIVE_ZSTD : OBJECT_ARCHIVE_GZIP);
    snprintf(buf, len, "%s", naming_basename(full));
}

static json_t *set_json(const struct catalog_db *db, const struct catalog_set *s)
{
    char name[512];
    bool legacy = catalog_legacy(s);
    json_t *o = json_object();

    archive_name(db, s, name, sizeof(name));
    json_object_set_new(o, "timestamp", json_string(s->stamp));
    json_object_set_new(o, "archive", json_string(name));
    json_object_set_new(o, "bytes", json_integer((json_int_t)set_bytes(s)));
    json_object_set_new(o, "content_bytes",
                        s->manifest_loaded ? json_integer((json_int_t)s->manifest.content_bytes)
                                           : json_null());
    json_object_set_new(o, "compression", json_string(set_compression(s)));
    json_object_set_new(o, "consistency",
                        s->manifest_loaded && s->manifest.consistency[0]
                            ? json_string(s->manifest.consistency)
                            : json_null());
    json_object_set_new(o, "sha256",
                        s->manifest_loaded ? json_string(s->manifest.sha256) : json_null());
    json_object_set_new(o, "legacy", json_boolean(legacy));
    return o;
}

static void print_text(const struct catalog *cat)
{
    if (cat->n_dbs == 0)
        printf("no backups\n");
    for (size_t i = 0; i < cat->n_dbs; i++) {
        const struct catalog_db *db = &cat->dbs[i];
        size_t shown = 0;

        printf("%s%s", i ? "\n" : "", db->name);
        if (db->latest[0])
            printf(" (latest: %s)\n", db->latest);
        else if (db->has_latest_archive)
            printf(" (latest: a copy without manifest, made by another tool)\n");
        else
            printf(" (no latest)\n");
        for (size_t j = 0; j < db->n_sets; j++) {
            const struct catalog_set *s = &db->sets[j];
            char a[32], c[32];
            const char *note = "", *cons;

            if (s->marked)
                continue;
            if (shown++ == 0)
                printf("  %-19s  %10s  %10s  %-11s  %s\n", "TIMESTAMP", "ARCHIVE", "CONTENT",
                       "COMPRESSION", "CONSISTENCY");
            if (catalog_legacy(s))
                note = "legacy (no manifest)";
            else if (!s->manifest_loaded)
                note = "manifest unreadable";
            else if (!s->has_gzip && !s->has_zstd)
                note = "archive missing";
            else if (strcmp(s->stamp, db->latest) == 0)
                note = "latest";
            format_bytes(set_bytes(s), a, sizeof(a));
            if (s->manifest_loaded)
                format_bytes(s->manifest.content_bytes, c, sizeof(c));
            else
                snprintf(c, sizeof(c), "-");
            cons = s->manifest_loaded && s->manifest.consistency[0] ? s->manifest.consistency : "-";
            printf("  %-19s  %10s  %10s  %-11s  %s", s->stamp, a, c, set_compression(s), cons);
            if (note[0])
                printf("%*s  %s", (int)(11 - strlen(cons)), "", note);
            printf("\n");
        }
        if (shown == 0)
            printf("  no sets\n");
    }
}

static nb_err print_json(const struct catalog *cat)
{
    json_t *root = json_object(), *dbs = json_object();
    char *text;

    json_object_set_new(root, "databases", dbs);
    for (size_t i = 0; i < cat->n_dbs; i++) {
        const struct catalog_db *db = &cat->dbs[i];
        json_t *d = json_object(), *sets = json_array();

        json_object_set_new(d, "latest", db->latest[0] ? json_string(db->latest) : json_null());
        for (size_t j = 0; j < db->n_sets; j++) {
            if (!db->sets[j].marked)
                json_array_append_new(sets, set_json(db, &db->sets[j]));
        }
        json_object_set_new(d, "sets", sets);
        json_object_set_new(dbs, db->name, d);
    }
    text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!text)
        return NB_ERR_NOMEM;
    printf("%s\n", text);
    free(text);
    return NB_OK;
}

int cmd_list(int argc, char **argv)
{
    struct option_def opts[OPT_COUNT] = {
        [OPT_OUTPUT] = {"output", "OUTPUT", OPTION_STRING, "text", "FORMAT",
                        "text (a table per database) or json (one document)"},
    };
    struct command_target t;
    struct catalog cat;
    bool exit_now = false, json;
    nb_err err, first = NB_OK;

    err = command_setup("list",
                        "Lists every backup set per database, newest first: timestamp, "
                        "archive size, content\nsize, compression, consistency, which "
                        "one latest names, and sets made by older tools\n(no manifest) "
                        "marked legacy. Reads manifests only, never archives.",
                        opts, OPT_COUNT, argc, argv, &t, &exit_now);
    if (!err && !exit_now && strcmp(opts[OPT_OUTPUT].value, "json") != 0 &&
        strcmp(opts[OPT_OUTPUT].value, "text") != 0)
        err = nb_error(NB_ERR_USAGE, "--output '%s' is unknown: use text or json",
                       opts[OPT_OUTPUT].value);
    if (err || exit_now) {
        if (err)
            log_error("%s", nb_errmsg());
        command_teardown(&t);
        return err ? nb_exit_code(err) : EXIT_OK;
    }
    json = strcmp(opts[OPT_OUTPUT].value, "json") == 0;
    err = catalog_load(t.storage, t.target.databases, t.target.n_databases, &cat);
    if (err) {
        log_error("%s", nb_errmsg());
        command_teardown(&t);
        return nb_exit_code(err);
    }
    for (size_t i = 0; i < cat.n_dbs; i++) {
        for (size_t j = 0; j < cat.dbs[i].n_sets; j++) {
            struct catalog_set *s = &cat.dbs[i].sets[j];
            if (!s->has_manifest || s->marked)
                continue;
            nb_error_clear();
            err = catalog_manifest(t.storage, &cat.dbs[i], s);
            if (err) {
                log_warn("[%s] %s", cat.dbs[i].name, nb_errmsg());
                if (!first)
                    first = err;
            }
        }
    }
    if (json)
        err = print_json(&cat);
    else
        print_text(&cat);
    catalog_free(&cat);
    command_teardown(&t);
    if (!first)
        first = err;
    return first ? nb_exit_code(first) : EXIT_OK;
}
