#include "config.h"

#include "naming.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void print_help(const struct program_info *prog, const struct option_def *opts, size_t n)
{
    printf("Usage: %s [OPTION]...\n\n%s\n\nEvery option can also be set by the environment "
           "variable shown; the option wins.\n\nOptions:\n",
           prog->name, prog->summary);
    for (size_t i = 0; i < n; i++) {
        const struct option_def *o = &opts[i];
        char flag[96];

        if (o->type == OPTION_BOOL)
            snprintf(flag, sizeof(flag), "--%s[=BOOL]", o->name);
        else
            snprintf(flag, sizeof(flag), "--%s=%s", o->name, o->metavar ? o->metavar : "VALUE");
        printf("  %-34s %s\n", flag, o->help);
        printf("  %-34s env %s; default: %s\n", "", o->env ? o->env : "-",
               o->defval ? (*o->defval ? o->defval : "(empty)") : "(unset)");
    }
    printf("  %-34s %s\n  %-34s %s\n", "--help", "show this help and exit", "--version",
           "show the version and exit");
    printf("\nExit status: 0 done, 2 usage or configuration error, 3 no backup found, "
           "4 storage or\nauthentication failure, 5 integrity failure, 6 neo4j-admin failed, "
           "7 consistency check\nfailed, 8 not enough free space.\n");
}

nb_err config_parse(const struct program_info *prog, struct option_def *opts, size_t n, int argc,
                    char **argv, bool *exit_now)
{
    *exit_now = false;
    for (size_t i = 0; i < n; i++) {
        const char *env = opts[i].env ? getenv(opts[i].env) : NULL;
        if (env) {
            opts[i].value = env;
            opts[i].source = opts[i].env;
        } else {
            opts[i].value = opts[i].defval;
            opts[i].source = "default";
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *eq;
        size_t len;
        struct option_def *o = NULL;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(prog, opts, n);
            *exit_now = true;
            return NB_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("%s %s\n", prog->name, TOOL_VERSION);
            *exit_now = true;
            return NB_OK;
        }
        if (strncmp(arg, "--", 2) != 0)
            return nb_error(NB_ERR_USAGE,
                            "unexpected argument '%s': options are --name=value; "
                            "see --help",
                            arg);
        eq = strchr(arg, '=');
        len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        for (size_t i = 0; i < n; i++) {
            if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg + 2, len) == 0)
                o = &opts[i];
        }
        if (!o)
            return nb_error(NB_ERR_USAGE, "unknown option '%.*s': see --help", (int)len + 2, arg);
        o->source = argv[a];
        if (eq) {
            o->value = eq + 1;
        } else if (o->type == OPTION_BOOL) {
            o->value = "true";
        } else if (a + 1 < argc) {
            o->value = argv[++a];
        } else {
            return nb_error(NB_ERR_USAGE, "option '--%s' needs a value: see --help", o->name);
        }
        /* Name the option, not its value, in messages: it may be secret. */
        o->source = o->name;
    }
    return NB_OK;
}

static const char *origin(const struct option_def *o, char *buf, size_t len)
{
    if (strcmp(o->source, "default") == 0)
        snprintf(buf, len, "the default of --%s", o->name);
    else if (o->env && strcmp(o->source, o->env) == 0)
        snprintf(buf, len, "%s", o->env);
    else
        snprintf(buf, len, "--%s", o->name);
    return buf;
}

nb_err config_bool(const struct option_def *o, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    char where[96];

    for (size_t i = 0; i < 4; i++) {
        if (o->value && strcasecmp(o->value, yes[i]) == 0) {
            *out = true;
            return NB_OK;
        }
        if (o->value && strcasecmp(o->value, no[i]) == 0) {
            *out = false;
            return NB_OK;
        }
    }
    return nb_error(NB_ERR_USAGE, "%s is '%s': write true or false",
                    origin(o, where, sizeof(where)), o->value ? o->value : "");
}

nb_err config_int(const struct option_def *o, long min, long max, long *out)
{
    char where[96];
    char *end;
    long v;

    errno = 0;
    v = o->value ? strtol(o->value, &end, 10) : 0;
    if (!o->value || !*o->value || *end || errno || v < min || v > max)
        return nb_error(NB_ERR_USAGE, "%s is '%s': write a whole number from %ld to %ld",
                        origin(o, where, sizeof(where)), o->value ? o->value : "", min, max);
    *out = v;
    return NB_OK;
}

