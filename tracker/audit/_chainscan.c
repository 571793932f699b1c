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

/* ---- text ---- */

static int same(const char *a, Py_ssize_t an, const char *b, Py_ssize_t bn) {
    return an == bn && memcmp(a, b, (size_t)an) == 0;
}

static int in_set(const Text *set, Py_ssize_t n, const char *s, Py_ssize_t len) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (same(set[i].s, set[i].n, s, len)) return 1;
    return 0;
}

/* Strict UTF-8 (what Python's decoder accepts): the length of the sequence at s, 0 if bad. */
static int utf8_sequence(const unsigned char *s, size_t left) {
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

static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = utf8_sequence(s + i, n - i);
        if (!k) return 0;
        i += (size_t)k;
    }
    return 1;
}

static int grow(Scan *scan, size_t need) {
    if (need <= scan->buf_size) return 0;
    size_t size = scan->buf_size ? scan->buf_size : 4096;
    while (size < need) size *= 2;
    char *buf = realloc(scan->buf, size);
    if (!buf) return -1;
    scan->buf = buf;
    scan->buf_size = size;
    return 0;
}

/* Append `s` to the text at *n as a JSON string written as it is: 0, or -1 (a doubt) if it is
   not UTF-8 or holds a byte the encoder escapes (`"`, a backslash, a control character). */
static int put_plain(char *out, size_t *n, const unsigned char *s, size_t len) {
    char *o = out + *n;
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == '"' || c == '\\') return -1;
            *o++ = (char)c;
            i++;
            continue;
        }
        int k = utf8_sequence(s + i, len - i);
        if (!k) return -1;
        memcpy(o, s + i, (size_t)k);
        o += k;
        i += (size_t)k;
    }
    *o++ = '"';
    *n = (size_t)(o - out);
    return 0;
}

/* Append `s` JSON-quoted exactly as json.encoder.encode_basestring writes it (the encoder of
   json.dumps(ensure_ascii=False)); `out` has room for 6 * len + 2. -1 if not UTF-8. */
static int put_quoted(char *out, size_t *n, const unsigned char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    char *o = out + *n;
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            int k = utf8_sequence(s + i, len - i);
            if (!k) return -1;
            memcpy(o, s + i, (size_t)k);
            o += k;
            i += (size_t)k;
            continue;
        }
        i++;
        switch (c) {
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\b': *o++ = '\\'; *o++ = 'b'; break;
        case '\f': *o++ = '\\'; *o++ = 'f'; break;
        default:
            if (c < 0x20) {
                memcpy(o, "\\u00", 4);
                o[4] = hex[c >> 4];
                o[5] = hex[c & 15];
                o += 6;
            } else {
                *o++ = (char)c;
            }
        }
    }
    *o++ = '"';
    *n = (size_t)(o - out);
    return 0;
}

static size_t keep(Scan *scan, const void *s, size_t n) {
    Arena *a = &scan->arena;
    if (a->n + n + 1 > a->size) {
        size_t size = a->size ? a->size : 1 << 20;
        while (a->n + n + 1 > size) size *= 2;
        char *data = realloc(a->data, size);
        if (!data) {
            scan->out_of_memory = 1;
            return 0;
        }
        a->data = data;
        a->size = size;
    }
    size_t at = a->n;
    if (n) memcpy(a->data + at, s, n);
    a->data[at + n] = 0;
    a->n += n + 1;
    return at;
}

/* ---- the workflows, from {name: (initial, ((from, trigger, to), ...), ((from, trigger), ...))} */

static int text_of(PyObject *o, Text *t) {
    if (!PyUnicode_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "workflow names must be str");
        return -1;
    }
    t->s = PyUnicode_AsUTF8AndSize(o, &t->n);
    return t->s ? 0 : -1;
}

static int texts_of(PyObject *seq, Text **out, Py_ssize_t *n) {
    PyObject *fast = PySequence_Fast(seq, "a sequence of names");
    if (!fast) return -1;
    *n = PySequence_Fast_GET_SIZE(fast);
    *out = PyMem_Calloc((size_t)(*n ? *n : 1), sizeof(Text));
    int failed = !*out;
    for (Py_ssize_t i = 0; !failed && i < *n; i++)
        failed = text_of(PySequence_Fast_GET_ITEM(fast, i), &(*out)[i]) < 0;
    Py_DECREF(fast);
    return failed ? -1 : 0;
}

