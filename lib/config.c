#include "config.h"

#include "log.h"
#include "naming.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HELP_WIDTH  80 /* --help fits a terminal of 80 columns */
#define HELP_COLUMN 37 /* where an option's description starts */

/*
 * Prints TEXT word-wrapped at HELP_WIDTH columns, the cursor being at column
 * COL. A line break inside a paragraph of unindented lines is a space (the
 * paragraph is filled again); blank lines and indented lines (lists, whose
 * spacing is kept) stay lines. A line too long goes on at column INDENT, or,
 * when INDENT is negative, under its own text (for a list line, after its
 * widest gap).
 */
static bool joins(const char *nl, int lead)
{
    return *nl == '\n' && lead == 0 && nl[1] && nl[1] != '\n' && nl[1] != ' ';
}

static void print_wrapped(const char *text, int col, int indent)
{
    while (*text) {
        int lead = 0, cont, gap = 0;

        if (*text == '\n') { /* a blank line */
            putchar('\n');
            text++;
            col = 0;
            continue;
        }
        while (text[lead] == ' ')
            lead++;
        cont = indent >= 0 ? indent : col + lead;
        printf("%*s", lead, "");
        col += lead;
        text += lead;
        while (*text && (*text != '\n' || joins(text, lead))) {
            int len = 0;

            while (text[len] && text[len] != ' ' && text[len] != '\n')
                len++;
            if (gap > 0 && col + 1 + len > HELP_WIDTH) {
                printf("\n%*s", cont, "");
                col = cont;
            } else if (gap > 0) {
                if (lead == 0)
                    gap = 1;
                printf("%*s", gap, "");
                col += gap;
                if (gap > 1 && indent < 0)
                    cont = col;
            }
            printf("%.*s", len, text);
            col += len;
            text += len;
            for (gap = 0; *text == ' ' || joins(text, lead); text++)
                gap++;
        }
        putchar('\n');
        col = 0;
        if (*text == '\n')
            text++;
    }
}