nb_err config_required(const struct option_def *o)
{
    if (o->value && *o->value)
        return NB_OK;
    if (o->env)
        return nb_error(NB_ERR_USAGE, "%s is not set: give --%s or %s (%s)", o->env, o->name,
                        o->env, o->help);
    return nb_error(NB_ERR_USAGE, "--%s is not set (%s)", o->name, o->help);
}

void config_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

nb_err config_databases(const struct option_def *o, char ***dbs, size_t *n)
{
    char where[96];
    char **list = NULL;
    size_t count = 0;
    const char *p;
    nb_err err = config_required(o);

    if (err)
        return err;
    p = o->value;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *name = strndup(p, len);
        char **grown;

        if (!name) {
            err = NB_ERR_NOMEM;
            break;
        }
        /* Tolerate blanks around names ("neo4j, system"). */
        {
            char *s = name, *e;
            while (*s == ' ')
                s++;
            memmove(name, s, strlen(s) + 1);
            e = name + strlen(name);
            while (e > name && e[-1] == ' ')
                *--e = '\0';
        }
        if (!naming_database_valid(name)) {
            err = nb_error(NB_ERR_USAGE,
                           "%s holds the database name '%s', which Neo4j does not allow: use 3 "
                           "to 63 letters, digits, '.', '-' or '_', starting with a letter",
                           origin(o, where, sizeof(where)), name);
            free(name);
            break;
        }
        for (size_t i = 0; i < count; i++) {
            if (strcmp(list[i], name) == 0) {
                err = nb_error(NB_ERR_USAGE, "%s names the database '%s' twice",
                               origin(o, where, sizeof(where)), name);
            }
        }
        grown = err ? NULL : realloc(list, (count + 1) * sizeof(*list));
        if (!grown) {
            free(name);
            if (!err)
                err = NB_ERR_NOMEM;
            break;
        }
        list = grown;
        list[count++] = name;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!err && count == 0)
        err = nb_error(NB_ERR_USAGE, "%s names no database", origin(o, where, sizeof(where)));
    if (err) {
        config_free_list(list, count);
        return err;
    }
    *dbs = list;
    *n = count;
    return NB_OK;
}

nb_err config_credentials(const struct option_def *o, enum provider provider, char **path)
{
    const char *file = NULL;
    const char *setting = NULL;

    *path = NULL;
    if (provider == PROVIDER_LOCAL)
        return NB_OK;
    if (o->value && *o->value) {
        file = o->value;
        setting = o->env && strcmp(o->source, o->env) == 0 ? o->env : "--credentials";
    } else if (provider == PROVIDER_GCS && getenv("GOOGLE_APPLICATION_CREDENTIALS") &&
               *getenv("GOOGLE_APPLICATION_CREDENTIALS")) {
        file = getenv("GOOGLE_APPLICATION_CREDENTIALS");
        setting = "GOOGLE_APPLICATION_CREDENTIALS";
    } else if (access("/credentials/credentials", F_OK) == 0) {
        file = "/credentials/credentials";
        setting = "the mounted secret";
    }
    if (!file)
        return NB_OK;
    if (access(file, R_OK) != 0)
        return nb_error(NB_ERR_USAGE,
                        "credentials file '%s' (from %s) cannot be read: %s; fix the path or "
                        "the secret's mount",
                        file, setting, strerror(errno));
    *path = strdup(file);
    return *path ? NB_OK : NB_ERR_NOMEM;
}

nb_err config_target(const struct option_def *bucket, const struct option_def *provider,
                     const struct option_def *database, const struct option_def *credentials,
                     struct config_target *out)
{
    nb_err err;

    memset(out, 0, sizeof(*out));
    if ((err = config_required(bucket)) ||
        (err = location_parse(bucket->value, provider->value, &out->loc)))
        return err;
    /* database NULL: the caller takes every database it finds. */
    if ((database && (err = config_databases(database, &out->databases, &out->n_databases))) ||
        (err = config_credentials(credentials, out->loc.provider, &out->credentials)))
        config_target_free(out);
    return err;
}

void config_target_free(struct config_target *t)
{
    location_free(&t->loc);
    config_free_list(t->databases, t->n_databases);
    free(t->credentials);
    memset(t, 0, sizeof(*t));
}
