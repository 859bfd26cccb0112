// Single-row kernels for the steps of one window (batch 1) split by units across two threads
// (RecurrentUnitSplit.swift). A step there is a product of one hidden row with a 32 KB block of
// W_hhᵀ held in L1, then the cell update of H/2 units; both run ~100 times per forecast on the
// critical path, so the AVX-512 versions keep the accumulators in registers and the cell math in
// one pass (no gates written back: inference keeps only c and h).
//
// The AVX-512 versions, or without AVX-512 the AVX2 + FMA ones (8 units at a time, the same
// operations per lane, so the same bits as AVX-512), are picked once, when the library loads;
// elsewhere the portable loops run. Products sum even and odd k apart and then add the two (two
// chains of FMAs in flight). Both threads of a forecast run the same path, so forecasts do not
// depend on the thread count; the portable path may differ from the vector ones in the last bits.
#include "forecast_kernels.h"
#include "kernel_math.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define FK_ROW_AVX512 1
#include <immintrin.h>
#define FK_AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#define FK_AVX512_INLINE __attribute__((target("avx512f,avx512dq,fma"), always_inline)) static inline

// Set once when the library loads and only read afterwards, alone in its cache line: the two
// threads of a split forecast read it every step, and a line shared with anything written would
// travel between their cores each time.
static struct { _Alignas(64) int avx512; int avx2; char pad[56]; } fk_row_cpu;

static int fk_row_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

static int fk_row_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((constructor)) static void fk_row_detect(void) {
    fk_row_cpu.avx512 = fk_row_cpu_has_avx512();
    fk_row_cpu.avx2 = fk_row_cpu_has_avx2();
}

static inline int fk_row_has_avx512(void) { return fk_row_cpu.avx512; }
// AVX2 + FMA, used where AVX-512 is missing (AMD Zen 1-3, older Intel).
static inline int fk_row_has_avx2(void) { return fk_row_cpu.avx2; }

// tanh as a rational function (Eigen's float tanh: odd numerator of degree 13 over an even
// denominator of degree 6, x clamped to ±7.9053 where the result is ±1 in float): largest error
// 2.7e-7 against tanh in double over [-20, 20]. Both polynomials in x² by Estrin's scheme, so the
// chain from x to tanh(x) is about 8 dependent operations and one division, where the exp-based
// form of kernel_math.h is about 20: a step's gate math sits on the critical path twice
// (gates, then tanh(c)).
FK_AVX512_INLINE __m512 fk_v_tanh(__m512 x) {
    const __m512 limit = _mm512_set1_ps(7.90531110763549805f);
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_sub_ps(_mm512_setzero_ps(), limit)), limit);
    const __m512 x2 = _mm512_mul_ps(x, x), x4 = _mm512_mul_ps(x2, x2), x8 = _mm512_mul_ps(x4, x4);
    const __m512 e0 = _mm512_fmadd_ps(x2, _mm512_set1_ps(6.37261928875436e-04f), _mm512_set1_ps(4.89352455891786e-03f));
    const __m512 e1 = _mm512_fmadd_ps(x2, _mm512_set1_ps(5.12229709037114e-08f), _mm512_set1_ps(1.48572235717979e-05f));
    const __m512 e2 = _mm512_fmadd_ps(x2, _mm512_set1_ps(2.00018790482477e-13f), _mm512_set1_ps(-8.60467152213735e-11f));
    const __m512 f0 = _mm512_fmadd_ps(x4, e1, e0);
    const __m512 f1 = _mm512_fmadd_ps(x4, _mm512_set1_ps(-2.76076847742355e-16f), e2);
    const __m512 p = _mm512_mul_ps(x, _mm512_fmadd_ps(x8, f1, f0));
    const __m512 q0 = _mm512_fmadd_ps(x2, _mm512_set1_ps(2.26843463243900e-03f), _mm512_set1_ps(4.89352518554385e-03f));
    const __m512 q1 = _mm512_fmadd_ps(x2, _mm512_set1_ps(1.19825839466702e-06f), _mm512_set1_ps(1.18534705686654e-04f));
    return _mm512_div_ps(p, _mm512_fmadd_ps(x4, q1, q0));
}

// σ(x) = (1 + tanh(x / 2)) / 2: largest error 1.7e-7, absolute (below x = -15.8 the result
// is 0 rather than e^x < 1.4e-7).
FK_AVX512_INLINE __m512 fk_v_sigmoid(__m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f);
    return _mm512_fmadd_ps(fk_v_tanh(_mm512_mul_ps(x, half)), half, half);
}

