/* Optional compiled kernels of ``text_features`` (built by setup.py when a C compiler is
 * there; the numpy code in text_features.py is the fallback and the reference):
 *
 * ngrams(cp, punct, unspaced, char_orders, word_orders, mask, rows, cols) -> count
 *     the hashed char and word n-grams of a normalized, NUL-joined batch, in the order
 *     HashingFeaturizer's numpy code lists them (char orders ascending, then word
 *     unigrams, then word bigrams), with the same 64-bit hashes.
 * head_sums(index, weights, rows, cols, scale, out) -> None
 *     out[row, head] += float64(float32(weight * scale[row])) over the n-grams in order:
 *     the sums np.bincount gives per head, bit for bit.
 *
 * Arrays are passed as C-contiguous buffers (numpy arrays); the Python side checks dtypes.
 * Build with -ffp-contract=off: the float32 product must be rounded before it is added. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#define P_MUL 0x100000001B3ULL
#define GOLDEN 0x9E3779B97F4A7C15ULL
#define WORD_SALT_BASE 100
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH_LINE(p) __builtin_prefetch(p)
#else
#define PREFETCH_LINE(p) ((void)(p))
#endif
/* The per-head loops of the sums vectorized (each head's sum on its own lane: the same adds in the
 * same order, bit for bit; setup.py builds with -O2, which leaves them scalar). */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZED __attribute__((optimize("tree-vectorize")))
#else
#define VECTORIZED
#endif
#define PREFETCH 16  /* n-grams ahead whose weight rows head_sums asks the cache for */

static uint64_t fmix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t span_hash(const uint32_t *cp, Py_ssize_t a, Py_ssize_t b) {
    uint64_t h = 0;
    for (Py_ssize_t j = a; j < b; j++) h = h * P_MUL + ((uint64_t)cp[j] + 1);
    return h;
}

static int take_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected, got %zd", name, itemsize, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

typedef struct {
    PyObject *obj;
    Py_ssize_t itemsize;
    int writable;
    const char *name;
} Want;

static void release_buffers(Py_buffer *views, int n) {
    for (int k = 0; k < n; k++) PyBuffer_Release(&views[k]);
}

/* Every buffer of ``want``, or none (those taken before a failure are released). */
static int take_buffers(const Want *want, Py_buffer *views, int n) {
    for (int k = 0; k < n; k++) {
        if (take_buffer(want[k].obj, &views[k], want[k].itemsize, want[k].writable, want[k].name) < 0) {
            release_buffers(views, k);
            return -1;
        }
    }
    return 0;
}

/* ---- n-grams ------------------------------------------------------------------------ */
typedef struct {
    const uint32_t *cp;
    Py_ssize_t len;
    const uint8_t *punct;
    Py_ssize_t n_punct;
    const uint64_t *unspaced;
    Py_ssize_t n_unspaced;
    uint64_t mask;
    Py_ssize_t *rows;
    Py_ssize_t *cols;
    Py_ssize_t count;
} Emit;

static void emit(Emit *e, Py_ssize_t row, uint64_t key) {
    e->rows[e->count] = row;
    e->cols[e->count] = (Py_ssize_t)(fmix(key) & e->mask);
    e->count++;
}

static void char_ngrams(Emit *e, int n) {
    uint64_t salt = GOLDEN * (uint64_t)n;
    Py_ssize_t row = 0;
    for (Py_ssize_t i = 0; i + n <= e->len; i++) {
        int ok = 1;
        for (int k = 0; k < n; k++) {
            if (e->cp[i + k] == 0) { ok = 0; break; }
        }
        if (ok && (n > 1 || e->cp[i] >= 0x80)) emit(e, row, span_hash(e->cp, i, i + n) ^ salt);
        if (e->cp[i] == 0) row++;
    }
}

static int is_punct(const Emit *e, uint32_t c) {
    Py_ssize_t k = (Py_ssize_t)c < e->n_punct - 1 ? (Py_ssize_t)c : e->n_punct - 1;
    return e->punct[k] != 0;
}

static int is_spaced(const Emit *e, uint32_t c) {
    for (Py_ssize_t k = 0; k < e->n_unspaced; k++) {
        if (c >= e->unspaced[2 * k] && c <= e->unspaced[2 * k + 1]) return 0;
    }
    return 1;
}