static void print_help(const struct program_info *prog, const struct option_def *opts, size_t n)
{
    printf("Usage: %s [OPTION]...\n\n", prog->name);
    print_wrapped(prog->summary, 0, -1);
    putchar('\n');
    print_wrapped(
        "Every option can also be set by the environment variable shown; the option wins.", 0, -1);
    printf("\nOptions:\n");
    for (size_t i = 0; i < n; i++) {
        const struct option_def *o = &opts[i];
        char flag[96], env[256];
        int col;

        if (o->type == OPTION_BOOL)
            snprintf(flag, sizeof(flag), "--%s[=BOOL]", o->name);
        else
            snprintf(flag, sizeof(flag), "--%s=%s", o->name, o->metavar ? o->metavar : "VALUE");
        col = printf("  %-*s ", HELP_COLUMN - 3, flag);
        print_wrapped(o->help, col, HELP_COLUMN);
        snprintf(env, sizeof(env), "env %s; default: %s", o->env ? o->env : "-",
                 o->defval ? (*o->defval ? o->defval : "(empty)") : "(unset)");
        printf("%*s", HELP_COLUMN, "");
        print_wrapped(env, HELP_COLUMN, HELP_COLUMN);
    }
    printf("  %-*s %s\n  %-*s %s\n", HELP_COLUMN - 3, "--help", "show this help and exit",
           HELP_COLUMN - 3, "--version", "show the version and exit");
    putchar('\n');
    print_wrapped("Exit status: 0 done, 2 usage or configuration error, 3 no backup found, 4 "
                  "storage or authentication failure, 5 integrity failure, 6 neo4j-admin failed, 7 "
                  "consistency check failed, 8 not enough free space.",
                  0, 0);
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
        /* Neo4j folds database names to lower case ("Neo4j" is "neo4j"). */
        {
            bool folded = false;
            char given[80];

            snprintf(given, sizeof(given), "%s", name);
            for (char *c = name; *c; c++) {
                if (isupper((unsigned char)*c)) {
                    *c = (char)tolower((unsigned char)*c);
                    folded = true;
                }
            }
            if (folded)
                log_info("%s: the database '%s' is '%s' (Neo4j's database names are "
                         "case-insensitive and lower case)",
                         origin(o, where, sizeof(where)), given, name);
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

/* "a b c" of the value, for messages: the setting and its value. */
static nb_err bad_value(const struct option_def *o, const char *why)
{
    char where[96];

    return nb_error(NB_ERR_USAGE, "%s is '%s': %s", origin(o, where, sizeof(where)),
                    o->value ? o->value : "", why);
}

/* A port: 1 to 65535, digits only. */
static bool valid_port(const char *p, size_t len)
{
    unsigned long port = 0;

    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        port = port * 10 + (unsigned long)(p[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* A DNS name or IPv4 address: labels of letters, digits, '-' and '_'. */
static bool valid_host(const char *h, size_t len)
{
    if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return false;
        if (c == '.' && i + 1 < len && h[i + 1] == '.')
            return false;
    }
    return true;
}

/* [v6 address]: hex digits, ':' and '.' (an IPv4 tail). */
static bool valid_ipv6(const char *h, size_t len)
{
    if (len < 4 || h[0] != '[' || h[len - 1] != ']')
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
            return false;
    }
    return true;
}

nb_err config_host_port(const struct option_def *o)
{
    const char *p = o->value;
    nb_err err = config_required(o);

    if (err)
        return err;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *colon = NULL;

        for (size_t i = 0; i < len; i++) {
            if (p[i] == ':')
                colon = p + i;
        }
        if (!colon)
            return bad_value(o, "it has no port: write host:port, e.g. my-neo4j:6362");
        if (!valid_port(colon + 1, len - (size_t)(colon + 1 - p)))
            return bad_value(o, "the port must be a number from 1 to 65535: write host:port, "
                                "e.g. my-neo4j:6362");
        if (!(p[0] == '[' ? valid_ipv6(p, (size_t)(colon - p))
                          : valid_host(p, (size_t)(colon - p))))
            return bad_value(o, "the host must be a name or address (letters, digits, '-', '.'; "
                                "[addr] for IPv6): write host:port, e.g. my-neo4j:6362");
        if (p[len] != ',')
            return NB_OK;
        p += len + 1;
    }
}

nb_err config_size(const struct option_def *o, bool jvm_form)
{
    const char *v = o->value ? o->value : "";
    const char *u = v;
    bool nonzero = false;

    while (isdigit((unsigned char)*u)) {
        nonzero |= *u != '0';
        u++;
    }
    if (u == v || !nonzero || u - v > 15)
        return bad_value(o, "write a size such as 512m or 2G");
    if (*u && strchr("kKmMgGtT", *u)) {
        u++;
        if (!jvm_form && (*u == 'i' || *u == 'I') && (u[1] == 'b' || u[1] == 'B'))
            u += 2;
        else if (!jvm_form && (*u == 'b' || *u == 'B'))
            u++;
    }
    if (*u)
        return bad_value(o, jvm_form ? "write a size such as 512m or 2G (a number and k, m, g or "
                                       "t; the JVM takes no 'B')"
                                     : "write a size such as 512m or 2G");
    return NB_OK;
}

nb_err config_owner(const struct option_def *o, uid_t *uid, gid_t *gid)
{
    const char *v = o->value ? o->value : "";
    unsigned long long ids[2] = {0, 0};
    const char *p = v;

    for (int i = 0; i < 2; i++) {
        const char *start = p;
        while (isdigit((unsigned char)*p) && p - start < 11) {
            ids[i] = ids[i] * 10 + (unsigned long long)(*p - '0');
            p++;
        }
        if (p == start || ids[i] >= 4294967295ULL || *p != (i == 0 ? ':' : '\0'))
            return bad_value(o, "write UID:GID, two numbers from 0 to 4294967294, e.g. "
                                "7474:7474");
        p++;
    }
    *uid = (uid_t)ids[0];
    *gid = (gid_t)ids[1];
    return NB_OK;
}

nb_err config_dialect(const struct option_def *o)
{
    static const char *const known[] = {"4.4", "4", "5", "5+"};

    if (!o->value || !*o->value)
        return NB_OK;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(o->value, known[i]) == 0)
            return NB_OK;
    }
    return bad_value(o, "write 4.4 or 5 (5 covers 5.x and the calendar versions), or leave it "
                        "unset to read neo4j-admin --version");
}

/* No component of path is longer than NAME_MAX. */
static bool components_fit(const char *path)
{
    while (*path) {
        size_t len = strcspn(path, "/");
        if (len > NAME_MAX)
            return false;
        path += len;
        path += strspn(path, "/");
    }
    return true;
}

nb_err config_dir(const struct option_def *o, bool must_exist)
{
    char where[96], why[160];
    struct stat st;
    const char *v = o->value ? o->value : "";

    if (v[0] != '/')
        return bad_value(o, "write an absolute path");
    if (strlen(v) > CONFIG_PATH_MAX || !components_fit(v)) {
        snprintf(why, sizeof(why), "the path is too long: at most %d bytes, %d per name",
                 CONFIG_PATH_MAX, NAME_MAX);
        return bad_value(o, why);
    }
    if (!must_exist)
        return NB_OK;
    if (stat(v, &st) != 0)
        return nb_error(NB_ERR_USAGE,
                        "%s is '%s', which does not exist (%s): create the folder or mount the "
                        "volume there",
                        origin(o, where, sizeof(where)), v, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bad_value(o, "it is not a folder");
    return NB_OK;
}

/* Bucket and container names, by each store's rules. Returns a reason, or
 * NULL when the name is good. */
static bool all_of(const char *s, const char *extra)
{
    for (; *s; s++) {
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr(extra, *s))
            return false;
    }
    return true;
}

static bool alnum_at(const char *s, size_t i)
{
    return islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]);
}

static bool ipv4_like(const char *s)
{
    int a, b, c, d;
    char extra;

    return sscanf(s, "%d.%d.%d.%d%c", &a, &b, &c, &d, &extra) == 4;
}