// acc[0..n) = base (or acc) + h · w over K for `n` = 16 * BLOCKS columns of a row of w
// (row stride N), in BLOCKS registers; even and odd k summed apart, then added.
#define FK_ROW_MATVEC_BLOCKS(BLOCKS)                                                              \
    do {                                                                                          \
        __m512 a[BLOCKS], b[BLOCKS];                                                              \
        for (int j = 0; j < BLOCKS; j++) {                                                        \
            a[j] = _mm512_loadu_ps(from + n0 + 16 * j);                                           \
            b[j] = _mm512_setzero_ps();                                                           \
        }                                                                                         \
        int k = 0;                                                                                \
        for (; k + 2 <= K; k += 2) {                                                              \
            const __m512 v = _mm512_set1_ps(h[k]), u = _mm512_set1_ps(h[k + 1]);                  \
            const float *restrict w0 = w + (size_t)k * N + n0, *restrict w1 = w0 + N;             \
            for (int j = 0; j < BLOCKS; j++) {                                                    \
                a[j] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0 + 16 * j), a[j]);                    \
                b[j] = _mm512_fmadd_ps(u, _mm512_loadu_ps(w1 + 16 * j), b[j]);                    \
            }                                                                                     \
        }                                                                                         \
        if (k < K) {                                                                              \
            const __m512 v = _mm512_set1_ps(h[k]);                                                \
            const float *restrict w0 = w + (size_t)k * N + n0;                                    \
            for (int j = 0; j < BLOCKS; j++) a[j] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0 + 16 * j), a[j]); \
        }                                                                                         \
        for (int j = 0; j < BLOCKS; j++) _mm512_storeu_ps(acc + n0 + 16 * j, _mm512_add_ps(a[j], b[j])); \
    } while (0)

FK_AVX512 static void fk_row_matvec_avx512(int K, int N, const float *restrict h, const float *restrict w,
                                           const float *restrict base, float *restrict acc) {
    const float *from = base ? base : acc;
    int n0 = 0;
    for (; n0 + 128 <= N; n0 += 128) FK_ROW_MATVEC_BLOCKS(8);
    for (; n0 < N; n0 += 16) FK_ROW_MATVEC_BLOCKS(1);
}

FK_AVX512 static void fk_lstm_row_avx512(int H, const float *restrict acc, const float *c_prev,
                                         float *c, float *h) {
    for (int j = 0; j < H; j += 16) {
        const __m512 ig = fk_v_sigmoid(_mm512_loadu_ps(acc + j));
        const __m512 fg = fk_v_sigmoid(_mm512_loadu_ps(acc + H + j));
        const __m512 gg = fk_v_tanh(_mm512_loadu_ps(acc + 2 * H + j));
        const __m512 og = fk_v_sigmoid(_mm512_loadu_ps(acc + 3 * H + j));
        const __m512 cp = c_prev ? _mm512_loadu_ps(c_prev + j) : _mm512_setzero_ps();
        const __m512 cn = _mm512_fmadd_ps(fg, cp, _mm512_mul_ps(ig, gg));
        _mm512_storeu_ps(c + j, cn);
        _mm512_storeu_ps(h + j, _mm512_mul_ps(og, fk_v_tanh(cn)));
    }
}

// Spins here first, where the accumulators stay in registers; a call would save and restore
// all of them (zmm registers are caller-saved). Long waits go to s->wait.
static inline __attribute__((always_inline)) void fk_split_wait(const fk_split_step *s) {
    if (!s->ready) return;
    for (int spins = 0; __atomic_load_n(s->ready, __ATOMIC_ACQUIRE) < s->want; spins++) {
        if (spins == 256) { s->wait(s->ready, s->want); return; }
    }
}

// The same wait for the AVX2 steps (which store their partial sums before it, so a call costs
// nothing extra there).
static inline void fk_split_wait_any(const fk_split_step *s) { fk_split_wait(s); }