static int pairs_of(PyObject *seq, Py_ssize_t width, Text **a, Text **b, Text **c, Py_ssize_t *n) {
    PyObject *fast = PySequence_Fast(seq, "a sequence of tuples");
    if (!fast) return -1;
    *n = PySequence_Fast_GET_SIZE(fast);
    size_t size = (size_t)(*n ? *n : 1);
    *a = PyMem_Calloc(size, sizeof(Text));
    *b = PyMem_Calloc(size, sizeof(Text));
    if (c) *c = PyMem_Calloc(size, sizeof(Text));
    int failed = !*a || !*b || (c && !*c);
    for (Py_ssize_t i = 0; !failed && i < *n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != width) {
            PyErr_SetString(PyExc_TypeError, "a move must be a tuple of names");
            failed = 1;
            break;
        }
        failed = text_of(PyTuple_GET_ITEM(t, 0), &(*a)[i]) < 0 ||
                 text_of(PyTuple_GET_ITEM(t, 1), &(*b)[i]) < 0 ||
                 (c && text_of(PyTuple_GET_ITEM(t, 2), &(*c)[i]) < 0);
    }
    Py_DECREF(fast);
    return failed ? -1 : 0;
}

static int load_workflows(Scan *scan, PyObject *workflows) {
    if (!PyDict_Check(workflows)) {
        PyErr_SetString(PyExc_TypeError, "workflows must be a dict");
        return -1;
    }
    scan->n_workflows = PyDict_Size(workflows);
    scan->workflows = PyMem_Calloc((size_t)(scan->n_workflows + 1), sizeof(Workflow));
    if (!scan->workflows) return -1;
    PyObject *name, *spec;
    Py_ssize_t pos = 0, i = 0;
    while (PyDict_Next(workflows, &pos, &name, &spec)) {
        Workflow *w = &scan->workflows[i++];
        w->name = name;
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 3) {
            PyErr_SetString(PyExc_TypeError, "workflows: {name: (initial, moves, gates)}");
            return -1;
        }
        if (text_of(name, &w->title) < 0 || text_of(PyTuple_GET_ITEM(spec, 0), &w->initial) < 0 ||
            pairs_of(PyTuple_GET_ITEM(spec, 1), 3, &w->from, &w->trigger, &w->to, &w->moves) < 0 ||
            pairs_of(PyTuple_GET_ITEM(spec, 2), 2, &w->gate_from, &w->gate_trigger, NULL,
                     &w->gates) < 0)
            return -1;
    }
    return 0;
}

static int workflow_index(Scan *scan, const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < scan->n_workflows; i++)
        if (same(scan->workflows[i].title.s, scan->workflows[i].title.n, s, n)) return (int)i;
    return -1;
}

/* ---- reading ---- */

#define TEXT(st, i) ((const unsigned char *)sqlite3_column_text(st, i))
#define BYTES(st, i) ((size_t)sqlite3_column_bytes(st, i))
#define IS(st, i, type) (sqlite3_column_type(st, i) == (type))

