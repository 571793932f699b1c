/* The least any verify does, in C (bench/verify_floor.py builds and runs it): in one read
   transaction, every item's key and every entry's 13 columns in id order, each entry's
   canonical text (tracker.chain.canonical: strings quoted as they are, keys JSON-quoted
   only as far as a plain key needs) and its SHA-256 compared with the stored hash, the
   previous hash of each item kept in an array. No workflow check, no item row, no fields, no
   consents, no derived columns, no type or UTF-8 checks, no error report.

   cc -O2 -o verify_floor bench/verify_floor.c -lsqlite3 -lcrypto; ./verify_floor FILE
   prints the number of entries and of hashes that differ. */

#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char text[1 << 20];

static size_t put(size_t n, const unsigned char *s, int len) {
    text[n++] = '"';
    memcpy(text + n, s, (size_t)len);
    n += (size_t)len;
    text[n++] = '"';
    return n;
}

int main(int argc, char **argv) {
    static const char hex[] = "0123456789abcdef";
    sqlite3 *db;
    sqlite3_stmt *keys, *entries;
    if (argc != 2 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                                     NULL) != SQLITE_OK)
        return 2;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "SELECT id, key FROM items ORDER BY id", -1, &keys, NULL);
    sqlite3_prepare_v2(db,
                       "SELECT id, item_id, version, \"trigger\", from_state, to_state, "
                       "occurred_at, recorded_at, actor, reason, source, hash, fields "
                       "FROM history ORDER BY id",
                       -1, &entries, NULL);
    sqlite3_int64 last = 0;
    size_t count = 0, size = 1024;
    char **key = calloc(size, sizeof *key), (*prev)[64] = NULL;
    while (sqlite3_step(keys) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(keys, 0);
        while ((size_t)id >= size) {
            key = realloc(key, 2 * size * sizeof *key);
            memset(key + size, 0, size * sizeof *key);
            size *= 2;
        }
        key[id] = strdup((const char *)sqlite3_column_text(keys, 1));
        last = id > last ? id : last;
    }
    prev = calloc((size_t)last + 1, 64);
    size_t differ = 0;
    while (sqlite3_step(entries) == SQLITE_ROW) {
        sqlite3_int64 ref = sqlite3_column_int64(entries, 1), version = sqlite3_column_int64(entries, 2);
        size_t n = 0;
        text[n++] = '[';
        if (version > 1) {
            n = put(n, (const unsigned char *)prev[ref], 64);
        } else {
            text[n++] = '"';
            text[n++] = '"';
        }
        text[n++] = ',';
        n = put(n, (const unsigned char *)key[ref], (int)strlen(key[ref]));
        n += (size_t)sprintf(text + n, ",%lld", (long long)version);
        for (int i = 3; i <= 10; i++) {
            text[n++] = ',';
            if (sqlite3_column_type(entries, i) == SQLITE_NULL) {
                memcpy(text + n, "null", 4);
                n += 4;
            } else {
                const unsigned char *s = sqlite3_column_text(entries, i);
                n = put(n, s, sqlite3_column_bytes(entries, i));
            }
        }
        if (sqlite3_column_type(entries, 12) != SQLITE_NULL) {
            const unsigned char *s = sqlite3_column_text(entries, 12);
            int len = sqlite3_column_bytes(entries, 12);
            text[n++] = ',';
            memcpy(text + n, s, (size_t)len);
            n += (size_t)len;
        }
        text[n++] = ']';
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256_CTX sha;
        SHA256_Init(&sha);
        SHA256_Update(&sha, text, n);
        SHA256_Final(digest, &sha);
        const unsigned char *stored = sqlite3_column_text(entries, 11);
        for (int i = 0; i < 32; i++)
            if (stored[2 * i] != hex[digest[i] >> 4] || stored[2 * i + 1] != hex[digest[i] & 15]) {
                differ++;
                break;
            }
        memcpy(prev[ref], stored, 64);
        count++;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    printf("%zu %zu\n", count, differ);
    return 0;
}
