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
#include <string.h>

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

/* ---- dedup keys (analyzer/stages/dedup.py; its numpy and hashlib code is the reference) ---- */
/* minhash(texts, n, a, b) -> bytes: the packed uint32 MinHash signature of every text (each at
 * least n characters): per permutation p, the low 32 bits of the least (a[p] * crc + b[p]) mod
 * (2**61 - 1) over the zlib CRC-32 of the UTF-8 bytes of each character n-gram.
 * blake2b64(keys) -> list: int.from_bytes(blake2b(key.encode(), digest_size=8).digest(),
 * "little") of every str (None stays None). */
#define M61 0x1FFFFFFFFFFFFFFFULL

static uint32_t crc_table[256];

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define MINHASH_CLONES __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define MINHASH_CLONES
#endif

static void make_crc_table(void) {
    for (uint32_t k = 0; k < 256; k++) {
        uint32_t c = k;
        for (int j = 0; j < 8; j++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320U : c >> 1;
        crc_table[k] = c;
    }
}

/* The UTF-8 bytes of a str into utf8 (4 per character at most) and each character's byte
 * offset into at (len + 1 entries). */
static void utf8_offsets(PyObject *text, uint8_t *utf8, Py_ssize_t *at) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), k = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        at[i] = k;
        if (c < 0x80) {
            utf8[k++] = (uint8_t)c;
        } else if (c < 0x800) {
            utf8[k++] = (uint8_t)(0xC0 | (c >> 6));
            utf8[k++] = (uint8_t)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            utf8[k++] = (uint8_t)(0xE0 | (c >> 12));
            utf8[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            utf8[k++] = (uint8_t)(0x80 | (c & 0x3F));
        } else {
            utf8[k++] = (uint8_t)(0xF0 | (c >> 18));
            utf8[k++] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
            utf8[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            utf8[k++] = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    at[len] = k;
}

/* The least hash per permutation over the n-grams (at[i]: byte offset of character i). Signed
 * 64-bit values (all below 2**62) and 32-bit factors let the compiler use vector compares
 * and 32 x 32 -> 64-bit multiplies across the permutations. */
MINHASH_CLONES
static void minhash_one(const uint8_t *utf8, const Py_ssize_t *at, Py_ssize_t grams, int n,
                        const uint32_t *a, const uint32_t *b, Py_ssize_t perms, int64_t *low, uint32_t *out) {
    for (Py_ssize_t p = 0; p < perms; p++) low[p] = INT64_MAX;
    for (Py_ssize_t i = 0; i < grams; i++) {
        uint32_t crc = 0xFFFFFFFFU;
        for (Py_ssize_t j = at[i]; j < at[i + n]; j++) crc = crc_table[(crc ^ utf8[j]) & 0xFF] ^ (crc >> 8);
        uint32_t x = crc ^ 0xFFFFFFFFU;
        for (Py_ssize_t p = 0; p < perms; p++) {
            uint64_t v = (uint64_t)a[p] * x + b[p];  /* < 2**64: a, b and x are below 2**32 */
            int64_t r = (int64_t)((v & M61) + (v >> 61));  /* at most M61 + 7 */
            r = r >= (int64_t)M61 ? r - (int64_t)M61 : r;
            low[p] = r < low[p] ? r : low[p];
        }
    }
    for (Py_ssize_t p = 0; p < perms; p++) out[p] = (uint32_t)low[p];
}

static PyObject *minhash(PyObject *self, PyObject *args) {
    PyObject *texts, *o_a, *o_b;
    int n;
    if (!PyArg_ParseTuple(args, "O!iOO", &PyList_Type, &texts, &n, &o_a, &o_b)) return NULL;
    Want want[] = {{o_a, 8, 0, "a"}, {o_b, 8, 0, "b"}};
    Py_buffer v[2];
    if (take_buffers(want, v, 2) < 0) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(texts), perms = v[0].len / 8, longest = 0;
    const uint64_t *a = v[0].buf, *b = v[1].buf;
    for (Py_ssize_t t = 0; t < count; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) < n || n < 1) {
            PyErr_SetString(PyExc_ValueError, "minhash: every text must be a str of at least n >= 1 characters");
            release_buffers(v, 2);
            return NULL;
        }
        if (PyUnicode_GET_LENGTH(text) > longest) longest = PyUnicode_GET_LENGTH(text);
    }
    int fits = v[1].len == v[0].len;
    for (Py_ssize_t p = 0; p < perms; p++) fits &= !(a[p] >> 32 || b[p] >> 32);
    if (!fits) {
        PyErr_SetString(PyExc_ValueError, "minhash: a and b must hold uint32 values, as many of each");
        release_buffers(v, 2);
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, count * perms * 4);
    uint8_t *utf8 = malloc(4 * longest + 1);
    Py_ssize_t *at = malloc((longest + 1) * sizeof(Py_ssize_t));
    int64_t *low = malloc((perms + 1) * sizeof(int64_t));
    uint32_t *a32 = malloc((perms + 1) * sizeof(uint32_t)), *b32 = malloc((perms + 1) * sizeof(uint32_t));
    for (Py_ssize_t p = 0; a32 && b32 && p < perms; p++) a32[p] = (uint32_t)a[p], b32[p] = (uint32_t)b[p];
    if (out && !(utf8 && at && low && a32 && b32)) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
    if (out) {
        uint32_t *sig = (uint32_t *)PyBytes_AS_STRING(out);
        for (Py_ssize_t t = 0; t < count; t++) {
            PyObject *text = PyList_GET_ITEM(texts, t);
            utf8_offsets(text, utf8, at);
            minhash_one(utf8, at, PyUnicode_GET_LENGTH(text) - n + 1, n, a32, b32, perms, low, sig + t * perms);
        }
    }
    free(utf8); free(at); free(low); free(a32); free(b32);
    release_buffers(v, 2);
    return out;
}