// A += x[k] · w row k (even k) and B += (odd k) over K, for BLOCKS registers of 16 columns of
// rows N apart.
#define FK_SPLIT_ACC(A, B, N, BLOCKS, K, X, W)                                                    \
    do {                                                                                          \
        const float *restrict x_ = (X), *restrict w_ = (W);                                       \
        int k = 0;                                                                                \
        for (; k + 2 <= (K); k += 2) {                                                            \
            const __m512 v = _mm512_set1_ps(x_[k]), u = _mm512_set1_ps(x_[k + 1]);               \
            const float *restrict w0 = w_ + (size_t)k * (N), *restrict w1 = w0 + (N);             \
            for (int j = 0; j < (BLOCKS); j++) {                                                  \
                A[j] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0 + 16 * j), A[j]);                    \
                B[j] = _mm512_fmadd_ps(u, _mm512_loadu_ps(w1 + 16 * j), B[j]);                    \
            }                                                                                     \
        }                                                                                         \
        if (k < (K)) {                                                                            \
            const __m512 v = _mm512_set1_ps(x_[k]);                                               \
            for (int j = 0; j < (BLOCKS); j++) A[j] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w_ + (size_t)k * (N) + 16 * j), A[j]); \
        }                                                                                         \
    } while (0)

// The hidden side of a step with half = 32: A/B += h_own · w_own, then (once the other thread
// has published) h_other · w_other. Nothing when there is no h_{t-1}.
#define FK_SPLIT_HIDDEN(A, B, N, BLOCKS, S)                                                       \
    do {                                                                                          \
        if ((S)->h_own) {                                                                         \
            FK_SPLIT_ACC(A, B, N, BLOCKS, 32, (S)->h_own, (S)->w_own);                            \
            fk_split_wait(S);                                                                     \
            FK_SPLIT_ACC(A, B, N, BLOCKS, 32, (S)->h_other, (S)->w_other);                        \
        }                                                                                         \
    } while (0)

// One split LSTM step for half = 32 (H = 64): the 128 gate columns stay in 8 registers (plus 8
// for the odd k) from the input projection to the cell update.
FK_AVX512 static void fk_lstm_split_step32_avx512(const fk_split_step *restrict s) {
    enum { N = 128, BLOCKS = 8 };
    __m512 a[BLOCKS], b[BLOCKS];
    for (int j = 0; j < BLOCKS; j++) {
        a[j] = _mm512_loadu_ps(s->bias + 16 * j);
        if (s->pre) a[j] = _mm512_add_ps(a[j], _mm512_loadu_ps(s->pre + 16 * j));
        b[j] = _mm512_setzero_ps();
    }
    if (s->in > 0) FK_SPLIT_ACC(a, b, N, BLOCKS, s->in, s->x, s->w_ih);
    FK_SPLIT_HIDDEN(a, b, N, BLOCKS, s);
    for (int q = 0; q < 2; q++) {
        const __m512 ig = fk_v_sigmoid(_mm512_add_ps(a[q], b[q]));
        const __m512 fg = fk_v_sigmoid(_mm512_add_ps(a[2 + q], b[2 + q]));
        const __m512 gg = fk_v_tanh(_mm512_add_ps(a[4 + q], b[4 + q]));
        const __m512 og = fk_v_sigmoid(_mm512_add_ps(a[6 + q], b[6 + q]));
        const __m512 cp = s->c_prev ? _mm512_loadu_ps(s->c_prev + 16 * q) : _mm512_setzero_ps();
        const __m512 cn = _mm512_fmadd_ps(fg, cp, _mm512_mul_ps(ig, gg));
        _mm512_storeu_ps(s->c + 16 * q, cn);
        _mm512_storeu_ps(s->h + 16 * q, _mm512_mul_ps(og, fk_v_tanh(cn)));
    }
}

// One split GRU step for half = 32: the input side (b_ih + pre + x · w_ih) and the hidden side
// (b_hh + h · W_hh) of the 96 gate columns [r | z | n] in registers, kept apart because the new
// gate takes r ⊙ (hidden side) only.
FK_AVX512 static void fk_gru_split_step32_avx512(const fk_split_step *restrict s) {
    enum { N = 96, BLOCKS = 6 };
    const float *b_ih = s->bias, *b_hh = s->bias + N;
    __m512 xa[BLOCKS], xb[BLOCKS], a[BLOCKS], b[BLOCKS];
    for (int j = 0; j < BLOCKS; j++) {
        xa[j] = _mm512_loadu_ps(b_ih + 16 * j);
        if (s->pre) xa[j] = _mm512_add_ps(xa[j], _mm512_loadu_ps(s->pre + 16 * j));
        xb[j] = _mm512_setzero_ps();
        a[j] = _mm512_loadu_ps(b_hh + 16 * j);
        b[j] = _mm512_setzero_ps();
    }
    if (s->in > 0) FK_SPLIT_ACC(xa, xb, N, BLOCKS, s->in, s->x, s->w_ih);
    FK_SPLIT_HIDDEN(a, b, N, BLOCKS, s);
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int q = 0; q < 2; q++) {
        const __m512 r = fk_v_sigmoid(_mm512_add_ps(_mm512_add_ps(xa[q], xb[q]), _mm512_add_ps(a[q], b[q])));
        const __m512 z = fk_v_sigmoid(_mm512_add_ps(_mm512_add_ps(xa[2 + q], xb[2 + q]), _mm512_add_ps(a[2 + q], b[2 + q])));
        const __m512 n = fk_v_tanh(_mm512_fmadd_ps(r, _mm512_add_ps(a[4 + q], b[4 + q]), _mm512_add_ps(xa[4 + q], xb[4 + q])));
        const __m512 hp = s->h_own ? _mm512_loadu_ps(s->h_own + 16 * q) : _mm512_setzero_ps();
        _mm512_storeu_ps(s->h + 16 * q, _mm512_fmadd_ps(z, hp, _mm512_mul_ps(_mm512_sub_ps(one, z), n)));
    }
}
#endif

