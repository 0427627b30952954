/* The small XML reader of the S3 and Azure drivers (see xml.h). */
#include "xml.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_MAX_PATH 512
#define XML_MAX_TEXT 8192

struct walk {
    XML_Parser parser;
    xml_cb cb;
    void *ctx;
    char path[XML_MAX_PATH];
    size_t depth_len[32];
    int depth;
    char text[XML_MAX_TEXT];
    size_t text_len;
    bool had_child; /* the open element held elements */
    nb_err err;
};

static void on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct walk *w = data;
    size_t len = strlen(w->path), nlen = strlen(name);
    const char *local = strchr(name, ':') ? strchr(name, ':') + 1 : name; /* no prefixes */

    (void)attrs;
    (void)nlen;
    if (w->err)
        return;
    if (w->depth >= 32 || len + strlen(local) + 2 > sizeof(w->path)) {
        w->err = nb_error(NB_ERR_STORAGE, "the XML answer nests too deeply");
        XML_StopParser(w->parser, XML_FALSE);
        return;
    }
    w->depth_len[w->depth++] = len;
    snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "/" : "", local);
    w->text_len = 0;
    w->text[0] = '\0';
    w->had_child = false;
}

static void on_end(void *data, const XML_Char *name)
{
    struct walk *w = data;
    char *t = w->text;
    size_t n = w->text_len;

    (void)name;
    if (w->err || w->depth == 0)
        return;
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == '\t'))
        t[--n] = '\0';
    while (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')
        t++;
    w->err = w->cb(w->ctx, w->path, w->had_child ? NULL : t);
    if (w->err)
        XML_StopParser(w->parser, XML_FALSE);
    w->path[w->depth_len[--w->depth]] = '\0';
    w->text_len = 0;
    w->text[0] = '\0';
    w->had_child = true; /* the parent held this element */
}

static void on_text(void *data, const XML_Char *s, int len)
{
    struct walk *w = data;
    size_t n = (size_t)len;

    if (w->text_len + n >= sizeof(w->text))
        n = sizeof(w->text) - 1 - w->text_len;
    memcpy(w->text + w->text_len, s, n);
    w->text_len += n;
    w->text[w->text_len] = '\0';
}

static void on_entity_decl(void *data, const XML_Char *name, int is_param, const XML_Char *value,
                           int value_len, const XML_Char *base, const XML_Char *system_id,
                           const XML_Char *public_id, const XML_Char *notation)
{
    struct walk *w = data;

    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)system_id;
    (void)public_id, (void)notation;
    if (!w->err)
        w->err = nb_error(NB_ERR_STORAGE, "the XML answer declares entities; refused");
    XML_StopParser(w->parser, XML_FALSE);
}

nb_err xml_walk(const char *body, size_t len, const char *what, xml_cb cb, void *ctx)
{
    struct walk w = {.cb = cb, .ctx = ctx};
    enum XML_Status st;

    if (!(w.parser = XML_ParserCreate("UTF-8")))
        return nb_error(NB_ERR_NOMEM, "out of memory");
    XML_SetUserData(w.parser, &w);
    XML_SetElementHandler(w.parser, on_start, on_end);
    XML_SetCharacterDataHandler(w.parser, on_text);
    XML_SetEntityDeclHandler(w.parser, on_entity_decl);
    st = XML_Parse(w.parser, body ? body : "", (int)len, XML_TRUE);
    if (!w.err && st != XML_STATUS_OK)
        w.err = nb_error(NB_ERR_STORAGE, "%s: the answer is not XML (%s at line %lu)", what,
                         XML_ErrorString(XML_GetErrorCode(w.parser)),
                         (unsigned long)XML_GetCurrentLineNumber(w.parser));
    XML_ParserFree(w.parser);
    return w.err;
}

struct find {
    const char *path;
    char *found;
};

static nb_err find_cb(void *ctx, const char *path, const char *text)
{
    struct find *f = ctx;

    if (!f->found && text && strcmp(path, f->path) == 0 && !(f->found = strdup(text)))
        return NB_ERR_NOMEM;
    return NB_OK;
}

char *xml_find(const char *body, size_t len, const char *path)
{
    struct find f = {.path = path};

    if (xml_walk(body, len, "XML", find_cb, &f) != NB_OK) {
        free(f.found);
        return NULL;
    }
    return f.found;
}

void xml_error(const char *body, size_t len, char *code, size_t code_len, char *message,
               size_t message_len)
{
    char *c = body && len ? xml_find(body, len, "Error/Code") : NULL;
    char *m = body && len ? xml_find(body, len, "Error/Message") : NULL;

    snprintf(code, code_len, "%s", c ? c : "");
    snprintf(message, message_len, "%.300s", m ? m : "");
    for (char *p = message; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    }
    free(c);
    free(m);
}