static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static uint64_t rotr64(uint64_t x, int k) { return (x >> k) | (x << (64 - k)); }

#define B2_G(a, b, c, d, x, y)                 \
    do {                                       \
        a = a + b + (x); d = rotr64(d ^ a, 32); \
        c = c + d; b = rotr64(b ^ c, 24);      \
        a = a + b + (y); d = rotr64(d ^ a, 16); \
        c = c + d; b = rotr64(b ^ c, 63);      \
    } while (0)

/* One BLAKE2b compression of a 128-byte block; t: bytes hashed so far, last: final block. */
static void b2_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) {
        uint64_t w = 0;
        for (int j = 7; j >= 0; j--) w = (w << 8) | block[8 * i + j];
        m[i] = w;
    }
    for (int i = 0; i < 8; i++) v[i] = h[i], v[i + 8] = B2_IV[i];
    v[12] ^= t;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = B2_SIGMA[r];
        B2_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        B2_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        B2_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        B2_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        B2_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        B2_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        B2_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        B2_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* BLAKE2b with an 8-byte digest and no key: the digest is h[0], little-endian. */
static uint64_t blake2b_8(const uint8_t *data, Py_ssize_t len) {
    uint64_t h[8];
    uint8_t block[128];
    for (int i = 0; i < 8; i++) h[i] = B2_IV[i];
    h[0] ^= 0x01010000ULL | 8;  /* depth 1, fanout 1, no key, digest length 8 */
    Py_ssize_t done = 0;
    while (len - done > 128) {
        b2_compress(h, data + done, (uint64_t)(done + 128), 0);
        done += 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, data + done, (size_t)(len - done));
    b2_compress(h, block, (uint64_t)len, 1);
    return h[0];
}

static PyObject *blake2b64(PyObject *self, PyObject *args) {
    PyObject *keys;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &keys)) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(keys);
    PyObject *out = PyList_New(count);
    for (Py_ssize_t i = 0; out && i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i), *digest;
        if (key == Py_None) {
            Py_INCREF(Py_None);
            digest = Py_None;
        } else {
            Py_ssize_t size;
            const char *utf8 = PyUnicode_AsUTF8AndSize(key, &size);  /* a TypeError for a non-str */
            digest = utf8 ? PyLong_FromUnsignedLongLong(blake2b_8((const uint8_t *)utf8, size)) : NULL;
        }
        if (!digest) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, digest);
    }
    return out;
}

/* LSH bands (dicts: band key -> first id), each call one pass over the bands in order:
 * bands_find(bands, keys) -> list: [band.get(key) for each band, key] without the Nones;
 * bands_claim(bands, keys, ident) -> tuple: band.setdefault(key, ident) for each, and the key
 *     where the band names ident afterwards (==), else None;
 * bands_drop(bands, owned) -> None: del band[key] for each key that is not None. */
static int bands_args(PyObject *bands, PyObject *keys, const char *name) {
    if (!PyList_Check(bands) || !PyTuple_Check(keys) || PyTuple_GET_SIZE(keys) != PyList_GET_SIZE(bands)) {
        PyErr_Format(PyExc_TypeError, "%s: a list of dicts and a tuple of as many keys", name);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(bands); i++) {
        if (!PyDict_Check(PyList_GET_ITEM(bands, i))) {
            PyErr_Format(PyExc_TypeError, "%s: a list of dicts and a tuple of as many keys", name);
            return -1;
        }
    }
    return 0;
}

static PyObject *bands_find(PyObject *self, PyObject *args) {
    PyObject *bands, *keys;
    if (!PyArg_ParseTuple(args, "OO", &bands, &keys) || bands_args(bands, keys, "bands_find") < 0) return NULL;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out && i < PyTuple_GET_SIZE(keys); i++) {
        PyObject *found = PyDict_GetItemWithError(PyList_GET_ITEM(bands, i), PyTuple_GET_ITEM(keys, i));
        if ((!found && PyErr_Occurred()) || (found && PyList_Append(out, found) < 0)) Py_CLEAR(out);
    }
    return out;
}

static PyObject *claim_keys(PyObject *bands, PyObject *keys, PyObject *ident);
static int drop_keys(PyObject *bands, PyObject *owned);

static PyObject *bands_claim(PyObject *self, PyObject *args) {
    PyObject *bands, *keys, *ident;
    if (!PyArg_ParseTuple(args, "OOO", &bands, &keys, &ident) || bands_args(bands, keys, "bands_claim") < 0)
        return NULL;
    return claim_keys(bands, keys, ident);
}

/* bands_claim's work (bands and keys checked). */
static PyObject *claim_keys(PyObject *bands, PyObject *keys, PyObject *ident) {
    PyObject *out = PyTuple_New(PyTuple_GET_SIZE(keys));
    for (Py_ssize_t i = 0; out && i < PyTuple_GET_SIZE(keys); i++) {
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        PyObject *owner = PyDict_SetDefault(PyList_GET_ITEM(bands, i), key, ident);  /* borrowed */
        int mine = owner ? PyObject_RichCompareBool(owner, ident, Py_EQ) : -1;
        if (mine < 0) {
            Py_CLEAR(out);
        } else {
            PyObject *kept = mine ? key : Py_None;
            Py_INCREF(kept);
            PyTuple_SET_ITEM(out, i, kept);
        }
    }
    return out;
}