static const char *gcs_bucket_problem(const char *b)
{
    size_t len = strlen(b), max = strchr(b, '.') ? 222 : 63;

    if (len < 3 || len > max)
        return "GCS bucket names have 3 to 63 characters (222 with dots, 63 between dots)";
    if (!all_of(b, "-_.") || !alnum_at(b, 0) || !alnum_at(b, len - 1))
        return "GCS bucket names use lower-case letters, digits, '-', '_' and '.', and start "
               "and end with a letter or digit";
    for (const char *p = b; *p;) {
        size_t l = strcspn(p, ".");
        if (l == 0 || l > 63)
            return "GCS bucket names have 1 to 63 characters between dots";
        p += l;
        if (*p)
            p++;
    }
    if (ipv4_like(b))
        return "GCS bucket names cannot be IP addresses";
    if (strncmp(b, "goog", 4) == 0 || strstr(b, "google") || strstr(b, "g00gle"))
        return "GCS bucket names cannot start with 'goog' or hold 'google'";
    return NULL;
}

static const char *s3_bucket_problem(const char *b)
{
    static const char *const prefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const suffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"};
    size_t len = strlen(b);

    if (len < 3 || len > 63)
        return "S3 bucket names have 3 to 63 characters";
    if (!all_of(b, "-.") || !alnum_at(b, 0) || !alnum_at(b, len - 1))
        return "S3 bucket names use lower-case letters, digits, '-' and '.', and start and end "
               "with a letter or digit";
    if (strstr(b, ".."))
        return "S3 bucket names cannot hold two dots in a row";
    if (ipv4_like(b))
        return "S3 bucket names cannot be IP addresses";
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0)
            return "S3 reserves the bucket name prefixes xn--, sthree- and amzn-s3-demo-";
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t sl = strlen(suffixes[i]);
        if (len >= sl && strcmp(b + len - sl, suffixes[i]) == 0)
            return "S3 reserves the bucket name suffixes -s3alias, --ol-s3, .mrap, --x-s3 and "
                   "--table-s3";
    }
    return NULL;
}

static const char *azure_container_problem(const char *c)
{
    size_t len = strlen(c);

    if (strcmp(c, "$root") == 0 || strcmp(c, "$web") == 0 || strcmp(c, "$logs") == 0)
        return NULL;
    if (len < 3 || len > 63)
        return "Azure container names have 3 to 63 characters";
    if (!all_of(c, "-") || !alnum_at(c, 0) || !alnum_at(c, len - 1) || strstr(c, "--"))
        return "Azure container names use lower-case letters, digits and single '-' between "
               "them, and start and end with a letter or digit";
    return NULL;
}

static nb_err check_location(const struct option_def *bucket, const struct location *loc)
{
    const char *problem = NULL;
    char where[96];

    switch (loc->provider) {
    case PROVIDER_LOCAL:
        if (strlen(loc->bucket) > CONFIG_PATH_MAX || !components_fit(loc->bucket))
            return nb_error(NB_ERR_USAGE,
                            "%s names a folder whose path is too long: at most %d bytes, %d per "
                            "name",
                            origin(bucket, where, sizeof(where)), CONFIG_PATH_MAX, NAME_MAX);
        return NB_OK;
    case PROVIDER_GCS:
        problem = gcs_bucket_problem(loc->bucket);
        break;
    case PROVIDER_S3:
        problem = s3_bucket_problem(loc->bucket);
        break;
    case PROVIDER_AZURE:
        problem = azure_container_problem(loc->bucket);
        if (!problem && loc->account &&
            (strlen(loc->account) < 3 || strlen(loc->account) > 24 || !all_of(loc->account, "")))
            problem = "Azure storage account names have 3 to 24 lower-case letters and digits";
        break;
    }
    if (problem)
        return nb_error(NB_ERR_USAGE,
                        "%s names the bucket or container '%s', which %s cannot "
                        "hold: %s",
                        origin(bucket, where, sizeof(where)), loc->bucket,
                        provider_name(loc->provider), problem);
    if (strlen(loc->prefix) > CONFIG_PREFIX_MAX)
        return nb_error(NB_ERR_USAGE,
                        "%s has a path of %zu bytes inside the bucket: at most %d, so that "
                        "object names stay below the store's 1024-byte limit",
                        origin(bucket, where, sizeof(where)), strlen(loc->prefix),
                        CONFIG_PREFIX_MAX);
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
    if ((err = check_location(bucket, &out->loc))) {
        config_target_free(out);
        return err;
    }
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

const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

nb_err config_env_number(const char *name, unsigned long long lo, unsigned long long hi,
                         unsigned long long *out)
{
    const char *v = config_env(name);
    char *end;
    unsigned long long n;

    if (!v)
        return NB_OK;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *end || v[0] == '-' || n < lo || n > hi)
        return nb_error(NB_ERR_USAGE, "%s '%s' is not a number from %llu to %llu", name, v, lo, hi);
    *out = n;
    return NB_OK;
}
