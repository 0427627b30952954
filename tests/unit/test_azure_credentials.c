/* Unit tests of lib/storage/azure/credentials.c: the KEY=VALUE credentials
 * file (parsed, never executed), connection strings, and the credentials a
 * file or the environment gives. Errors never quote a key or a SAS. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/azure/credentials.h"
#include "unit.h"

#define KEY                                                                                        \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

static void test_kv_file_syntax(void)
{
    struct azure_kv_list l;
    const char *text = "# written by hand\n"
                       "\n"
                       "ACCOUNT_NAME=neo4jbackups\r\n"
                       "export ACCOUNT_KEY=" KEY "\n"
                       "  export\tSINGLE='a b $(rm -rf /) \"x\"'   # trailing comment\n"
                       "DOUBLE=\"q \\\"inner\\\" \\$HOME \\\\ \\n `id`\"\n"
                       "MIXED=abc'd e'\"f\"\\ g\n"
                       "SUBST=$(touch /tmp/nb-azure-pwned)\n"
                       "NESTED=${X:-$(echo a) b}c\n"
                       "BACKTICK=`touch /tmp/nb-azure-pwned`\n"
                       "HASH=abc#def\n"
                       "EMPTY=\n"
                       "SPACED = v\n"
                       "export ONLY_EXPORTED\n"
                       "DUP=1\n"
                       "DUP=2";
    CHECK(azure_kv_parse(text, "creds", &l) == NB_OK);
    CHECK_STR(azure_kv_get(&l, "ACCOUNT_NAME"), "neo4jbackups");
    CHECK_STR(azure_kv_get(&l, "ACCOUNT_KEY"), KEY);
    CHECK_STR(azure_kv_get(&l, "SINGLE"), "a b $(rm -rf /) \"x\"");
    CHECK_STR(azure_kv_get(&l, "DOUBLE"), "q \"inner\" $HOME \\ \\n `id`");
    CHECK_STR(azure_kv_get(&l, "MIXED"), "abcd ef g");
    CHECK_STR(azure_kv_get(&l, "SUBST"), "$(touch /tmp/nb-azure-pwned)");
    CHECK_STR(azure_kv_get(&l, "NESTED"), "${X:-$(echo a) b}c");
    CHECK_STR(azure_kv_get(&l, "BACKTICK"), "`touch /tmp/nb-azure-pwned`");
    CHECK_STR(azure_kv_get(&l, "HASH"), "abc#def");
    CHECK_STR(azure_kv_get(&l, "EMPTY"), "");
    CHECK_STR(azure_kv_get(&l, "SPACED"), "v");
    CHECK(azure_kv_get(&l, "ONLY_EXPORTED") == NULL);
    CHECK_STR(azure_kv_get(&l, "DUP"), "2");
    CHECK(azure_kv_get(&l, "MISSING") == NULL);
    CHECK(l.n == 12);
    /* Nothing was run. */
    CHECK(access("/tmp/nb-azure-pwned", F_OK) != 0);
    azure_kv_free(&l);
    CHECK(l.items == NULL && l.n == 0);

    CHECK(azure_kv_parse("", "empty", &l) == NB_OK);
    CHECK(l.n == 0);
    azure_kv_free(&l);
}

static void check_kv_error(const char *text, const char *want_in_message)
{
    struct azure_kv_list l;
    CHECK(azure_kv_parse(text, "/credentials/credentials", &l) == NB_ERR_USAGE);
    CHECK(l.n == 0 && l.items == NULL);
    CHECK(strstr(nb_errmsg(), "/credentials/credentials") != NULL);
    if (!strstr(nb_errmsg(), want_in_message))
        fprintf(stderr, "message '%s' lacks '%s'\n", nb_errmsg(), want_in_message);
    CHECK(strstr(nb_errmsg(), want_in_message) != NULL);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
}

static void test_kv_file_errors(void)
{
    check_kv_error("A=1\nACCOUNT_KEY='SECRET\n", "line 2: the value of ACCOUNT_KEY has an "
                                                 "unterminated ' quote");
    check_kv_error("ACCOUNT_KEY=\"SECRET\n", "unterminated \" quote");
    check_kv_error("ACCOUNT_KEY=SECRET more\n", "line 1: the value of ACCOUNT_KEY has a blank");
    check_kv_error("just SECRET text\n", "line 1: expected KEY=VALUE for just");
    check_kv_error("\n\n1KEY=SECRET\n", "line 3: expected KEY=VALUE");
    check_kv_error("ACCOUNT_KEY\n", "line 1: expected KEY=VALUE for ACCOUNT_KEY");
    check_kv_error("ACCOUNT_KEY=$(cat SECRET\n", "an unterminated substitution");
}

