/* verify's clean pass over a SQLite database, in C (tracker/audit/native.py says when it runs).

   It makes the checks tracker/audit/fast.py makes, on the same rows (the SQL is given by the
   caller), without a Python object per value: every entry's version, previous state, time
   order, trigger against the workflow and SHA-256 over the canonical form (chain.canonical),
   and every item's row against where its chain ends. It answers in one of two ways:
   - a str: a doubt (the caller then runs the exact replay, which names what is wrong);
   - a tuple (last entry id, items, entries, derived columns differ, entries, items): the
     entries that record fields or may settle consents, which the caller follows with the
     exact replay's own rules, and the items those entries belong to.
   Anything it is not sure of is a doubt: a value of an unexpected type, text that is not
   UTF-8, a byte the JSON encoder would escape in a value written unquoted, a name longer
   than it keeps. A doubt is never wrong, only slower. */

#ifndef CHAINSCAN_H
#define CHAINSCAN_H

#define PY_SSIZE_T_CLEAN
#define OPENSSL_API_COMPAT 0x10100000L /* SHA256_Init...: the direct calls, no provider lookup */
#include <Python.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#define SHORT 64 /* the longest time or state name kept for an item (a canonical time is 27) */

typedef struct {
    const char *s;
    Py_ssize_t n;
} Text;

typedef struct {
    PyObject *name;
    Text title, initial;
    Py_ssize_t moves, gates;
    Text *from, *trigger, *to; /* moves */
    Text *gate_from, *gate_trigger;
} Workflow;

typedef struct {
    sqlite3_int64 id, version;
    int workflow; /* index in the workflows, -1 if not loaded */
    size_t key, key_n, key_q, key_q_n, state, state_n, head, head_n, written, written_n;
    size_t fields, fields_n; /* the create's fields; fields_n == SIZE_MAX: none */
    char changed[SHORT], updated[SHORT];
    int changed_n, updated_n; /* -1: not text (derived columns then differ) */
    int derived_differ, emitted;
    /* the chain so far */
    sqlite3_int64 seen_version;
    const Text *seen_state;
    char seen_time[SHORT], seen_recorded[SHORT], seen_hash[64];
    int seen_time_n, seen_recorded_n;
} Item;

typedef struct {
    sqlite3_int64 item, id, version;
    size_t trigger, trigger_n, from, from_n, fields, fields_n, hash; /* *_n SIZE_MAX: null */
} Special;

typedef struct {
    char *data;
    size_t n, size;
} Arena;

typedef struct {
    Workflow *workflows;
    Py_ssize_t n_workflows;
    Text *keeping, *followed;
    Py_ssize_t n_keeping, n_followed;
    Item *items;
    Py_ssize_t n_items;
    Special *specials;
    size_t n_specials, size_specials;
    Arena arena;
    char *buf;
    size_t buf_size;
    int out_of_memory;
} Scan;

/* text.c, and what the loops call most, inline */
static inline int same(const char *a, Py_ssize_t an, const char *b, Py_ssize_t bn) {
    return an == bn && memcmp(a, b, (size_t)an) == 0;
}

static inline int in_set(const Text *set, Py_ssize_t n, const char *s, Py_ssize_t len) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (same(set[i].s, set[i].n, s, len)) return 1;
    return 0;
}

/* Strict UTF-8 (what Python's decoder accepts): the length of the sequence at s, 0 if bad. */
static inline int utf8_sequence(const unsigned char *s, size_t left) {
    unsigned char c = s[0];
    if (c < 0xC2) return 0;
    if (c < 0xE0) return left >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (left < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (left < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

int utf8_valid(const unsigned char *s, size_t n);
int grow(Scan *scan, size_t need);
int put_plain(char *out, size_t *n, const unsigned char *s, size_t len);
int put_quoted(char *out, size_t *n, const unsigned char *s, size_t len);
size_t keep(Scan *scan, const void *s, size_t n);

/* read.c: NULL, or the doubt */
const char *read_items(Scan *scan, sqlite3_stmt *st);
const char *entry(Scan *scan, sqlite3_stmt *statement, sqlite3_int64 *last_id);

/* module.c */
int workflow_index(Scan *scan, const char *s, Py_ssize_t n);

#endif
