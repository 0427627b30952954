/* credentials.c: KEY=VALUE files, connection strings and the credentials
 * they give (see credentials.h). */
#include "storage/azure/credentials.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/secret_file.h"
#include "storage/azure/sign.h"

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    return p;
}

static bool key_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Parses the value in [p, end) into a malloc'd string, the shell way (see
 * credentials.h). Returns NULL and sets *problem on a syntax error. */
static char *parse_value(const char *p, const char *end, const char **problem)
{
    char *out = malloc((size_t)(end - p) + 1), *o = out;
    if (!out) {
        *problem = "out of memory";
        return NULL;
    }
    while (p < end && !is_blank(*p)) {
        if (*p == '\'') {
            const char *q = memchr(p + 1, '\'', (size_t)(end - p - 1));
            if (!q) {
                *problem = "an unterminated ' quote";
                goto fail;
            }
            memcpy(o, p + 1, (size_t)(q - p - 1));
            o += q - p - 1;
            p = q + 1;
        } else if (*p == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end && strchr("\\\"$`", p[1]))
                    p++;
                *o++ = *p++;
            }
            if (p >= end) {
                *problem = "an unterminated \" quote";
                goto fail;
            }
            p++;
        } else if (*p == '\\' && p + 1 < end) {
            *o++ = p[1];
            p += 2;
        } else if (*p == '`' || (*p == '$' && p + 1 < end && (p[1] == '(' || p[1] == '{'))) {
            /* A substitution is one word to the shell, blanks and all: kept
             * as it is, never run. */
            const char *q = p + 1;
            if (*p == '`') {
                while (q < end && *q != '`')
                    q++;
            } else {
                char open = p[1], close = open == '(' ? ')' : '}';
                int depth = 0;
                for (q = p + 1; q < end; q++) {
                    if (*q == open)
                        depth++;
                    else if (*q == close && --depth == 0)
                        break;
                }
            }
            if (q >= end) {
                *problem = "an unterminated substitution";
                goto fail;
            }
            memcpy(o, p, (size_t)(q + 1 - p));
            o += q + 1 - p;
            p = q + 1;
        } else {
            *o++ = *p++;
        }
    }
    p = skip_blanks(p, end);
    if (p < end && *p != '#') {
        *problem = "a blank in an unquoted value (quote the value)";
        goto fail;
    }
    *o = '\0';
    return out;
fail:
    OPENSSL_cleanse(out, (size_t)(o - out));
    free(out);
    return NULL;
}

static nb_err kv_set(struct azure_kv_list *l, const char *key, size_t key_len, char *value)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strlen(l->items[i].key) == key_len && strncmp(l->items[i].key, key, key_len) == 0) {
            wipe_free(l->items[i].value);
            l->items[i].value = value;
            return NB_OK;
        }
    }
    struct azure_kv *items = realloc(l->items, (l->n + 1) * sizeof *items);
    char *k = strndup(key, key_len);
    if (!items || !k) {
        if (items)
            l->items = items;
        free(k);
        wipe_free(value);
        return nb_error(NB_ERR_NOMEM, "out of memory reading credentials");
    }
    l->items = items;
    l->items[l->n].key = k;
    l->items[l->n].value = value;
    l->n++;
    return NB_OK;
}

nb_err azure_kv_parse(const char *text, const char *source, struct azure_kv_list *out)
{
    struct azure_kv_list l = {0};
    unsigned lineno = 0;
    nb_err err = NB_OK;
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *next = nl ? nl + 1 : NULL;
        lineno++;
        if (end > line && end[-1] == '\r')
            end--;
        const char *p = skip_blanks(line, end);
        line = next;
        if (p == end || *p == '#')
            continue;
        bool exported = false;
        if ((size_t)(end - p) > 7 && strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
            p = skip_blanks(p + 7, end);
            exported = true;
        }
        const char *key = p;
        if (p == end || !key_start(*p)) {
            err = nb_error(NB_ERR_USAGE, "%s, line %u: expected KEY=VALUE", source, lineno);
            goto out;
        }
        while (p < end && key_char(*p))
            p++;
        size_t key_len = (size_t)(p - key);
        p = skip_blanks(p, end);
        /* "export KEY" (no value) marks a variable exported: nothing to read. */
        if (p == end && exported)
            continue;
        if (p == end || *p != '=') {
            err = nb_error(NB_ERR_USAGE, "%s, line %u: expected KEY=VALUE for %.*s", source, lineno,
                           (int)key_len, key);
            goto out;
        }
        p = skip_blanks(p + 1, end);
        const char *problem = NULL;
        char *value = parse_value(p, end, &problem);
        if (!value) {
            err = nb_error(NB_ERR_USAGE, "%s, line %u: the value of %.*s has %s", source, lineno,
                           (int)key_len, key, problem);
            goto out;
        }
        if ((err = kv_set(&l, key, key_len, value)))
            goto out;
    }
out:
    if (err)
        azure_kv_free(&l);
    *out = l;
    return err;
}