static void test_kv_read_file(void)
{
    char path[] = "/tmp/nb-azure-creds-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text =
        "export AZURE_STORAGE_ACCOUNT_NAME=acct\nexport AZURE_STORAGE_ACCOUNT_KEY=" KEY "\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct azure_kv_list l;
    CHECK(azure_kv_read_file(path, &l) == NB_OK);
    CHECK_STR(azure_kv_get(&l, "AZURE_STORAGE_ACCOUNT_NAME"), "acct");
    azure_kv_free(&l);
    unlink(path);
    CHECK(azure_kv_read_file(path, &l) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), path) != NULL);
}

static void test_connection_strings(void)
{
    struct azure_connection_string c;
    CHECK(azure_connection_string_parse("DefaultEndpointsProtocol=https;AccountName=neo4jbackups;"
                                        "AccountKey=" KEY ";EndpointSuffix=core.windows.net",
                                        &c) == NB_OK);
    CHECK_STR(c.protocol, "https");
    CHECK_STR(c.account_name, "neo4jbackups");
    CHECK_STR(c.account_key, KEY);
    CHECK(c.sas == NULL);
    CHECK_STR(c.blob_endpoint, "https://neo4jbackups.blob.core.windows.net");
    azure_connection_string_free(&c);

    /* Sovereign cloud; keys in any case; blanks and empty parts; unknown keys ignored. */
    CHECK(azure_connection_string_parse(" accountname = cn1 ; ACCOUNTKEY=" KEY
                                        ";endpointsuffix=core.chinacloudapi.cn;;"
                                        "QueueEndpoint=https://q.example;",
                                        &c) == NB_OK);
    CHECK_STR(c.blob_endpoint, "https://cn1.blob.core.chinacloudapi.cn");
    CHECK_STR(c.endpoint_suffix, "core.chinacloudapi.cn");
    azure_connection_string_free(&c);

    /* azurite: BlobEndpoint wins, its trailing '/' dropped. */
    CHECK(
        azure_connection_string_parse("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                                      "AccountKey=" KEY ";BlobEndpoint=http://127.0.0.1:10000/"
                                      "devstoreaccount1/;",
                                      &c) == NB_OK);
    CHECK_STR(c.protocol, "http");
    CHECK_STR(c.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
    azure_connection_string_free(&c);

    /* SAS only, with a BlobEndpoint and no account name; '=' and '&' in the value. */
    CHECK(
        azure_connection_string_parse("BlobEndpoint=https://acct.blob.core.windows.net;"
                                      "SharedAccessSignature=?sv=2025-01-05&ss=b&srt=sco&sp=rwdlac"
                                      "&se=2030-01-01T00:00:00Z&sig=abc%2Bdef%3D",
                                      &c) == NB_OK);
    CHECK(c.account_name == NULL && c.account_key == NULL);
    CHECK_STR(c.sas,
              "sv=2025-01-05&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=abc%2Bdef%3D");
    CHECK_STR(c.blob_endpoint, "https://acct.blob.core.windows.net");
    azure_connection_string_free(&c);

    CHECK(azure_connection_string_parse("UseDevelopmentStorage=true", &c) == NB_OK);
    CHECK_STR(c.account_name, AZURE_DEV_ACCOUNT);
    CHECK_STR(c.account_key, AZURE_DEV_KEY);
    CHECK_STR(c.blob_endpoint, AZURE_DEV_ENDPOINT);
    azure_connection_string_free(&c);
}

static void check_cs_error(const char *s, const char *want)
{
    struct azure_connection_string c;
    CHECK(azure_connection_string_parse(s, &c) == NB_ERR_USAGE);
    CHECK(c.account_key == NULL && c.blob_endpoint == NULL);
    if (!strstr(nb_errmsg(), want))
        fprintf(stderr, "message '%s' lacks '%s'\n", nb_errmsg(), want);
    CHECK(strstr(nb_errmsg(), want) != NULL);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
}

static void test_connection_string_errors(void)
{
    check_cs_error("AccountName=a;AccountKey=" KEY ";SECRETnoequals", "part 3 is not Key=Value");
    check_cs_error("=SECRET;AccountName=a", "part 1 is not Key=Value");
    check_cs_error("DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey=" KEY,
                   "DefaultEndpointsProtocol is 'ftp'");
    check_cs_error("AccountKey=" KEY, "no AccountName and no BlobEndpoint");
    check_cs_error("AccountName=a", "neither AccountKey nor SharedAccessSignature");
    check_cs_error("BlobEndpoint=http://x;AccountKey=" KEY, "an AccountKey but no AccountName");
    check_cs_error("AccountName=acct9;AccountKey=SECRET*notbase64", "account 'acct9' is not valid");
    check_cs_error("", "no AccountName and no BlobEndpoint");
}

static void test_resolve(void)
{
    struct azure_kv_list l;
    struct azure_credentials c;

    /* The older tools' names. */
    CHECK(azure_kv_parse("ACCOUNT_NAME=old\nACCOUNT_KEY=" KEY "\n", "f", &l) == NB_OK);
    CHECK(azure_credentials_resolve(azure_lookup_kv, &l, "f", &c) == NB_OK);
    CHECK(c.kind == AZURE_CRED_SHARED_KEY);
    CHECK_STR(c.account_name, "old");
    CHECK_STR(c.account_key, KEY);
    CHECK(c.blob_endpoint == NULL);
    azure_credentials_free(&c);
    azure_kv_free(&l);

    /* A connection string wins over the other names. */
    CHECK(azure_kv_parse("AZURE_STORAGE_ACCOUNT_NAME=x\nAZURE_STORAGE_SAS_TOKEN=sv=1&sig=2\n"
                         "AZURE_STORAGE_CONNECTION_STRING='AccountName=cs;AccountKey=" KEY
                         ";BlobEndpoint=http://127.0.0.1:1/cs'\n",
                         "f", &l) == NB_OK);
    CHECK(azure_credentials_resolve(azure_lookup_kv, &l, "f", &c) == NB_OK);
    CHECK(c.kind == AZURE_CRED_SHARED_KEY);
    CHECK_STR(c.account_name, "cs");
    CHECK_STR(c.blob_endpoint, "http://127.0.0.1:1/cs");
    CHECK(c.sas == NULL);
    azure_credentials_free(&c);
    azure_kv_free(&l);

    /* A SAS token (its '?' dropped), with the endpoint. */
    CHECK(azure_kv_parse("AZURE_STORAGE_SAS_TOKEN='?sv=1&sig=2'\n"
                         "AZURE_STORAGE_BLOB_ENDPOINT=http://127.0.0.1:10000/devstoreaccount1\n",
                         "f", &l) == NB_OK);
    CHECK(azure_credentials_resolve(azure_lookup_kv, &l, "f", &c) == NB_OK);
    CHECK(c.kind == AZURE_CRED_SAS);
    CHECK_STR(c.sas, "sv=1&sig=2");
    CHECK_STR(c.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
    azure_credentials_free(&c);
    azure_kv_free(&l);

    /* Errors name the source and the account, not the key. */
    CHECK(azure_kv_parse("ACCOUNT_NAME=acct7\nACCOUNT_KEY=SECRET!\n", "the file F", &l) == NB_OK);
    CHECK(azure_credentials_resolve(azure_lookup_kv, &l, "the file F", &c) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "the file F for account acct7") != NULL);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
    CHECK(c.account_name == NULL);
    azure_kv_free(&l);
    CHECK(azure_kv_parse("AZURE_STORAGE_CONNECTION_STRING=AccountName=a;AccountKey=SECRET!\n", "F",
                         &l) == NB_OK);
    CHECK(azure_credentials_resolve(azure_lookup_kv, &l, "F", &c) == NB_ERR_USAGE);
    CHECK(strstr(nb_errmsg(), "AZURE_STORAGE_CONNECTION_STRING in F") != NULL);
    CHECK(strstr(nb_errmsg(), "SECRET") == NULL);
    azure_kv_free(&l);

    /* The environment, same names; nothing set: none. */
    unsetenv("AZURE_STORAGE_CONNECTION_STRING");
    unsetenv("AZURE_STORAGE_ACCOUNT_KEY");
    unsetenv("ACCOUNT_KEY");
    unsetenv("AZURE_STORAGE_SAS_TOKEN");
    unsetenv("AZURE_STORAGE_BLOB_ENDPOINT");
    setenv("AZURE_STORAGE_ACCOUNT_NAME", "envacct", 1);
    CHECK(azure_credentials_resolve(azure_lookup_env, NULL, "the environment", &c) == NB_OK);
    CHECK(c.kind == AZURE_CRED_NONE);
    CHECK_STR(c.account_name, "envacct");
    azure_credentials_free(&c);
    setenv("AZURE_STORAGE_ACCOUNT_KEY", KEY, 1);
    CHECK(azure_credentials_resolve(azure_lookup_env, NULL, "the environment", &c) == NB_OK);
    CHECK(c.kind == AZURE_CRED_SHARED_KEY);
    CHECK_STR(c.account_key, KEY);
    azure_credentials_free(&c);
    unsetenv("AZURE_STORAGE_ACCOUNT_KEY");
    unsetenv("AZURE_STORAGE_ACCOUNT_NAME");
}

int main(void)
{
    test_kv_file_syntax();
    test_kv_file_errors();
    test_kv_read_file();
    test_connection_strings();
    test_connection_string_errors();
    test_resolve();
    return unit_report("test_azure_credentials");
}