#if FK_ROW_AVX512
// AVX2 + FMA versions of the register paths above, for CPUs without AVX-512. Eight units at a
// time: their columns in each gate block (4 for LSTM, 3 per side for GRU) are one register each,
// summed over even and odd k apart, so every lane does exactly the operations of the AVX-512
// kernels in the same order and the two paths give the same bits.
#define FK_AVX2 __attribute__((target("avx2,fma")))
#define FK_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

// fk_v_tanh with 8 lanes (the same rational function, the same operations).
FK_AVX2_INLINE __m256 fk_v8_tanh(__m256 x) {
    const __m256 limit = _mm256_set1_ps(7.90531110763549805f);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_sub_ps(_mm256_setzero_ps(), limit)), limit);
    const __m256 x2 = _mm256_mul_ps(x, x), x4 = _mm256_mul_ps(x2, x2), x8 = _mm256_mul_ps(x4, x4);
    const __m256 e0 = _mm256_fmadd_ps(x2, _mm256_set1_ps(6.37261928875436e-04f), _mm256_set1_ps(4.89352455891786e-03f));
    const __m256 e1 = _mm256_fmadd_ps(x2, _mm256_set1_ps(5.12229709037114e-08f), _mm256_set1_ps(1.48572235717979e-05f));
    const __m256 e2 = _mm256_fmadd_ps(x2, _mm256_set1_ps(2.00018790482477e-13f), _mm256_set1_ps(-8.60467152213735e-11f));
    const __m256 f0 = _mm256_fmadd_ps(x4, e1, e0);
    const __m256 f1 = _mm256_fmadd_ps(x4, _mm256_set1_ps(-2.76076847742355e-16f), e2);
    const __m256 p = _mm256_mul_ps(x, _mm256_fmadd_ps(x8, f1, f0));
    const __m256 q0 = _mm256_fmadd_ps(x2, _mm256_set1_ps(2.26843463243900e-03f), _mm256_set1_ps(4.89352518554385e-03f));
    const __m256 q1 = _mm256_fmadd_ps(x2, _mm256_set1_ps(1.19825839466702e-06f), _mm256_set1_ps(1.18534705686654e-04f));
    return _mm256_div_ps(p, _mm256_fmadd_ps(x4, q1, q0));
}

FK_AVX2_INLINE __m256 fk_v8_sigmoid(__m256 x) {
    const __m256 half = _mm256_set1_ps(0.5f);
    return _mm256_fmadd_ps(fk_v8_tanh(_mm256_mul_ps(x, half)), half, half);
}

// A[g] += x[k] · w[k * N + g * S] (even k), B[g] the same for odd k, over k < K, for G column
// groups S apart (w already offset to the first unit).
#define FK_GROUP_ACC(A, B, G, N, S, K, X, W)                                                      \
    do {                                                                                          \
        const float *restrict x_ = (X), *restrict w_ = (W);                                       \
        int k = 0;                                                                                \
        for (; k + 2 <= (K); k += 2) {                                                            \
            const __m256 v = _mm256_broadcast_ss(x_ + k), u = _mm256_broadcast_ss(x_ + k + 1);    \
            const float *restrict w0 = w_ + (size_t)k * (N), *restrict w1 = w0 + (N);             \
            for (int g = 0; g < (G); g++) {                                                       \
                A[g] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + g * (S)), A[g]);                   \
                B[g] = _mm256_fmadd_ps(u, _mm256_loadu_ps(w1 + g * (S)), B[g]);                   \
            }                                                                                     \
        }                                                                                         \
        if (k < (K)) {                                                                            \
            const __m256 v = _mm256_broadcast_ss(x_ + k);                                         \
            for (int g = 0; g < (G); g++) A[g] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w_ + (size_t)k * (N) + g * (S)), A[g]); \
        }                                                                                         \
    } while (0)