/* Tokens: runs of characters that are neither a space nor a NUL, split where punctuation starts or ends. */
static int word_ngrams(Emit *e, int unigrams, int bigrams) {
    Py_ssize_t n_tok = 0, *start = NULL, *end = NULL, *row = NULL;
    char *spaced = NULL;
    if (e->len == 0) return 0;
    start = malloc(sizeof(Py_ssize_t) * e->len);
    end = malloc(sizeof(Py_ssize_t) * e->len);
    row = malloc(sizeof(Py_ssize_t) * e->len);
    spaced = malloc(e->len);
    if (!start || !end || !row || !spaced) {
        free(start); free(end); free(row); free(spaced);
        return -1;
    }
    Py_ssize_t r = 0;
    for (Py_ssize_t i = 0; i < e->len;) {
        uint32_t c = e->cp[i];
        if (c == 0 || c == 32) {
            r += c == 0;
            i++;
            continue;
        }
        int p = is_punct(e, c);
        Py_ssize_t j = i + 1;
        while (j < e->len && e->cp[j] != 0 && e->cp[j] != 32 && is_punct(e, e->cp[j]) == p) j++;
        start[n_tok] = i, end[n_tok] = j, row[n_tok] = r, spaced[n_tok] = (char)is_spaced(e, c);
        n_tok++;
        i = j;
    }
    if (unigrams) {
        uint64_t salt = GOLDEN * (uint64_t)(WORD_SALT_BASE + 1);
        for (Py_ssize_t k = 0; k < n_tok; k++) {
            if (spaced[k]) emit(e, row[k], span_hash(e->cp, start[k], end[k]) ^ salt);
        }
    }
    if (bigrams) {
        uint64_t salt = GOLDEN * (uint64_t)(WORD_SALT_BASE + 2);
        for (Py_ssize_t k = 0; k + 1 < n_tok; k++) {
            if (row[k] == row[k + 1] && spaced[k] && spaced[k + 1])
                emit(e, row[k], span_hash(e->cp, start[k], end[k + 1]) ^ salt);
        }
    }
    free(start); free(end); free(row); free(spaced);
    return 0;
}

static PyObject *ngrams(PyObject *self, PyObject *args) {
    PyObject *o_cp, *o_punct, *o_unspaced, *o_rows, *o_cols;
    unsigned long long char_orders, word_orders, mask;
    if (!PyArg_ParseTuple(args, "OOOKKKOO", &o_cp, &o_punct, &o_unspaced, &char_orders, &word_orders, &mask,
                          &o_rows, &o_cols))
        return NULL;
    Want want[] = {{o_cp, 4, 0, "cp"}, {o_punct, 1, 0, "punct"}, {o_unspaced, 8, 0, "unspaced"},
                   {o_rows, sizeof(Py_ssize_t), 1, "rows"}, {o_cols, sizeof(Py_ssize_t), 1, "cols"}};
    Py_buffer v[5];
    if (take_buffers(want, v, 5) < 0) return NULL;
    Emit e = {v[0].buf, v[0].len / 4, v[1].buf, v[1].len, v[2].buf, v[2].len / 16, (uint64_t)mask, v[3].buf, v[4].buf, 0};
    int n_char = 0, n_word = (word_orders & 2) != 0, n_max = 0;
    for (int n = 1; n < 64; n++) {
        if (char_orders & (1ULL << n)) n_char++, n_max = n;
    }
    n_word += (word_orders & 4) != 0;
    Py_ssize_t need = (n_char + n_word) * e.len, room = v[3].len < v[4].len ? v[3].len : v[4].len;
    if (room / (Py_ssize_t)sizeof(Py_ssize_t) < need || e.n_punct < 1) {
        PyErr_SetString(PyExc_ValueError, "ngrams: output buffers too small or no punctuation table");
        release_buffers(v, 5);
        return NULL;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int n = 1; n <= n_max; n++) {
        if (char_orders & (1ULL << n)) char_ngrams(&e, n);
    }
    if (word_orders & 6) failed = word_ngrams(&e, (word_orders & 2) != 0, (word_orders & 4) != 0);
    Py_END_ALLOW_THREADS
    release_buffers(v, 5);
    if (failed) return PyErr_NoMemory();
    return PyLong_FromSsize_t(e.count);
}

/* ---- head sums ------------------------------------------------------------------------ */
static int check_sums(const Py_buffer *index, const Py_buffer *weights, const Py_buffer *rows,
                      const Py_buffer *cols, const Py_buffer *scale, const Py_buffer *out, Py_ssize_t heads) {
    Py_ssize_t n_features = index->len / 4, n_weights = weights->len / 4 / heads, n = rows->len / sizeof(Py_ssize_t);
    Py_ssize_t n_rows = scale->len / 4;
    const int32_t *at = index->buf;
    const Py_ssize_t *r = rows->buf, *c = cols->buf;
    if (cols->len != rows->len || out->len / 8 != n_rows * heads || weights->len / 4 != n_weights * heads) return -1;
    for (Py_ssize_t j = 0; j < n; j++) {
        if (c[j] < 0 || c[j] >= n_features || r[j] < 0 || r[j] >= n_rows || at[c[j]] >= n_weights) return -1;
    }
    return 0;
}

