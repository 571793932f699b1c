/* Text: strict UTF-8, JSON quoting as json.dumps(ensure_ascii=False) writes it, the arena. */

#include "chainscan.h"

int utf8_valid(const unsigned char *s, size_t n) {
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

int grow(Scan *scan, size_t need) {
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
int put_plain(char *out, size_t *n, const unsigned char *s, size_t len) {
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
int put_quoted(char *out, size_t *n, const unsigned char *s, size_t len) {
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

size_t keep(Scan *scan, const void *s, size_t n) {
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