static const char *read_items(Scan *scan, sqlite3_stmt *st) {
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
        sqlite3_int64 guess = id - scan->items[0].id;
        if (guess >= 0 && guess < scan->n_items && scan->items[guess].id == id)
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
static const char *entry(Scan *scan, sqlite3_stmt *statement, sqlite3_int64 *last_id) {
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

/* ---- the module ---- */

static void release(Scan *scan) {
    if (scan->workflows)
        for (Py_ssize_t i = 0; i < scan->n_workflows; i++) {
            Workflow *w = &scan->workflows[i];
            PyMem_Free(w->from);
            PyMem_Free(w->trigger);
            PyMem_Free(w->to);
            PyMem_Free(w->gate_from);
            PyMem_Free(w->gate_trigger);
        }
    PyMem_Free(scan->workflows);
    PyMem_Free(scan->keeping);
    PyMem_Free(scan->followed);
    free(scan->items);
    free(scan->specials);
    free(scan->arena.data);
    free(scan->buf);
}

static PyObject *str_or_none(const char *data, size_t at, size_t n) {
    if (n == SIZE_MAX) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(data + at, (Py_ssize_t)n, "strict");
}

static PyObject *result(Scan *scan, sqlite3_int64 last_id, sqlite3_int64 entries) {
    const char *a = scan->arena.data;
    int derived = 0;
    PyObject *specials = PyList_New(0), *items = PyList_New(0);
    if (!specials || !items) goto fail;
    for (Py_ssize_t i = 0; i < scan->n_items; i++) {
        Item *it = &scan->items[i];
        if (!it->seen_version) {
            Py_DECREF(specials);
            Py_DECREF(items);
            return PyUnicode_FromString("an item with no history");
        }
        if (it->version != it->seen_version ||
            !same(a + it->state, (Py_ssize_t)it->state_n, it->seen_state->s, it->seen_state->n) ||
            !same(a + it->head, (Py_ssize_t)it->head_n, it->seen_hash, 64)) {
            Py_DECREF(specials);
            Py_DECREF(items);
            return PyUnicode_FromString("an item's row against its chain");
        }
        derived |= it->derived_differ || it->changed_n < 0 || it->updated_n < 0 ||
                   !same(it->changed, it->changed_n, it->seen_time, it->seen_time_n) ||
                   !same(it->updated, it->updated_n, it->seen_recorded, it->seen_recorded_n);
        if (!it->emitted) {
            if (it->fields_n == SIZE_MAX ||
                !same(a + it->fields, (Py_ssize_t)it->fields_n, a + it->written,
                      (Py_ssize_t)it->written_n)) {
                Py_DECREF(specials);
                Py_DECREF(items);
                return PyUnicode_FromString("an item's fields against its chain");
            }
            continue;
        }
        PyObject *row = Py_BuildValue(
            "(LNONLNNN)", (long long)it->id, str_or_none(a, it->key, it->key_n),
            scan->workflows[it->workflow].name, str_or_none(a, it->state, it->state_n),
            (long long)it->version, str_or_none(a, it->head, it->head_n),
            str_or_none(a, it->written, it->written_n), str_or_none(a, it->fields, it->fields_n));
        if (!row || PyList_Append(items, row) < 0) {
            Py_XDECREF(row);
            goto fail;
        }
        Py_DECREF(row);
    }
    for (size_t i = 0; i < scan->n_specials; i++) {
        Special *s = &scan->specials[i];
        PyObject *row = Py_BuildValue(
            "(LLLNNNN)", (long long)s->item, (long long)s->id, (long long)s->version,
            str_or_none(a, s->trigger, s->trigger_n), str_or_none(a, s->from, s->from_n),
            str_or_none(a, s->fields, s->fields_n), str_or_none(a, s->hash, 64));
        if (!row || PyList_Append(specials, row) < 0) {
            Py_XDECREF(row);
            goto fail;
        }
        Py_DECREF(row);
    }
    return Py_BuildValue("(LnLONN)", (long long)last_id, scan->n_items, (long long)entries,
                         derived ? Py_True : Py_False, specials, items);
fail:
    Py_XDECREF(specials);
    Py_XDECREF(items);
    return NULL;
}

static PyObject *fail_sqlite(sqlite3 *db, const char *doing) {
    PyErr_Format(PyExc_OSError, "%s: %s", doing, db ? sqlite3_errmsg(db) : "no memory");
    return NULL;
}

static PyObject *scan_database(PyObject *self, PyObject *args) {
    (void)self;
    const char *path, *items_sql, *entries_sql;
    PyObject *workflows, *keeping, *followed, *progress;
    long long every;
    if (!PyArg_ParseTuple(args, "sssOOOOL", &path, &items_sql, &entries_sql, &workflows,
                          &keeping, &followed, &progress, &every))
        return NULL;
    if (every < 1) every = 1;
    Scan scan;
    memset(&scan, 0, sizeof scan);
    PyObject *answer = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *items = NULL, *entries = NULL;
    if (load_workflows(&scan, workflows) < 0 ||
        texts_of(keeping, &scan.keeping, &scan.n_keeping) < 0 ||
        texts_of(followed, &scan.followed, &scan.n_followed) < 0)
        goto done;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fail_sqlite(db, "open");
        goto done;
    }
    sqlite3_busy_timeout(db, 30000);
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, items_sql, -1, &items, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, entries_sql, -1, &entries, NULL) != SQLITE_OK) {
        fail_sqlite(db, "prepare");
        goto done;
    }
    const char *doubt = NULL;
    sqlite3_int64 last_id = 0, count = 0;
    Py_BEGIN_ALLOW_THREADS
    doubt = read_items(&scan, items);
    Py_END_ALLOW_THREADS
    while (!doubt) {
        int rc = SQLITE_ROW;
        Py_BEGIN_ALLOW_THREADS
        for (long long i = 0; i < every && !doubt; i++) {
            rc = sqlite3_step(entries);
            if (rc != SQLITE_ROW) break;
            doubt = entry(&scan, entries, &last_id);
            count++;
        }
        Py_END_ALLOW_THREADS
        if (doubt) break;
        if (rc != SQLITE_ROW) {
            if (rc != SQLITE_DONE) {
                fail_sqlite(db, "read");
                goto done;
            }
            break;
        }
        PyObject *r = PyObject_CallFunction(progress, "L", (long long)count);
        if (!r) goto done;
        Py_DECREF(r);
    }
    if (doubt) {
        answer = PyUnicode_FromString(doubt);
    } else {
        answer = result(&scan, last_id, count);
        if (answer && PyTuple_Check(answer)) {
            PyObject *r = PyObject_CallFunction(progress, "L", (long long)count);
            if (!r) Py_CLEAR(answer);
            Py_XDECREF(r);
        }
    }
done:
    sqlite3_finalize(items);
    sqlite3_finalize(entries);
    if (db) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    release(&scan);
    return answer;
}

static PyMethodDef methods[] = {
    {"scan", scan_database, METH_VARARGS,
     "scan(path, items_sql, entries_sql, workflows, keeping, followed, progress, every)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_chainscan", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__chainscan(void) { return PyModule_Create(&module); }