FK_AVX2 static void fk_row_matvec_avx2(int K, int N, const float *restrict h, const float *restrict w,
                                       const float *restrict base, float *restrict acc) {
    const float *from = base ? base : acc;
    int n0 = 0;
    for (; n0 + 32 <= N; n0 += 32) {
        __m256 a[4], b[4];
        for (int g = 0; g < 4; g++) { a[g] = _mm256_loadu_ps(from + n0 + 8 * g); b[g] = _mm256_setzero_ps(); }
        FK_GROUP_ACC(a, b, 4, N, 8, K, h, w + n0);
        for (int g = 0; g < 4; g++) _mm256_storeu_ps(acc + n0 + 8 * g, _mm256_add_ps(a[g], b[g]));
    }
    for (; n0 < N; n0 += 8) {
        __m256 a[1] = { _mm256_loadu_ps(from + n0) }, b[1] = { _mm256_setzero_ps() };
        FK_GROUP_ACC(a, b, 1, N, 8, K, h, w + n0);
        _mm256_storeu_ps(acc + n0, _mm256_add_ps(a[0], b[0]));
    }
}

// The LSTM cell of 8 units from their summed gate registers.
FK_AVX2_INLINE void fk_lstm_units8(__m256 ai, __m256 af, __m256 ag, __m256 ao, const float *c_prev, float *c, float *h) {
    const __m256 ig = fk_v8_sigmoid(ai), fg = fk_v8_sigmoid(af), gg = fk_v8_tanh(ag), og = fk_v8_sigmoid(ao);
    const __m256 cp = c_prev ? _mm256_loadu_ps(c_prev) : _mm256_setzero_ps();
    const __m256 cn = _mm256_fmadd_ps(fg, cp, _mm256_mul_ps(ig, gg));
    _mm256_storeu_ps(c, cn);
    _mm256_storeu_ps(h, _mm256_mul_ps(og, fk_v8_tanh(cn)));
}

FK_AVX2 static void fk_lstm_row_avx2(int H, const float *restrict acc, const float *c_prev, float *c, float *h) {
    for (int j = 0; j < H; j += 8)
        fk_lstm_units8(_mm256_loadu_ps(acc + j), _mm256_loadu_ps(acc + H + j), _mm256_loadu_ps(acc + 2 * H + j),
                       _mm256_loadu_ps(acc + 3 * H + j), c_prev ? c_prev + j : NULL, c + j, h + j);
}

// Largest half the AVX2 steps take (their stack stores hold the partial sums of every unit).
enum { FK_AVX2_MAX_HALF = 64 };

// One split LSTM step, half a multiple of 8 up to 64. Eight units at a time: bias (+ pre),
// x · w_ih and h_own · w_own in 4 + 4 registers; without a partner to wait for, h_other · w_other
// follows at once and the cell update writes c and h. With one, every unit's partial sums are
// stored first (the other thread finishes its half meanwhile), then the wait, then the rest.
FK_AVX2 static void fk_lstm_split_step_avx2(const fk_split_step *restrict s) {
    const int half = s->half, n = 4 * half;
    const int deferred = s->h_own && s->ready;
    _Alignas(32) float store[8 * 8 * (FK_AVX2_MAX_HALF / 8)];
    for (int j0 = 0; j0 < half; j0 += 8) {
        __m256 a[4], b[4];
        for (int g = 0; g < 4; g++) {
            a[g] = _mm256_loadu_ps(s->bias + g * half + j0);
            if (s->pre) a[g] = _mm256_add_ps(a[g], _mm256_loadu_ps(s->pre + g * half + j0));
            b[g] = _mm256_setzero_ps();
        }
        if (s->in > 0) FK_GROUP_ACC(a, b, 4, n, half, s->in, s->x, s->w_ih + j0);
        if (s->h_own) {
            FK_GROUP_ACC(a, b, 4, n, half, half, s->h_own, s->w_own + j0);
            if (deferred) {
                float *st = store + j0 * 8;
                for (int g = 0; g < 4; g++) { _mm256_store_ps(st + 8 * g, a[g]); _mm256_store_ps(st + 32 + 8 * g, b[g]); }
                continue;
            }
            FK_GROUP_ACC(a, b, 4, n, half, half, s->h_other, s->w_other + j0);
        }
        fk_lstm_units8(_mm256_add_ps(a[0], b[0]), _mm256_add_ps(a[1], b[1]), _mm256_add_ps(a[2], b[2]), _mm256_add_ps(a[3], b[3]),
                       s->c_prev ? s->c_prev + j0 : NULL, s->c + j0, s->h + j0);
    }
    if (!deferred) return;
    fk_split_wait_any(s);
    for (int j0 = 0; j0 < half; j0 += 8) {
        const float *st = store + j0 * 8;
        __m256 a[4], b[4];
        for (int g = 0; g < 4; g++) { a[g] = _mm256_load_ps(st + 8 * g); b[g] = _mm256_load_ps(st + 32 + 8 * g); }
        FK_GROUP_ACC(a, b, 4, n, half, half, s->h_other, s->w_other + j0);
        fk_lstm_units8(_mm256_add_ps(a[0], b[0]), _mm256_add_ps(a[1], b[1]), _mm256_add_ps(a[2], b[2]), _mm256_add_ps(a[3], b[3]),
                       s->c_prev ? s->c_prev + j0 : NULL, s->c + j0, s->h + j0);
    }
}