VECTORIZED static PyObject *head_sums(PyObject *self, PyObject *args) {
    PyObject *o_index, *o_weights, *o_rows, *o_cols, *o_scale, *o_out;
    Py_ssize_t heads;
    if (!PyArg_ParseTuple(args, "OOOOOOn", &o_index, &o_weights, &o_rows, &o_cols, &o_scale, &o_out, &heads))
        return NULL;
    if (heads < 1) {
        PyErr_SetString(PyExc_ValueError, "head_sums: at least one head");
        return NULL;
    }
    Want want[] = {{o_index, 4, 0, "index"}, {o_weights, 4, 0, "weights"}, {o_rows, sizeof(Py_ssize_t), 0, "rows"},
                   {o_cols, sizeof(Py_ssize_t), 0, "cols"}, {o_scale, 4, 0, "scale"}, {o_out, 8, 1, "out"}};
    Py_buffer v[6];
    if (take_buffers(want, v, 6) < 0) return NULL;
    Py_buffer index = v[0], weights = v[1], rows = v[2], cols = v[3], scale = v[4], out = v[5];
    if (check_sums(&index, &weights, &rows, &cols, &scale, &out, heads) < 0) {
        PyErr_SetString(PyExc_ValueError, "head_sums: sizes do not agree or an index is out of range");
        release_buffers(v, 6);
        return NULL;
    }
    const int32_t *at = index.buf;
    const float *w = weights.buf, *s = scale.buf;
    const Py_ssize_t *r = rows.buf, *c = cols.buf;
    double *sums = out.buf;
    Py_ssize_t n = rows.len / sizeof(Py_ssize_t);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < n; j++) {
        if (j + 2 * PREFETCH < n) PREFETCH_LINE(at + c[j + 2 * PREFETCH]);  /* its index entry first */
        if (j + PREFETCH < n) {  /* the weight rows are read at random from a table larger than the cache */
            int32_t ahead = at[c[j + PREFETCH]];
            if (ahead >= 0) {
                const char *line = (const char *)(w + (Py_ssize_t)ahead * heads);
                for (Py_ssize_t b = 0; b < heads * 4; b += 64) PREFETCH_LINE(line + b);
                PREFETCH_LINE(line + heads * 4 - 1);
            }
        }
        int32_t a = at[c[j]];
        if (a < 0) continue;  /* no head has a weight for this column */
        const float *row_w = w + (Py_ssize_t)a * heads;
        float value = s[r[j]];
        double *acc = sums + r[j] * heads;
        for (Py_ssize_t h = 0; h < heads; h++) {
            float product = row_w[h] * value;
            acc[h] += (double)product;
        }
    }
    Py_END_ALLOW_THREADS
    release_buffers(v, 6);
    Py_RETURN_NONE;
}

/* ---- dense head sums (sentiment.linear.v1) -------------------------------------------
 * dense_sums(weights, rows, cols, out, heads) -> None
 *     out[row, head] += float64(weights[col, head]) over the n-grams in order: per head, what
 *     np.bincount(rows, weights=weights[:, head].take(cols)) gives, bit for bit, in one pass.
 *     ``weights`` is (n_features, heads) float32, C order (a column's heads on one cache line);
 *     ``out`` is (rows, heads) float64. */
static PyObject *dense_sums(PyObject *self, PyObject *args) {
    PyObject *o_weights, *o_rows, *o_cols, *o_out;
    Py_ssize_t heads;
    if (!PyArg_ParseTuple(args, "OOOOn", &o_weights, &o_rows, &o_cols, &o_out, &heads)) return NULL;
    if (heads < 1) {
        PyErr_SetString(PyExc_ValueError, "dense_sums: at least one head");
        return NULL;
    }
    Want want[] = {{o_weights, 4, 0, "weights"}, {o_rows, sizeof(Py_ssize_t), 0, "rows"},
                   {o_cols, sizeof(Py_ssize_t), 0, "cols"}, {o_out, 8, 1, "out"}};
    Py_buffer v[4];
    if (take_buffers(want, v, 4) < 0) return NULL;
    const float *w = v[0].buf;
    const Py_ssize_t *r = v[1].buf, *c = v[2].buf;
    double *sums = v[3].buf;
    Py_ssize_t n_features = v[0].len / 4 / heads, n = v[1].len / sizeof(Py_ssize_t);
    Py_ssize_t n_rows = v[3].len / 8 / heads;
    int ok = v[2].len == v[1].len && v[0].len == n_features * heads * 4 && v[3].len == n_rows * heads * 8;
    for (Py_ssize_t j = 0; ok && j < n; j++) ok = c[j] >= 0 && c[j] < n_features && r[j] >= 0 && r[j] < n_rows;
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "dense_sums: sizes do not agree or an index is out of range");
        release_buffers(v, 4);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < n; j++) {
        if (j + PREFETCH < n) {  /* the columns are read at random from a table larger than the cache */
            const char *line = (const char *)(w + c[j + PREFETCH] * heads);
            PREFETCH_LINE(line);
            PREFETCH_LINE(line + heads * 4 - 1);
        }
        const float *row_w = w + c[j] * heads;
        double *acc = sums + r[j] * heads;
        for (Py_ssize_t h = 0; h < heads; h++) acc[h] += (double)row_w[h];
    }
    Py_END_ALLOW_THREADS
    release_buffers(v, 4);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"ngrams", ngrams, METH_VARARGS, "Hashed char and word n-grams of a NUL-joined batch (see text_features)."},
    {"head_sums", head_sums, METH_VARARGS, "Per-row float64 sums of float32 weight x scale products, in order."},
    {"dense_sums", dense_sums, METH_VARARGS, "Per-row float64 sums of dense float32 head weights, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hashed", "Compiled kernels of text_features.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__hashed(void) { return PyModule_Create(&module); }
