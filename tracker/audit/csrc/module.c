/* The module: the workflows handed over, the scan, its answer (see chainscan.h). */

#include "chainscan.h"

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

int load_workflows(Scan *scan, PyObject *workflows) {
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

int workflow_index(Scan *scan, const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < scan->n_workflows; i++)
        if (same(scan->workflows[i].title.s, scan->workflows[i].title.n, s, n)) return (int)i;
    return -1;
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