// The GRU cell of 8 units: input side xa + xb, hidden side a + b per gate [r, z, n].
FK_AVX2_INLINE void fk_gru_units8(const __m256 *xa, const __m256 *xb, const __m256 *a, const __m256 *b, const float *h_own, float *h) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 r = fk_v8_sigmoid(_mm256_add_ps(_mm256_add_ps(xa[0], xb[0]), _mm256_add_ps(a[0], b[0])));
    const __m256 z = fk_v8_sigmoid(_mm256_add_ps(_mm256_add_ps(xa[1], xb[1]), _mm256_add_ps(a[1], b[1])));
    const __m256 nn = fk_v8_tanh(_mm256_fmadd_ps(r, _mm256_add_ps(a[2], b[2]), _mm256_add_ps(xa[2], xb[2])));
    const __m256 hp = h_own ? _mm256_loadu_ps(h_own) : _mm256_setzero_ps();
    _mm256_storeu_ps(h, _mm256_fmadd_ps(z, hp, _mm256_mul_ps(_mm256_sub_ps(one, z), nn)));
}

// One split GRU step, half a multiple of 8 up to 64, as fk_lstm_split_step_avx2 with the input
// and hidden sides kept apart (as in fk_gru_split_step32_avx512).
FK_AVX2 static void fk_gru_split_step_avx2(const fk_split_step *restrict s) {
    const int half = s->half, n = 3 * half;
    const float *b_ih = s->bias, *b_hh = s->bias + n;
    const int deferred = s->h_own && s->ready;
    _Alignas(32) float store[12 * 8 * (FK_AVX2_MAX_HALF / 8)];
    for (int j0 = 0; j0 < half; j0 += 8) {
        __m256 xa[3], xb[3], a[3], b[3];
        for (int g = 0; g < 3; g++) {
            xa[g] = _mm256_loadu_ps(b_ih + g * half + j0);
            if (s->pre) xa[g] = _mm256_add_ps(xa[g], _mm256_loadu_ps(s->pre + g * half + j0));
            xb[g] = _mm256_setzero_ps();
            a[g] = _mm256_loadu_ps(b_hh + g * half + j0);
            b[g] = _mm256_setzero_ps();
        }
        if (s->in > 0) FK_GROUP_ACC(xa, xb, 3, n, half, s->in, s->x, s->w_ih + j0);
        if (s->h_own) {
            FK_GROUP_ACC(a, b, 3, n, half, half, s->h_own, s->w_own + j0);
            if (deferred) {
                float *st = store + j0 * 12;
                for (int g = 0; g < 3; g++) {
                    _mm256_store_ps(st + 8 * g, xa[g]); _mm256_store_ps(st + 24 + 8 * g, xb[g]);
                    _mm256_store_ps(st + 48 + 8 * g, a[g]); _mm256_store_ps(st + 72 + 8 * g, b[g]);
                }
                continue;
            }
            FK_GROUP_ACC(a, b, 3, n, half, half, s->h_other, s->w_other + j0);
        }
        fk_gru_units8(xa, xb, a, b, s->h_own ? s->h_own + j0 : NULL, s->h + j0);
    }
    if (!deferred) return;
    fk_split_wait_any(s);
    for (int j0 = 0; j0 < half; j0 += 8) {
        const float *st = store + j0 * 12;
        __m256 xa[3], xb[3], a[3], b[3];
        for (int g = 0; g < 3; g++) {
            xa[g] = _mm256_load_ps(st + 8 * g); xb[g] = _mm256_load_ps(st + 24 + 8 * g);
            a[g] = _mm256_load_ps(st + 48 + 8 * g); b[g] = _mm256_load_ps(st + 72 + 8 * g);
        }
        FK_GROUP_ACC(a, b, 3, n, half, half, s->h_other, s->w_other + j0);
        fk_gru_units8(xa, xb, a, b, s->h_own + j0, s->h + j0);
    }
}