static PyObject *bands_drop(PyObject *self, PyObject *args) {
    PyObject *bands, *owned;
    if (!PyArg_ParseTuple(args, "OO", &bands, &owned) || bands_args(bands, owned, "bands_drop") < 0 ||
        drop_keys(bands, owned) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* bands_drop's work (bands and keys checked): 0, or -1 on error. */
static int drop_keys(PyObject *bands, PyObject *owned) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(owned); i++) {
        PyObject *key = PyTuple_GET_ITEM(owned, i);
        if (key != Py_None && PyDict_DelItem(PyList_GET_ITEM(bands, i), key) < 0) return -1;
    }
    return 0;
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

/* ---- dedup's windows (DedupStage.decide, session 15) -----------------------------------
 * windows_new(window, near_window) -> capsule: the four LRU windows of a DedupStage (ids, texts,
 *     counts: ``window`` entries; signatures: ``near_window``), each a hash table of linked nodes
 *     (oldest first) keyed by any hashable object, grown as it fills (never above its size + 1).
 * windows_decide(state, keys, bands, stats, threshold) -> list: ``DedupStage.decide`` of each
 *     DupKeys in order, with the same look-ups, moves to the end, evictions, band operations and
 *     ``stats`` updates (a dict: "seen" once per call, then each count as the Python code adds
 *     it), so the same decisions, counts and bands as the Python windows (tests/test_dedup_kernels.py).
 * windows_sizes(state) -> (ids, texts, signatures, counts): their numbers of entries. */
typedef struct {
    PyObject *key;    /* owned; NULL on a free node */
    Py_hash_t hash;
    PyObject *value;  /* owned or NULL: an id; a signature's packed bytes */
    PyObject *owned;  /* owned or NULL: the band keys a signature holds */
    long count;       /* the counts window's value */
    int32_t prev, next;
} WNode;

typedef struct {
    Py_ssize_t size, len, cap;  /* most entries; entries; nodes allocated */
    int32_t oldest, newest, free;
    WNode *nodes;
    int32_t *slots;  /* node index per slot, -1 empty: linear probing, at most half full */
    size_t mask;
} Window;

typedef struct {
    Window ids, texts, counts, signatures;
} Windows;

static size_t w_home(const Window *w, Py_hash_t hash) { return (size_t)(((uint64_t)hash * GOLDEN) >> 20) & w->mask; }

static int w_resize(Window *w, Py_ssize_t cap) {
    WNode *nodes = PyMem_Realloc(w->nodes, (size_t)cap * sizeof(WNode));
    if (!nodes) return -1;
    w->nodes = nodes;
    for (Py_ssize_t i = w->cap; i < cap; i++) {
        nodes[i].key = nodes[i].value = nodes[i].owned = NULL;
        nodes[i].next = i + 1 < cap ? (int32_t)(i + 1) : w->free;
    }
    if (cap > w->cap) w->free = (int32_t)w->cap;
    size_t n_slots = 8;
    while (n_slots < 2 * (size_t)cap) n_slots *= 2;
    int32_t *slots = PyMem_Malloc(n_slots * sizeof(int32_t));
    if (!slots) return -1;
    memset(slots, 0xFF, n_slots * sizeof(int32_t));
    PyMem_Free(w->slots);
    w->slots = slots, w->mask = n_slots - 1;
    for (int32_t i = w->oldest; i >= 0; i = nodes[i].next) {
        size_t s = w_home(w, nodes[i].hash);
        while (slots[s] >= 0) s = (s + 1) & w->mask;
        slots[s] = i;
    }
    w->cap = cap;
    return 0;
}

static int w_init(Window *w, Py_ssize_t size) {
    memset(w, 0, sizeof(*w));
    w->size = size, w->oldest = w->newest = w->free = -1;
    return w_resize(w, size + 1 < 1024 ? size + 1 : 1024);
}

static void w_clear_node(WNode *n) {
    Py_CLEAR(n->key);
    Py_CLEAR(n->value);
    Py_CLEAR(n->owned);
}

static void w_free(Window *w) {
    for (Py_ssize_t i = 0; i < w->cap; i++) w_clear_node(&w->nodes[i]);
    PyMem_Free(w->nodes);
    PyMem_Free(w->slots);
}

/* The slot holding ``key`` (its node: slots[*at]), or the empty slot where it would go: 1 found,
 * 0 not, -1 error (a key's __eq__ raised). */
static int w_find(const Window *w, PyObject *key, Py_hash_t hash, size_t *at) {
    for (size_t s = w_home(w, hash);; s = (s + 1) & w->mask) {
        int32_t i = w->slots[s];
        *at = s;
        if (i < 0) return 0;
        const WNode *n = &w->nodes[i];
        if (n->key == key) return 1;
        if (n->hash == hash) {
            int eq = PyObject_RichCompareBool(n->key, key, Py_EQ);
            if (eq != 0) return eq;
        }
    }
}

static void w_unlink(Window *w, int32_t i) {
    WNode *n = &w->nodes[i];
    if (n->prev >= 0) w->nodes[n->prev].next = n->next; else w->oldest = n->next;
    if (n->next >= 0) w->nodes[n->next].prev = n->prev; else w->newest = n->prev;
}

static void w_append(Window *w, int32_t i) {
    WNode *n = &w->nodes[i];
    n->prev = w->newest, n->next = -1;
    if (w->newest >= 0) w->nodes[w->newest].next = i; else w->oldest = i;
    w->newest = i;
}

static void w_to_end(Window *w, int32_t i) {
    if (w->newest != i) {
        w_unlink(w, i);
        w_append(w, i);
    }
}

/* Empty slot ``s`` (linear probing's backward shift: no tombstones). */
static void w_empty_slot(Window *w, size_t s) {
    size_t j = s;
    for (;;) {
        j = (j + 1) & w->mask;
        int32_t i = w->slots[j];
        if (i < 0) break;
        size_t home = w_home(w, w->nodes[i].hash);
        if (s <= j ? (s < home && home <= j) : (s < home || home <= j)) continue;
        w->slots[s] = i;
        s = j;
    }
    w->slots[s] = -1;
}

/* Add ``key`` (not there; ``at``: the empty slot w_find gave) as the newest node; its index, -1 on error. */
static int32_t w_add(Window *w, PyObject *key, Py_hash_t hash, size_t at) {
    if (w->free < 0) {
        Py_ssize_t cap = w->cap * 2 < w->size + 1 ? w->cap * 2 : w->size + 1;
        if (cap <= w->cap || w_resize(w, cap) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        if (w_find(w, key, hash, &at) != 0) return -1;  /* the table was rebuilt: the key's empty slot again */
    }
    int32_t i = w->free;
    WNode *n = &w->nodes[i];
    w->free = n->next;
    Py_INCREF(key);
    n->key = key, n->hash = hash, n->count = 0;
    w->slots[at] = i;
    w_append(w, i);
    w->len++;
    return i;
}

/* Remove the oldest node; returns it (its references still held: w_release then). */
static int32_t w_pop_oldest(Window *w) {
    int32_t i = w->oldest;
    for (size_t s = w_home(w, w->nodes[i].hash);; s = (s + 1) & w->mask) {
        if (w->slots[s] == i) {
            w_empty_slot(w, s);
            break;
        }
    }
    w_unlink(w, i);
    w->len--;
    return i;
}

static void w_release(Window *w, int32_t i) {
    w_clear_node(&w->nodes[i]);
    w->nodes[i].next = w->free;
    w->free = i;
}

/* ``LRU.get_or_put(key, value)``: the value found (borrowed; moved to the end), or NULL when
 * there was none and ``value`` went in (the oldest out past the size). *err on error. */
static PyObject *w_get_or_put(Window *w, PyObject *key, PyObject *value, int *err) {
    Py_hash_t hash = PyObject_Hash(key);
    size_t at;
    int found = hash == -1 ? -1 : w_find(w, key, hash, &at);
    if (found == 1) {
        int32_t i = w->slots[at];
        w_to_end(w, i);
        return w->nodes[i].value;
    }
    int32_t i = found < 0 ? -1 : w_add(w, key, hash, at);
    if (i < 0) {
        *err = 1;
        return NULL;
    }
    Py_INCREF(value);
    w->nodes[i].value = value;
    while (w->len > w->size) w_release(w, w_pop_oldest(w));
    return NULL;
}

/* The node of ``key`` moved to the end (``LRU.get``), -1 when not there, -2 on error. */
static int32_t w_get(Window *w, PyObject *key) {
    Py_hash_t hash = PyObject_Hash(key);
    size_t at;
    int found = hash == -1 ? -1 : w_find(w, key, hash, &at);
    if (found <= 0) return found < 0 ? -2 : -1;
    int32_t i = w->slots[at];
    w_to_end(w, i);
    return i;
}

/* ``LRU.put(key, ...)``: the node of ``key`` at the end (its old value kept for the caller to
 * replace), or -1 on error. The evicted nodes (past the size) are dropped, each signature's
 * owned band keys deleted from ``bands`` first (bands_drop). */
static int32_t w_put(Window *w, PyObject *key, PyObject *bands) {
    Py_hash_t hash = PyObject_Hash(key);
    size_t at;
    int found = hash == -1 ? -1 : w_find(w, key, hash, &at);
    if (found < 0) return -1;
    if (found == 1) {
        int32_t i = w->slots[at];
        w_to_end(w, i);
        return i;
    }
    int32_t i = w_add(w, key, hash, at);
    if (i < 0) return -1;
    while (w->len > w->size) {
        int32_t old = w_pop_oldest(w);
        int dropped = w->nodes[old].owned ? drop_keys(bands, w->nodes[old].owned) : 0;
        w_release(w, old);
        if (dropped < 0) return -1;
    }
    return i;
}

static void windows_free(PyObject *capsule) {
    Windows *s = PyCapsule_GetPointer(capsule, "dedup_windows");
    if (!s) return;
    w_free(&s->ids), w_free(&s->texts), w_free(&s->counts), w_free(&s->signatures);
    PyMem_Free(s);
}

static PyObject *windows_new(PyObject *self, PyObject *args) {
    Py_ssize_t window, near_window;
    if (!PyArg_ParseTuple(args, "nn", &window, &near_window)) return NULL;
    if (window < 1 || near_window < 1 || window >= INT32_MAX / 4 || near_window >= INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "windows_new: window sizes from 1 to 2**29");
        return NULL;
    }
    Windows *s = PyMem_Calloc(1, sizeof(Windows));
    if (!s) return PyErr_NoMemory();
    if (w_init(&s->ids, window) < 0 || w_init(&s->texts, window) < 0 || w_init(&s->counts, window) < 0 ||
        w_init(&s->signatures, near_window) < 0) {
        w_free(&s->ids), w_free(&s->texts), w_free(&s->counts), w_free(&s->signatures);
        PyMem_Free(s);
        return PyErr_NoMemory();
    }
    PyObject *capsule = PyCapsule_New(s, "dedup_windows", windows_free);
    if (!capsule) {
        w_free(&s->ids), w_free(&s->texts), w_free(&s->counts), w_free(&s->signatures);
        PyMem_Free(s);
    }
    return capsule;
}

static PyObject *windows_sizes(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    Windows *s = PyCapsule_GetPointer(capsule, "dedup_windows");
    if (!s) return NULL;
    return Py_BuildValue("nnnn", s->ids.len, s->texts.len, s->signatures.len, s->counts.len);
}

/* stats[key] += n (a Counter: a missing key counts 0), the key made from ``prefix`` + ``name``. */
static int count_up(PyObject *stats, const char *prefix, PyObject *name, Py_ssize_t n) {
    PyObject *key = name ? PyUnicode_FromFormat("%s%S", prefix, name) : PyUnicode_FromString(prefix);
    PyObject *add = key ? PyLong_FromSsize_t(n) : NULL;
    PyObject *old = add ? PyDict_GetItemWithError(stats, key) : NULL;
    PyObject *sum = old ? PyNumber_Add(old, add) : (PyErr_Occurred() ? NULL : Py_XNewRef(add));
    int rc = sum ? PyDict_SetItem(stats, key, sum) : -1;
    Py_XDECREF(sum);
    Py_XDECREF(add);
    Py_XDECREF(key);
    return rc;
}

/* ``DedupStage._near_copy``: the first id (a new reference) whose signature agrees with ``packed``
 * on at least ``threshold`` of its values among those sharing a band, else NULL (*err on error)
 * after remembering it (its band keys claimed). */
static PyObject *near_copy(Windows *s, PyObject *ident, PyObject *packed, PyObject *bands, double threshold, int *err) {
    Py_ssize_t nb = PyList_GET_SIZE(bands), size = PyBytes_GET_SIZE(packed), width = size / nb;
    PyObject *keys = PyTuple_New(nb), *found[64], *first = NULL;
    Py_ssize_t n_found = 0;
    for (Py_ssize_t b = 0; keys && b < nb; b++) {
        PyObject *key = PyBytes_FromStringAndSize(PyBytes_AS_STRING(packed) + b * width, width);
        if (!key) goto fail;
        PyTuple_SET_ITEM(keys, b, key);
        PyObject *c = PyDict_GetItemWithError(PyList_GET_ITEM(bands, b), key);  /* borrowed: bands not changed below */
        if (!c && PyErr_Occurred()) goto fail;
        int seen = 0;
        for (Py_ssize_t j = 0; c && !seen && j < n_found; j++) {
            seen = PyObject_RichCompareBool(found[j], c, Py_EQ);
            if (seen < 0) goto fail;
        }
        if (c && !seen) found[n_found++] = c;
    }
    if (!keys) goto fail;
    const uint32_t *sig = (const uint32_t *)PyBytes_AS_STRING(packed);
    for (Py_ssize_t j = 0; j < n_found; j++) {
        int32_t i = w_get(&s->signatures, found[j]);
        if (i == -2) goto fail;
        if (i < 0) continue;
        PyObject *old = s->signatures.nodes[i].value;
        if (PyBytes_GET_SIZE(old) != size) {
            PyErr_SetString(PyExc_ValueError, "windows_decide: signatures of different sizes");
            goto fail;
        }
        const uint32_t *o = (const uint32_t *)PyBytes_AS_STRING(old);
        Py_ssize_t equal = 0;
        for (Py_ssize_t v = 0; v < size / 4; v++) equal += o[v] == sig[v];
        if ((double)equal / (double)(size / 4) >= threshold) {
            first = Py_NewRef(found[j]);
            Py_DECREF(keys);
            return first;
        }
    }
    int32_t i = w_put(&s->signatures, ident, bands);
    if (i < 0) goto fail;
    WNode *node = &s->signatures.nodes[i];
    Py_XSETREF(node->value, Py_NewRef(packed));
    Py_CLEAR(node->owned);  /* a record replaced: the keys it held stay in the bands (as LRU.put does) */
    PyObject *owned = claim_keys(bands, keys, ident);
    if (!owned) goto fail;
    s->signatures.nodes[i].owned = owned;
    Py_DECREF(keys);
    return NULL;
fail:
    Py_XDECREF(keys);
    *err = 1;
    return NULL;
}

static PyObject *R_same_id, *R_same_author, *R_exact, *R_near;

/* ``DedupStage._find_copy``: (first id, a new reference, or NULL; *reason borrowed). */
static PyObject *find_copy(Windows *s, PyObject *k, PyObject *bands, double threshold, PyObject **reason, int *err) {
    PyObject *id = PyTuple_GET_ITEM(k, 0), *author_key = PyTuple_GET_ITEM(k, 3), *text_key = PyTuple_GET_ITEM(k, 4);
    PyObject *signature = PyTuple_GET_ITEM(k, 5), *first;
    if ((first = w_get_or_put(&s->ids, PyTuple_GET_ITEM(k, 1), id, err)) || *err) {
        *reason = R_same_id;
        return Py_XNewRef(first);
    }
    if (author_key != Py_None && ((first = w_get_or_put(&s->texts, author_key, id, err)) || *err)) {
        *reason = R_same_author;
        return Py_XNewRef(first);
    }
    if (text_key == Py_None) return NULL;
    if ((first = w_get_or_put(&s->texts, text_key, id, err)) || *err) {
        *reason = R_exact;
        return Py_XNewRef(first);
    }
    if (signature == Py_None) return NULL;
    if (!PyBytes_Check(signature) || PyBytes_GET_SIZE(signature) % (4 * PyList_GET_SIZE(bands)) ||
        PyList_GET_SIZE(bands) > 64) {
        PyErr_SetString(PyExc_ValueError, "windows_decide: a signature of packed uint32, split evenly in at most 64 bands");
        *err = 1;
        return NULL;
    }
    *reason = R_near;
    return near_copy(s, id, signature, bands, threshold, err);
}

/* ``DedupStage.decide`` of one DupKeys: (first id, reason, dup_count, noise). */
static PyObject *decide_one(Windows *s, PyObject *k, PyObject *bands, PyObject *stats, double threshold) {
    if (!PyTuple_Check(k) || PyTuple_GET_SIZE(k) < 6) {
        PyErr_SetString(PyExc_TypeError, "windows_decide: DupKeys tuples");
        return NULL;
    }
    PyObject *id = PyTuple_GET_ITEM(k, 0), *noise = PyTuple_GET_ITEM(k, 2), *reason = NULL;
    int noisy = PyObject_IsTrue(noise), err = 0;
    if (noisy < 0 || (noisy && count_up(stats, "noise_", noise, 1) < 0)) return NULL;
    PyObject *first = find_copy(s, k, bands, threshold, &reason, &err);
    if (err) return NULL;
    if (!first) {
        int32_t i = w_put(&s->counts, id, bands);
        if (i < 0) return NULL;
        s->counts.nodes[i].count = 1;
        return Py_BuildValue("OOiO", Py_None, Py_None, 1, noise);
    }
    int32_t i = w_get(&s->counts, first);
    long count = (i >= 0 && s->counts.nodes[i].count ? s->counts.nodes[i].count : 1) + 1;
    i = i == -2 ? -1 : w_put(&s->counts, first, bands);
    PyObject *out = NULL;
    if (i >= 0 && count_up(stats, "duplicate_", reason, 1) == 0) {
        s->counts.nodes[i].count = count;
        out = Py_BuildValue("OOlO", first, reason, count, noise);
    }
    Py_DECREF(first);
    return out;
}

static PyObject *windows_decide(PyObject *self, PyObject *args) {
    PyObject *capsule, *keys, *bands, *stats;
    double threshold;
    if (!PyArg_ParseTuple(args, "OO!O!O!d", &capsule, &PyList_Type, &keys, &PyList_Type, &bands, &PyDict_Type, &stats,
                          &threshold))
        return NULL;
    Windows *s = PyCapsule_GetPointer(capsule, "dedup_windows");
    if (!s) return NULL;
    if (PyList_GET_SIZE(bands) < 1) {
        PyErr_SetString(PyExc_ValueError, "windows_decide: at least one band");
        return NULL;
    }
    for (Py_ssize_t b = 0; b < PyList_GET_SIZE(bands); b++) {
        if (!PyDict_Check(PyList_GET_ITEM(bands, b))) {
            PyErr_SetString(PyExc_TypeError, "windows_decide: bands is a list of dicts");
            return NULL;
        }
    }
    if (!R_near && (!(R_same_id = PyUnicode_InternFromString("same_id")) ||
                       !(R_same_author = PyUnicode_InternFromString("same_author")) ||
                       !(R_exact = PyUnicode_InternFromString("exact")) || !(R_near = PyUnicode_InternFromString("near"))))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    if (n && count_up(stats, "seen", NULL, n) < 0) return NULL;
    PyObject *out = PyList_New(n);
    for (Py_ssize_t j = 0; out && j < n; j++) {
        PyObject *one = decide_one(s, PyList_GET_ITEM(keys, j), bands, stats, threshold);
        if (!one) Py_CLEAR(out);
        else PyList_SET_ITEM(out, j, one);
    }
    return out;
}

/* dfa_features(nextmove, rowbase, output, data, starts, text_of, feature, count) -> n
 *     py3langid's byte automaton walked over each text (bytes data[starts[t]:starts[t + 1]],
 *     from state 0): state = nextmove[rowbase[state] + byte], and output[state] (>= 0) is a
 *     feature the text holds once more. Writes (text, feature, occurrences) of each distinct
 *     feature of each text, by text then feature, into the first n items of the three int64
 *     arrays (each at least len(data) long): what Py3LangidBackend's numpy walk, sort and
 *     counting give. ``nextmove`` uint32, ``rowbase`` int64, ``output`` int32. The table is
 *     far larger than the cache and each step waits on the last, so DFA_LANES texts are walked
 *     side by side (their loads overlap), each writing its features where its bytes lie. */
#define DFA_LANES 64

static void sort_int64(int64_t *a, int64_t n) {
    while (n > 16) {  /* quicksort, median of three; the smaller side recursively */
        int64_t x = a[0], y = a[n / 2], z = a[n - 1];
        int64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = -1, j = n;
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j) break;
            int64_t t = a[i]; a[i] = a[j]; a[j] = t;
        }
        if (j + 1 < n - j - 1) {
            sort_int64(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_int64(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (int64_t i = 1; i < n; i++) {  /* insertion sort for the short runs */
        int64_t x = a[i], j = i;
        for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Walk texts [0, n_texts) DFA_LANES at a time; feat[starts[t] ...] gets text t's features,
 * emitted[t] how many. 0 when a state or a table index is out of range. */
static int dfa_walk(const uint32_t *nm, int64_t n_nm, const int64_t *rowbase, int64_t n_states,
                    const int32_t *output, const unsigned char *data, const int64_t *starts, int64_t n_texts,
                    int64_t *feat, int64_t *emitted) {
    int64_t lane_text[DFA_LANES], lane_pos[DFA_LANES], lane_out[DFA_LANES];
    uint32_t lane_state[DFA_LANES];
    int64_t next = 0;
    int active = 0;
    for (int k = 0; k < DFA_LANES; k++) lane_text[k] = -1;
    for (;;) {
        for (int k = 0; k < DFA_LANES; k++) {  /* a lane whose text is done takes the next text */
            while (lane_text[k] < 0 || lane_pos[k] == starts[lane_text[k] + 1]) {
                if (lane_text[k] >= 0) {
                    emitted[lane_text[k]] = lane_out[k] - starts[lane_text[k]];
                    lane_text[k] = -1;
                    active--;
                }
                if (next == n_texts) break;
                lane_text[k] = next;
                lane_pos[k] = lane_out[k] = starts[next];
                lane_state[k] = 0;
                next++;
                active++;
            }
        }
        if (!active) return 1;
        for (int k = 0; k < DFA_LANES; k++) {
            if (lane_text[k] < 0) continue;
            uint32_t state = lane_state[k];
            int64_t at = (state < n_states ? rowbase[state] : -1) + data[lane_pos[k]];
            if (at < 0 || at >= n_nm || nm[at] >= n_states) return 0;
            state = lane_state[k] = nm[at];
            lane_pos[k]++;
            feat[lane_out[k]] = output[state];  /* inside the text's own part: kept when >= 0 */
            lane_out[k] += output[state] >= 0;
        }
    }
}

static PyObject *dfa_features(PyObject *self, PyObject *args) {
    PyObject *o_nm, *o_rowbase, *o_output, *o_data, *o_starts, *o_text, *o_feat, *o_count;
    if (!PyArg_ParseTuple(args, "OOOOOOOO", &o_nm, &o_rowbase, &o_output, &o_data, &o_starts, &o_text, &o_feat,
                          &o_count))
        return NULL;
    Want want[] = {{o_nm, 4, 0, "nextmove"}, {o_rowbase, 8, 0, "rowbase"}, {o_output, 4, 0, "output"},
                   {o_data, 1, 0, "data"}, {o_starts, 8, 0, "starts"}, {o_text, 8, 1, "text_of"},
                   {o_feat, 8, 1, "feature"}, {o_count, 8, 1, "count"}};
    Py_buffer v[8];
    if (take_buffers(want, v, 8) < 0) return NULL;
    const uint32_t *nm = v[0].buf;
    const int64_t *rowbase = v[1].buf, *starts = v[4].buf;
    const int32_t *output = v[2].buf;
    const unsigned char *data = v[3].buf;
    int64_t *text_of = v[5].buf, *feat = v[6].buf, *count = v[7].buf;
    int64_t n_nm = v[0].len / 4, n_states = v[1].len / 8, n_data = v[3].len, n_texts = v[4].len / 8 - 1;
    int ok = n_texts >= 0 && v[2].len / 4 >= n_states && v[5].len / 8 >= n_data && v[6].len / 8 >= n_data
             && v[7].len / 8 >= n_data && (n_texts < 0 || starts[0] == 0);
    for (int64_t t = 0; ok && t < n_texts; t++) ok = starts[t] <= starts[t + 1] && starts[t + 1] <= n_data;
    int64_t n = 0;
    int64_t *emitted = ok ? PyMem_RawMalloc(sizeof(int64_t) * (size_t)(n_texts + 1)) : NULL;
    if (ok && !emitted) {
        release_buffers(v, 8);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    ok = ok && dfa_walk(nm, n_nm, rowbase, n_states, output, data, starts, n_texts, feat, emitted);
    for (int64_t t = 0; ok && t < n_texts; t++) {  /* n <= starts[t]: the runs move down, never over */
        int64_t first = starts[t], end = first + emitted[t], n_first = n;
        sort_int64(feat + first, end - first);
        for (int64_t j = first; j < end; j++) {  /* runs of one feature -> (text, feature, count) */
            if (n > n_first && feat[n - 1] == feat[j]) {
                count[n - 1]++;
            } else {
                text_of[n] = t;
                feat[n] = feat[j];
                count[n] = 1;
                n++;
            }
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_RawFree(emitted);
    release_buffers(v, 8);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "dfa_features: sizes do not agree or a state is out of range");
        return NULL;
    }
    return PyLong_FromSsize_t((Py_ssize_t)n);
}

/* ---- link's parents window (DramaLinkStage.decide_batch, session 16) ---------------------
 * parents_new(size) -> capsule: one LRU window of ``size`` entries (a dedup Window: linked
 *     nodes in a hash table keyed like a dict), comment id -> (drama, confidence).
 * parents_decide(state, idents, reply_tos, founds, from_parent) -> list: ``DramaLinkStage.resolve``
 *     of each comment in order without its counts: a found tuple whose drama is None and whose
 *     reply_to is truthy looks its parent up (``LRU.get``: moved to the end) and, when there, becomes
 *     ``from_parent((drama, confidence))``; a found with a drama not None puts (drama, confidence)
 *     under its id (``LRU.put``: moved to the end, value replaced, the oldest out past the size).
 *     ``reply_tos``: None when parents are not used.
 * parents_size(state) -> int: entries. */
static void parents_free(PyObject *capsule) {
    Window *w = PyCapsule_GetPointer(capsule, "link_parents");
    if (!w) return;
    w_free(w);
    PyMem_Free(w);
}

static PyObject *parents_new(PyObject *self, PyObject *args) {
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "n", &size)) return NULL;
    if (size < 1 || size >= INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "parents_new: a window size from 1 to 2**29");
        return NULL;
    }
    Window *w = PyMem_Calloc(1, sizeof(Window));
    PyObject *capsule = w && w_init(w, size) == 0 ? PyCapsule_New(w, "link_parents", parents_free) : NULL;
    if (capsule) return capsule;
    if (w) w_free(w);
    PyMem_Free(w);
    return PyErr_Occurred() ? NULL : PyErr_NoMemory();
}

static PyObject *parents_size(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    Window *w = PyCapsule_GetPointer(capsule, "link_parents");
    return w ? PyLong_FromSsize_t(w->len) : NULL;
}

/* One comment: its found tuple after the parent look-up (a new reference), its put done; NULL on error. */
static PyObject *parents_one(Window *w, PyObject *ident, PyObject *reply_to, PyObject *found, PyObject *from_parent) {
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) < 2) {
        PyErr_SetString(PyExc_TypeError, "parents_decide: found tuples of (drama, confidence, ...)");
        return NULL;
    }
    Py_INCREF(found);
    if (PyTuple_GET_ITEM(found, 0) == Py_None && reply_to != NULL) {
        int wanted = PyObject_IsTrue(reply_to);
        int32_t i = wanted < 0 ? -2 : wanted ? w_get(w, reply_to) : -1;
        if (i == -2) {
            Py_DECREF(found);
            return NULL;
        }
        if (i >= 0) {
            Py_SETREF(found, PyObject_CallOneArg(from_parent, w->nodes[i].value));
            if (!found) return NULL;
            if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) < 2) {
                Py_DECREF(found);
                PyErr_SetString(PyExc_TypeError, "parents_decide: from_parent returns a found tuple");
                return NULL;
            }
        }
    }
    if (PyTuple_GET_ITEM(found, 0) != Py_None) {
        PyObject *value = PyTuple_Pack(2, PyTuple_GET_ITEM(found, 0), PyTuple_GET_ITEM(found, 1));
        int32_t i = value ? w_put(w, ident, NULL) : -1;
        if (i < 0) {
            Py_XDECREF(value);
            Py_DECREF(found);
            return NULL;
        }
        Py_XSETREF(w->nodes[i].value, value);
    }
    return found;
}

