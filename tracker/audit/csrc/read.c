/* Reading the items and checking each entry (the loop of fast.py's _Pass.run, in C). */

#include "chainscan.h"

#define TEXT(st, i) ((const unsigned char *)sqlite3_column_text(st, i))
#define BYTES(st, i) ((size_t)sqlite3_column_bytes(st, i))
#define IS(st, i, type) (sqlite3_column_type(st, i) == (type))

const char *read_items(Scan *scan, sqlite3_stmt *st) {
    size_t size = 1024;
    scan->items = malloc(size * sizeof(Item));
    if (!scan->items) return "out of memory";
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)scan->n_items == size) {
            size *= 2;
            Item *items = realloc(scan->items, size * sizeof(Item));
            if (!items) return "out of memory";
            scan->items = items;
        }
        Item *it = &scan->items[scan->n_items];
        memset(it, 0, sizeof(Item));
        /* id, key, workflow, state, version, last_hash, title, kind, parties, description,
           created_at, key_lower, changed_at, updated_at */
        if (!IS(st, 0, SQLITE_INTEGER) || !IS(st, 4, SQLITE_INTEGER)) return "an item column";
        for (int i = 1; i <= 10; i++)
            if (i != 4 && !IS(st, i, SQLITE_TEXT)) return "an item column";
        it->id = sqlite3_column_int64(st, 0);
        it->version = sqlite3_column_int64(st, 4);
        if (scan->n_items && it->id <= scan->items[scan->n_items - 1].id) return "item order";
        const unsigned char *key = TEXT(st, 1), *workflow = TEXT(st, 2);
        size_t key_n = BYTES(st, 1), workflow_n = BYTES(st, 2);
        it->workflow = workflow_index(scan, (const char *)workflow, (Py_ssize_t)workflow_n);
        it->key = keep(scan, key, key_n);
        it->key_n = key_n;
        it->state = keep(scan, TEXT(st, 3), BYTES(st, 3));
        it->state_n = BYTES(st, 3);
        it->head = keep(scan, TEXT(st, 5), BYTES(st, 5));
        it->head_n = BYTES(st, 5);
        /* chain.item_fields_text: created_at, description, key, kind, parties, title, workflow */
        size_t total = 0;
        for (int i = 1; i <= 10; i++) total += BYTES(st, i);
        if (grow(scan, 6 * total + 256) < 0) return "out of memory";
        char *b = scan->buf;
        size_t n = 0;
        int bad = 0;
#define FIELD(label, column)                                                         \
    memcpy(b + n, label, sizeof(label) - 1);                                         \
    n += sizeof(label) - 1;                                                          \
    bad |= put_quoted(b, &n, TEXT(st, column), BYTES(st, column));
        FIELD("{\"created_at\":", 10)
        FIELD(",\"description\":", 9)
        FIELD(",\"key\":", 1)
        FIELD(",\"kind\":", 7)
        memcpy(b + n, ",\"parties\":[", 12);
        n += 12;
        const unsigned char *parties = TEXT(st, 8);
        size_t parties_n = BYTES(st, 8);
        if (parties_n) { /* fields.stored_parties: split on every space */
            size_t start = 0;
            for (size_t i = 0; i <= parties_n; i++) {
                if (i == parties_n || parties[i] == ' ') {
                    if (start) b[n++] = ',';
                    bad |= put_quoted(b, &n, parties + start, i - start);
                    start = i + 1;
                }
            }
        }
        b[n++] = ']';
        FIELD(",\"title\":", 6)
        FIELD(",\"workflow\":", 2)
#undef FIELD
        b[n++] = '}';
        if (bad) return "an item's text";
        it->written = keep(scan, b, n);
        it->written_n = n;
        n = 0;
        if (put_quoted(b, &n, key, key_n) < 0) return "an item's text";
        it->key_q = keep(scan, b, n);
        it->key_q_n = n;
        if (scan->out_of_memory) return "out of memory";
        /* key_lower is the key lower-cased: compared here for an ASCII key, else left to
           the exact query (derived_differ). */
        int ascii = 1;
        for (size_t i = 0; i < key_n; i++) ascii &= key[i] < 0x80;
        if (!ascii || !IS(st, 11, SQLITE_TEXT) || BYTES(st, 11) != key_n) {
            it->derived_differ = 1;
        } else {
            const unsigned char *lowered = TEXT(st, 11);
            for (size_t i = 0; i < key_n; i++) {
                unsigned char c = key[i];
                if (lowered[i] != (c >= 'A' && c <= 'Z' ? c + 32 : c)) it->derived_differ = 1;
            }
        }
        it->changed_n = it->updated_n = -1;
        if (IS(st, 12, SQLITE_TEXT) && BYTES(st, 12) < SHORT) {
            it->changed_n = (int)BYTES(st, 12);
            memcpy(it->changed, TEXT(st, 12), BYTES(st, 12));
        }
        if (IS(st, 13, SQLITE_TEXT) && BYTES(st, 13) < SHORT) {
            it->updated_n = (int)BYTES(st, 13);
            memcpy(it->updated, TEXT(st, 13), BYTES(st, 13));
        }
        it->fields_n = SIZE_MAX;
        scan->n_items++;
    }
    return rc == SQLITE_DONE ? NULL : "reading the items";
}