static inline int fk_avx2_half(int half) { return half % 8 == 0 && half <= FK_AVX2_MAX_HALF; }
#endif

static void fk_row_matvec_portable(int K, int N, const float *restrict h, const float *restrict w,
                                   const float *restrict base, float *restrict acc) {
    for (int n0 = 0; n0 < N; n0 += 128) {
        const int width = N - n0 < 128 ? N - n0 : 128;
        float a[128], b[128];
        for (int j = 0; j < width; j++) { a[j] = (base ? base : acc)[n0 + j]; b[j] = 0; }
        int k = 0;
        for (; k + 2 <= K; k += 2) {
            const float v = h[k], u = h[k + 1];
            const float *restrict w0 = w + (size_t)k * N + n0, *restrict w1 = w0 + N;
            for (int j = 0; j < width; j++) { a[j] += v * w0[j]; b[j] += u * w1[j]; }
        }
        if (k < K) {
            const float v = h[k];
            const float *restrict w0 = w + (size_t)k * N + n0;
            for (int j = 0; j < width; j++) a[j] += v * w0[j];
        }
        for (int j = 0; j < width; j++) acc[n0 + j] = a[j] + b[j];
    }
}

// The hidden side of a step off the register path: acc [n] += h_own · w_own, then (once the
// other thread has published) h_other · w_other. Nothing when there is no h_{t-1}.
static void fk_split_hidden_portable(const fk_split_step *s, int n, float *acc) {
    if (!s->h_own) return;
    fk_row_matvec(s->half, n, s->h_own, s->w_own, NULL, acc);
    if (s->ready) s->wait(s->ready, s->want);
    fk_row_matvec(s->half, n, s->h_other, s->w_other, NULL, acc);
}

static void fk_lstm_row_portable(int H, const float *restrict acc, const float *c_prev,
                                 float *restrict c, float *restrict h) {
    for (int j = 0; j < H; j++) {
        const float ig = fk_sigmoid1(acc[j]), fg = fk_sigmoid1(acc[H + j]);
        const float gg = fk_tanh1(acc[2 * H + j]), og = fk_sigmoid1(acc[3 * H + j]);
        const float cn = fg * (c_prev ? c_prev[j] : 0.0f) + ig * gg;
        c[j] = cn;
        h[j] = og * fk_tanh1(cn);
    }
}

void fk_row_matvec(int K, int N, const float *h, const float *w, const float *base, float *acc) {
#if FK_ROW_AVX512
    if (fk_row_has_avx512() && N % 16 == 0) { fk_row_matvec_avx512(K, N, h, w, base, acc); return; }
    if (fk_row_has_avx2() && N % 8 == 0) { fk_row_matvec_avx2(K, N, h, w, base, acc); return; }
#endif
    fk_row_matvec_portable(K, N, h, w, base, acc);
}

void fk_lstm_row(int H, const float *acc, const float *c_prev, float *c, float *h) {
#if FK_ROW_AVX512
    if (fk_row_has_avx512() && H % 16 == 0) { fk_lstm_row_avx512(H, acc, c_prev, c, h); return; }
    if (fk_row_has_avx2() && H % 8 == 0) { fk_lstm_row_avx2(H, acc, c_prev, c, h); return; }
#endif
    fk_lstm_row_portable(H, acc, c_prev, c, h);
}

void fk_lstm_split_step(const fk_split_step *s) {
#if FK_ROW_AVX512
    if (fk_row_has_avx512() && s->half == 32 && s->in <= 64) { fk_lstm_split_step32_avx512(s); return; }
    if (fk_row_has_avx2() && fk_avx2_half(s->half)) { fk_lstm_split_step_avx2(s); return; }
#endif
    const int n = 4 * s->half;
    float *acc = s->scratch;
    for (int j = 0; j < n; j++) acc[j] = s->pre ? s->bias[j] + s->pre[j] : s->bias[j];
    if (s->in > 0) fk_row_matvec(s->in, n, s->x, s->w_ih, NULL, acc);
    fk_split_hidden_portable(s, n, acc);
    fk_lstm_row(s->half, acc, s->c_prev, s->c, s->h);
}