nb_err azure_kv_read_file(const char *path, struct azure_kv_list *out)
{
    char *text = NULL;
    size_t len = 0;
    nb_err err;
    out->items = NULL;
    out->n = 0;
    if ((err =
             secret_file_read(path, AZURE_CREDENTIALS_MAX_BYTES, "credentials file", &text, &len)))
        return err;
    if (memchr(text, '\0', len))
        err = nb_error(NB_ERR_USAGE,
                       "credentials file '%s' is not text: it should hold KEY=VALUE "
                       "lines",
                       path);
    else
        err = azure_kv_parse(text, path, out);
    OPENSSL_cleanse(text, len);
    free(text);
    return err;
}

const char *azure_kv_get(const struct azure_kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

void azure_kv_free(struct azure_kv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        wipe_free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* ---- connection strings ---- */

static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static bool valid_key(const char *key_b64)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (azure_base64_decode(key_b64, &raw, &len) != NB_OK)
        return false;
    OPENSSL_cleanse(raw, len);
    free(raw);
    return len > 0;
}

/* Replaces *field with value (taking it). */
static void set_field(char **field, char *value)
{
    wipe_free(*field);
    *field = value;
}

nb_err azure_connection_string_parse(const char *s, struct azure_connection_string *out)
{
    struct azure_connection_string c = {0};
    bool dev = false;
    unsigned part = 0;
    nb_err err = NB_OK;
    memset(out, 0, sizeof *out);
    for (const char *p = s; p && *p;) {
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        char *name = NULL, *value = NULL;
        part++;
        char *whole = trimmed(p, len);
        bool empty = whole && !*whole;
        free(whole);
        if (!empty) {
            if (!eq) {
                err = nb_error(NB_ERR_USAGE,
                               "the Azure connection string's part %u is not Key=Value", part);
                goto out;
            }
            name = trimmed(p, (size_t)(eq - p));
            value = trimmed(eq + 1, (size_t)(p + len - eq - 1));
            if (!name || !value) {
                free(name);
                wipe_free(value);
                err = nb_error(NB_ERR_NOMEM, "out of memory parsing a connection string");
                goto out;
            }
            if (!*name) {
                free(name);
                wipe_free(value);
                err = nb_error(NB_ERR_USAGE,
                               "the Azure connection string's part %u is not Key=Value", part);
                goto out;
            }
            if (strcasecmp(name, "DefaultEndpointsProtocol") == 0)
                set_field(&c.protocol, value);
            else if (strcasecmp(name, "AccountName") == 0)
                set_field(&c.account_name, value);
            else if (strcasecmp(name, "AccountKey") == 0)
                set_field(&c.account_key, value);
            else if (strcasecmp(name, "EndpointSuffix") == 0)
                set_field(&c.endpoint_suffix, value);
            else if (strcasecmp(name, "BlobEndpoint") == 0)
                set_field(&c.blob_endpoint, value);
            else if (strcasecmp(name, "SharedAccessSignature") == 0)
                set_field(&c.sas, value);
            else if (strcasecmp(name, "UseDevelopmentStorage") == 0) {
                dev = strcasecmp(value, "true") == 0;
                wipe_free(value);
            } else {
                wipe_free(value);
            }
            free(name);
        }
        p += len;
        if (*p == ';')
            p++;
    }
    if (dev) {
        if (!c.account_name)
            c.account_name = strdup(AZURE_DEV_ACCOUNT);
        if (!c.account_key && !c.sas)
            c.account_key = strdup(AZURE_DEV_KEY);
        if (!c.blob_endpoint)
            c.blob_endpoint = strdup(AZURE_DEV_ENDPOINT);
        if (!c.protocol)
            c.protocol = strdup("http");
    }
    if (!c.protocol)
        c.protocol = strdup("https");
    if (!c.endpoint_suffix)
        c.endpoint_suffix = strdup(AZURE_DEFAULT_ENDPOINT_SUFFIX);
    if (!c.protocol || !c.endpoint_suffix || (dev && (!c.account_name || !c.blob_endpoint))) {
        err = nb_error(NB_ERR_NOMEM, "out of memory parsing a connection string");
        goto out;
    }
    for (char *q = c.protocol; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    if (strcmp(c.protocol, "https") != 0 && strcmp(c.protocol, "http") != 0) {
        err = nb_error(NB_ERR_USAGE,
                       "the Azure connection string's DefaultEndpointsProtocol is '%s': use https "
                       "(or http for an emulator)",
                       c.protocol);
        goto out;
    }
    if (c.sas && c.sas[0] == '?')
        memmove(c.sas, c.sas + 1, strlen(c.sas));
    if (c.blob_endpoint) {
        size_t n = strlen(c.blob_endpoint);
        while (n > 0 && c.blob_endpoint[n - 1] == '/')
            c.blob_endpoint[--n] = '\0';
    }
    if (!c.account_name && !c.blob_endpoint) {
        err = nb_error(NB_ERR_USAGE,
                       "the Azure connection string names no AccountName and no BlobEndpoint");
        goto out;
    }
    if ((!c.account_key || !*c.account_key) && (!c.sas || !*c.sas)) {
        err = nb_error(NB_ERR_USAGE, "the Azure connection string has neither AccountKey nor "
                                     "SharedAccessSignature");
        goto out;
    }
    if (c.account_key && !c.account_name) {
        err = nb_error(NB_ERR_USAGE,
                       "the Azure connection string has an AccountKey but no AccountName");
        goto out;
    }
    if (c.account_key && !valid_key(c.account_key)) {
        err = nb_error(NB_ERR_USAGE,
                       "the AccountKey in the Azure connection string of account '%s' is not "
                       "valid base64: copy the connection string from the storage account's "
                       "access keys",
                       c.account_name);
        goto out;
    }
    if (!c.blob_endpoint && asprintf(&c.blob_endpoint, "%s://%s.blob.%s", c.protocol,
                                     c.account_name, c.endpoint_suffix) < 0) {
        c.blob_endpoint = NULL;
        err = nb_error(NB_ERR_NOMEM, "out of memory parsing a connection string");
        goto out;
    }
out:
    if (err)
        azure_connection_string_free(&c);
    *out = c;
    return err;
}

void azure_connection_string_free(struct azure_connection_string *c)
{
    free(c->protocol);
    free(c->account_name);
    wipe_free(c->account_key);
    wipe_free(c->sas);
    free(c->endpoint_suffix);
    free(c->blob_endpoint);
    memset(c, 0, sizeof *c);
}

/* ---- credentials of one source ---- */

const char *azure_lookup_kv(void *ctx, const char *name)
{
    return azure_kv_get(ctx, name);
}

const char *azure_lookup_env(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

static const char *first_set(azure_lookup_fn lookup, void *ctx, const char *a, const char *b)
{
    const char *v = lookup(ctx, a);
    if ((!v || !*v) && b)
        v = lookup(ctx, b);
    return v && *v ? v : NULL;
}

static nb_err dup_opt(const char *v, char **out)
{
    *out = NULL;
    if (!v)
        return NB_OK;
    *out = strdup(v);
    return *out ? NB_OK : nb_error(NB_ERR_NOMEM, "out of memory reading credentials");
}

nb_err azure_credentials_resolve(azure_lookup_fn lookup, void *ctx, const char *source,
                                 struct azure_credentials *out)
{
    struct azure_credentials c = {0};
    nb_err err = NB_OK;
    memset(out, 0, sizeof *out);
    const char *cs = first_set(lookup, ctx, "AZURE_STORAGE_CONNECTION_STRING", NULL);
    const char *name = first_set(lookup, ctx, "AZURE_STORAGE_ACCOUNT_NAME", "ACCOUNT_NAME");
    const char *key = first_set(lookup, ctx, "AZURE_STORAGE_ACCOUNT_KEY", "ACCOUNT_KEY");
    const char *sas = first_set(lookup, ctx, "AZURE_STORAGE_SAS_TOKEN", NULL);
    const char *endpoint = first_set(lookup, ctx, "AZURE_STORAGE_BLOB_ENDPOINT", NULL);

    if (cs) {
        struct azure_connection_string parsed;
        if ((err = azure_connection_string_parse(cs, &parsed))) {
            err = nb_error_context(err, "AZURE_STORAGE_CONNECTION_STRING in %s", source);
            goto out;
        }
        c.kind = parsed.account_key ? AZURE_CRED_SHARED_KEY : AZURE_CRED_SAS;
        c.account_name = parsed.account_name;
        c.account_key = parsed.account_key;
        c.sas = parsed.account_key ? NULL : parsed.sas;
        if (parsed.account_key)
            wipe_free(parsed.sas);
        c.blob_endpoint = parsed.blob_endpoint;
        free(parsed.protocol);
        free(parsed.endpoint_suffix);
        goto out;
    }
    if ((err = dup_opt(name, &c.account_name)) || (err = dup_opt(endpoint, &c.blob_endpoint)))
        goto out;
    if (key) {
        if (!valid_key(key)) {
            err = nb_error(NB_ERR_USAGE,
                           "the account key in %s%s%s is not valid base64: copy key1 or key2 "
                           "from the storage account's access keys",
                           source, name ? " for account " : "", name ? name : "");
            goto out;
        }
        c.kind = AZURE_CRED_SHARED_KEY;
        err = dup_opt(key, &c.account_key);
    } else if (sas) {
        c.kind = AZURE_CRED_SAS;
        err = dup_opt(sas[0] == '?' ? sas + 1 : sas, &c.sas);
    }
out:
    if (err)
        azure_credentials_free(&c);
    *out = c;
    return err;
}

void azure_credentials_free(struct azure_credentials *c)
{
    free(c->account_name);
    wipe_free(c->account_key);
    wipe_free(c->sas);
    free(c->blob_endpoint);
    memset(c, 0, sizeof *c);
}