static Item *find(Scan *scan, sqlite3_int64 id) {
    Py_ssize_t lo = 0, hi = scan->n_items - 1;
    if (hi >= 0) { /* ids are usually dense: try the guess first */
        /* unsigned: ids anywhere in 64 bits (an item id SQL set to -2^63) never overflow */
        sqlite3_uint64 guess = (sqlite3_uint64)id - (sqlite3_uint64)scan->items[0].id;
        if (guess < (sqlite3_uint64)scan->n_items && scan->items[guess].id == id)
            return &scan->items[guess];
    }
    while (lo <= hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        sqlite3_int64 at = scan->items[mid].id;
        if (at == id) return &scan->items[mid];
        if (at < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

static int compare(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* One row's columns, each read from SQLite once. */
typedef struct {
    int type[13];
    const unsigned char *text[13];
    size_t bytes[13];
} Row;

#define R_IS(st, i, t) (st->type[i] == (t))
#define R_TEXT(st, i) (st->text[i])
#define R_BYTES(st, i) (st->bytes[i])

static size_t keep_or_null(Scan *scan, const Row *st, int i, size_t *n) {
    if (R_IS(st, i, SQLITE_NULL)) {
        *n = SIZE_MAX;
        return 0;
    }
    *n = R_BYTES(st, i);
    return keep(scan, R_TEXT(st, i), *n);
}

/* One entry (id, item_id, version, trigger, from_state, to_state, occurred, recorded, actor,
   reason, source, hash, fields): NULL, or the doubt. */
const char *entry(Scan *scan, sqlite3_stmt *statement, sqlite3_int64 *last_id) {
    Row row, *st = &row;
    for (int i = 0; i < 13; i++) {
        row.type[i] = sqlite3_column_type(statement, i);
        row.text[i] = row.type[i] == SQLITE_TEXT ? sqlite3_column_text(statement, i) : NULL;
        row.bytes[i] = row.type[i] == SQLITE_TEXT ? (size_t)sqlite3_column_bytes(statement, i) : 0;
    }
    static const char hex[] = "0123456789abcdef";
    if (!R_IS(st, 0, SQLITE_INTEGER) || !R_IS(st, 1, SQLITE_INTEGER) || !R_IS(st, 2, SQLITE_INTEGER))
        return "an entry's number";
    sqlite3_int64 id = sqlite3_column_int64(statement, 0), version = sqlite3_column_int64(statement, 2);
    if (id <= *last_id) return "entry order";
    *last_id = id;
    Item *it = find(scan, sqlite3_column_int64(statement, 1));
    if (!it) return "an entry of no item";
    if (it->workflow < 0) return "an item of a workflow not loaded";
    const Workflow *w = &scan->workflows[it->workflow];
    if (!w->moves) return "a workflow with no moves";
    if (version != it->seen_version + 1) return "a version out of order";
    static const int text_columns[] = {3, 5, 6, 7, 8, 11};
    for (size_t i = 0; i < sizeof text_columns / sizeof *text_columns; i++)
        if (!R_IS(st, text_columns[i], SQLITE_TEXT)) return "an entry's text";
    for (int i = 9; i <= 12; i += 1)
        if (i != 11 && !R_IS(st, i, SQLITE_TEXT) && !R_IS(st, i, SQLITE_NULL)) return "an entry's text";
    const char *trigger = (const char *)R_TEXT(st, 3), *to = (const char *)R_TEXT(st, 5);
    const char *occurred = (const char *)R_TEXT(st, 6);
    Py_ssize_t trigger_n = (Py_ssize_t)R_BYTES(st, 3), to_n = (Py_ssize_t)R_BYTES(st, 5);
    size_t occurred_n = R_BYTES(st, 6);
    if (it->seen_version && compare(occurred, occurred_n, it->seen_time, (size_t)it->seen_time_n) < 0)
        return "time order";
    int has_from = !R_IS(st, 4, SQLITE_NULL);
    const char *from = has_from ? (const char *)R_TEXT(st, 4) : NULL;
    Py_ssize_t from_n = has_from ? (Py_ssize_t)R_BYTES(st, 4) : 0;
    const Text *now = NULL; /* the state after this entry, as the workflow spells it */
    if (version == 1) {
        if (has_from || !same(trigger, trigger_n, "create", 6) ||
            !same(to, to_n, w->initial.s, w->initial.n))
            return "a first entry";
        now = &w->initial;
    } else {
        const Text *was = it->seen_state;
        if (!has_from || !same(from, from_n, was->s, was->n)) return "a from_state";
        if (in_set(scan->keeping, scan->n_keeping, trigger, trigger_n)) {
            if (!same(to, to_n, from, from_n)) return "a state kept";
            now = was;
        } else {
            for (Py_ssize_t m = 0; m < w->moves && !now; m++)
                if (same(w->from[m].s, w->from[m].n, from, from_n) &&
                    same(w->trigger[m].s, w->trigger[m].n, trigger, trigger_n)) {
                    if (!same(w->to[m].s, w->to[m].n, to, to_n)) return "a move";
                    now = &w->to[m];
                }
            if (!now) return "a move";
        }
    }
    /* The canonical text (chain.canonical). */
    size_t total = 256 + it->key_q_n;
    for (int i = 3; i <= 12; i++) total += R_BYTES(st, i);
    if (grow(scan, total) < 0) return "out of memory";
    char *b = scan->buf;
    size_t n = 0;
    b[n++] = '[';
    b[n++] = '"';
    if (version > 1) {
        memcpy(b + n, it->seen_hash, 64);
        n += 64;
    }
    b[n++] = '"';
    b[n++] = ',';
    memcpy(b + n, scan->arena.data + it->key_q, it->key_q_n);
    n += it->key_q_n;
    n += (size_t)snprintf(b + n, 32, ",%lld,", (long long)version);
    int bad = put_plain(b, &n, (const unsigned char *)trigger, (size_t)trigger_n);
    b[n++] = ',';
    if (has_from) {
        bad |= put_plain(b, &n, (const unsigned char *)from, (size_t)from_n);
    } else {
        memcpy(b + n, "null", 4);
        n += 4;
    }
    for (int i = 5; i <= 10; i++) {
        b[n++] = ',';
        if (R_IS(st, i, SQLITE_NULL)) {
            memcpy(b + n, "null", 4);
            n += 4;
        } else {
            bad |= put_plain(b, &n, R_TEXT(st, i), R_BYTES(st, i));
        }
    }
    int has_fields = !R_IS(st, 12, SQLITE_NULL);
    if (has_fields) {
        const unsigned char *fields = R_TEXT(st, 12);
        size_t fields_n = R_BYTES(st, 12);
        if (!utf8_valid(fields, fields_n)) return "an entry's fields";
        b[n++] = ',';
        memcpy(b + n, fields, fields_n);
        n += fields_n;
    }
    b[n++] = ']';
    if (bad) return "an entry's text";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, b, n);
    SHA256_Final(digest, &sha);
    const unsigned char *stored = R_TEXT(st, 11);
    if (R_BYTES(st, 11) != 64) return "a hash";
    for (int i = 0; i < 32; i++)
        if (stored[2 * i] != hex[digest[i] >> 4] || stored[2 * i + 1] != hex[digest[i] & 15])
            return "a hash";
    /* Fields and consents: the entries the caller follows (fast.py's condition, or more). */
    int gated = 0;
    if (w->gates && has_from) {
        gated = it->emitted;
        for (Py_ssize_t g = 0; g < w->gates && !gated; g++)
            gated = same(w->gate_from[g].s, w->gate_from[g].n, from, from_n) &&
                    same(w->gate_trigger[g].s, w->gate_trigger[g].n, trigger, trigger_n);
    }
    int followed = (has_fields && version != 1) ||
                   (in_set(scan->followed, scan->n_followed, trigger, trigger_n) &&
                    !(has_fields && version == 1)) ||
                   gated;
    if (version == 1 && has_fields) {
        it->fields = keep(scan, R_TEXT(st, 12), R_BYTES(st, 12));
        it->fields_n = R_BYTES(st, 12);
    }
    if (followed) {
        if (scan->n_specials == scan->size_specials) {
            size_t size = scan->size_specials ? 2 * scan->size_specials : 1024;
            Special *s = realloc(scan->specials, size * sizeof(Special));
            if (!s) return "out of memory";
            scan->specials = s;
            scan->size_specials = size;
        }
        Special *s = &scan->specials[scan->n_specials++];
        s->item = it->id;
        s->id = id;
        s->version = version;
        s->trigger = keep(scan, trigger, (size_t)trigger_n);
        s->trigger_n = (size_t)trigger_n;
        s->from = keep_or_null(scan, st, 4, &s->from_n);
        s->fields = keep_or_null(scan, st, 12, &s->fields_n);
        s->hash = keep(scan, stored, 64);
        it->emitted = 1;
    }
    size_t recorded_n = R_BYTES(st, 7);
    if (occurred_n >= SHORT || recorded_n >= SHORT) return "a time";
    it->seen_version = version;
    it->seen_state = now;
    memcpy(it->seen_time, occurred, occurred_n);
    it->seen_time_n = (int)occurred_n;
    memcpy(it->seen_recorded, R_TEXT(st, 7), recorded_n);
    it->seen_recorded_n = (int)recorded_n;
    memcpy(it->seen_hash, stored, 64);
    if (scan->out_of_memory) return "out of memory";
    return NULL;
}