// GRU cell for one row in inference: ax [3H] input side (b_ih included), ah [3H] hidden side
// (b_hh included), h_prev [H] or NULL.
static void fk_gru_row(int H, const float *restrict ax, const float *restrict ah, const float *h_prev, float *h) {
    for (int j = 0; j < H; j++) {
        const float r = fk_sigmoid1(ax[j] + ah[j]), z = fk_sigmoid1(ax[H + j] + ah[H + j]);
        const float n = fk_tanh1(ax[2 * H + j] + r * ah[2 * H + j]);
        h[j] = (1.0f - z) * n + z * (h_prev ? h_prev[j] : 0.0f);
    }
}

void fk_gru_split_step(const fk_split_step *s) {
#if FK_ROW_AVX512
    if (fk_row_has_avx512() && s->half == 32 && s->in <= 64) { fk_gru_split_step32_avx512(s); return; }
    if (fk_row_has_avx2() && fk_avx2_half(s->half)) { fk_gru_split_step_avx2(s); return; }
#endif
    const int n = 3 * s->half;
    float *ax = s->scratch, *ah = s->scratch + n;
    for (int j = 0; j < n; j++) { ax[j] = s->pre ? s->bias[j] + s->pre[j] : s->bias[j]; ah[j] = s->bias[n + j]; }
    if (s->in > 0) fk_row_matvec(s->in, n, s->x, s->w_ih, NULL, ax);
    fk_split_hidden_portable(s, n, ah);
    fk_gru_row(s->half, ax, ah, s->h_own, s->h);
}

int fk_row_kernels_use_portable(int portable) {
#if FK_ROW_AVX512
    fk_row_cpu.avx512 = portable ? 0 : fk_row_cpu_has_avx512();
    fk_row_cpu.avx2 = portable ? 0 : fk_row_cpu_has_avx2();
    return !fk_row_cpu.avx512 && !fk_row_cpu.avx2;
#else
    (void)portable;
    return 1;
#endif
}

void fk_split_layer_steps(const fk_split_layer *layer) {
    const int gru = layer->gru;
    const int half = layer->half, H = 2 * half, n = (gru ? 3 : 4) * half, in = layer->in;
    void (*step)(const fk_split_step *) = gru ? fk_gru_split_step : fk_lstm_split_step;
#if FK_ROW_AVX512
    if (fk_row_has_avx512() && half == 32 && (!layer->x || in <= 64))
        step = gru ? fk_gru_split_step32_avx512 : fk_lstm_split_step32_avx512;
    else if (fk_row_has_avx2() && fk_avx2_half(half))
        step = gru ? fk_gru_split_step_avx2 : fk_lstm_split_step_avx2;
#endif
    fk_split_step s;
    memset(&s, 0, sizeof s);
    s.half = half;
    s.wait = layer->wait;
    s.scratch = layer->scratch;
    for (int t = 0; t < layer->T; t++) {
        const float *h_prev = t > 0 ? layer->y + (size_t)(t - 1) * H : layer->h0;
        for (int u = layer->first; u < layer->first + layer->halves; u++) {
            const float *w = layer->weights[u];
            const float *w_hh = w + (size_t)in * n;
            // LSTM: b_ih + b_hh; GRU: b_ih, then b_hh.
            s.bias = w_hh + (size_t)(gru ? H : H + 2) * n;
            if (layer->x) { s.in = in; s.x = layer->x + (size_t)t * in; s.w_ih = w; s.pre = NULL; }
            else { s.in = 0; s.x = NULL; s.w_ih = NULL; s.pre = layer->pre + (size_t)t * 2 * n + (size_t)u * n; }
            s.h_own = h_prev ? h_prev + u * half : NULL;
            s.h_other = h_prev ? h_prev + (1 - u) * half : NULL;
            s.w_own = w_hh + (size_t)u * half * n;
            s.w_other = w_hh + (size_t)(1 - u) * half * n;
            // The other half of h_{t-1} is the other thread's step t - 1.
            s.ready = layer->ready && t > 0 ? layer->ready : NULL;
            s.want = layer->base + t;
            if (!gru) {
                s.c_prev = t > 0 ? layer->c + (size_t)(t - 1) * H + u * half : (layer->c0 ? layer->c0 + u * half : NULL);
                s.c = layer->c + (size_t)t * H + u * half;
            }
            s.h = layer->y + (size_t)t * H + u * half;
            step(&s);
        }
        if (layer->published) __atomic_store_n(layer->published, layer->base + t + 1, __ATOMIC_RELEASE);
    }
}
