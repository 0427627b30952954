/* neo4j-backup's command table and the options every command shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static const struct backup_command commands[] = {
    {"list", "list [--database=LIST] [--output=text|json]: every set, newest first", cmd_list},
    {"verify",
     "verify [--timestamp=latest|all|STAMP] [--deep]: check sets against their "
     "manifests; --deep restores them and runs the consistency check",
     cmd_verify},
    {"prune", "prune [--dry-run]: remove the sets no KEEP_* rule keeps", cmd_prune},
};

const struct backup_command *backup_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

const char *backup_command_names(void)
{
    return "list, verify, prune";
}

enum { SHARED_BUCKET, SHARED_CLOUD_PROVIDER, SHARED_DATABASE, SHARED_CREDENTIALS, SHARED_COUNT };

#define MAX_OPTIONS 32

nb_err command_setup(const char *name, const char *summary, struct option_def *extra,
                     size_t n_extra, int argc, char **argv, struct command_target *t,
                     bool *exit_now)
{
    struct option_def all[MAX_OPTIONS] = {
        [SHARED_BUCKET] = CONFIG_OPTION_BUCKET("live"),
        [SHARED_CLOUD_PROVIDER] = CONFIG_OPTION_CLOUD_PROVIDER,
        [SHARED_DATABASE] = {"database", "DATABASE", OPTION_STRING, NULL, "LIST",
                             "comma list of databases (default: every database in BUCKET)"},
        [SHARED_CREDENTIALS] = CONFIG_OPTION_CREDENTIALS,
    };
    char prog_name[64];
    struct program_info prog = {prog_name, summary};
    struct storage_options sopts = {0};
    nb_err err;

    memset(t, 0, sizeof(*t));
    if (n_extra > MAX_OPTIONS - SHARED_COUNT)
        return nb_error(NB_ERR_INTERNAL, "too many options for '%s'", name);
    snprintf(prog_name, sizeof(prog_name), "neo4j-backup %s", name);
    memcpy(all + SHARED_COUNT, extra, n_extra * sizeof(*extra));
    err = config_parse(&prog, all, SHARED_COUNT + n_extra, argc, argv, exit_now);
    memcpy(extra, all + SHARED_COUNT, n_extra * sizeof(*extra));
    if (err || *exit_now)
        return err;
    err = config_target(&all[SHARED_BUCKET], &all[SHARED_CLOUD_PROVIDER],
                        all[SHARED_DATABASE].value ? &all[SHARED_DATABASE] : NULL,
                        &all[SHARED_CREDENTIALS], &t->target);
    if (err)
        return err;
    sopts.credentials_file = t->target.credentials;
    return storage_open(&t->target.loc, &sopts, &t->storage);
}

void command_teardown(struct command_target *t)
{
    storage_close(t->storage);
    config_target_free(&t->target);
    memset(t, 0, sizeof(*t));
}