static PyObject *parents_decide(PyObject *self, PyObject *args) {
    PyObject *capsule, *idents, *reply_tos, *founds, *from_parent;
    if (!PyArg_ParseTuple(args, "OO!OO!O", &capsule, &PyList_Type, &idents, &reply_tos, &PyList_Type, &founds,
                          &from_parent))
        return NULL;
    Window *w = PyCapsule_GetPointer(capsule, "link_parents");
    if (!w) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(idents);
    if (PyList_GET_SIZE(founds) != n || (reply_tos != Py_None && (!PyList_Check(reply_tos) || PyList_GET_SIZE(reply_tos) != n))) {
        PyErr_SetString(PyExc_ValueError, "parents_decide: idents, reply_tos (or None) and founds of one length");
        return NULL;
    }
    PyObject *out = PyList_New(n);
    if (!out) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *reply_to = reply_tos == Py_None ? NULL : PyList_GET_ITEM(reply_tos, k);
        PyObject *found = parents_one(w, PyList_GET_ITEM(idents, k), reply_to, PyList_GET_ITEM(founds, k), from_parent);
        if (!found) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, found);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"ngrams", ngrams, METH_VARARGS, "Hashed char and word n-grams of a NUL-joined batch (see text_features)."},
    {"head_sums", head_sums, METH_VARARGS, "Per-row float64 sums of float32 weight x scale products, in order."},
    {"minhash", minhash, METH_VARARGS, "Packed uint32 MinHash signatures of character n-grams (see stages.dedup)."},
    {"blake2b64", blake2b64, METH_VARARGS, "64-bit BLAKE2b digests of str keys, as little-endian ints (see stages.dedup)."},
    {"bands_find", bands_find, METH_VARARGS, "The ids the LSH bands hold for these band keys, in band order."},
    {"bands_claim", bands_claim, METH_VARARGS, "setdefault(key, ident) in each band; the keys ident holds."},
    {"bands_drop", bands_drop, METH_VARARGS, "Delete these keys (None: none) from their bands."},
    {"dense_sums", dense_sums, METH_VARARGS, "Per-row float64 sums of dense float32 head weights, in order."},
    {"windows_new", windows_new, METH_VARARGS, "The LRU windows of a DedupStage (see stages.dedup)."},
    {"windows_decide", windows_decide, METH_VARARGS, "DedupStage.decide of each DupKeys, in order, on these windows."},
    {"windows_sizes", windows_sizes, METH_VARARGS, "Entries in the ids, texts, signatures and counts windows."},
    {"dfa_features", dfa_features, METH_VARARGS, "Distinct py3langid automaton features of each text, with counts."},
    {"parents_new", parents_new, METH_VARARGS, "The parents window of a DramaLinkStage (see stages.link)."},
    {"parents_decide", parents_decide, METH_VARARGS, "DramaLinkStage.resolve of each comment, in order, without its counts."},
    {"parents_size", parents_size, METH_VARARGS, "Entries in a parents window."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hashed", "Compiled kernels of text_features.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__hashed(void) {
    make_crc_table();
    return PyModule_Create(&module);
}
