// Inference-only LSTM and GRU steps for batched forecasts (RecurrentBatchSplit.swift): the
// products of one step and the cell update, tile by tile, without keeping the activated gates
// (and the GRU's hidden-side candidates) that only a backward pass reads.
//
// The arithmetic is that of the keeping plan, operation for operation: each pre-activation is
// the sum over k in order from 0 of x·W_ihᵀ, the hidden side likewise (as fk_step_matmul sums
// them), then the gate math of fk_lstm_forward or fk_gru_forward on them (the same expressions,
// the same sigmoid and tanh). The kernel is built three times like the FK_CLONES functions it stands in
// for, with the same instruction sets (AVX-512 with FMA; AVX2 without FMA, so multiply and add
// stay apart as in fk_step_matmul's AVX2 blocks; baseline x86-64), and picks the one the
// target_clones resolver picks for them. So on a given CPU the forecasts have the same bits as
// the keeping plan, whatever the tiling and the thread count.
#include "forecast_kernels.h"
#include "kernel_math.h"
#include <stdint.h>
#include <string.h>

// out[r * ldo + j] = sum_k x[r * ldx + k] * w[k * ldw + j] for r < R, j < W, k in order from 0:
// an R x W tile of sums in registers (W = 4 vectors of 16 lanes on AVX-512: R = 6 rows make 24
// of its 32 registers), written as the portable loops of fk_step_matmul are, so the compiler
// contracts exactly as it does there.
#define FK_INFER_TILE(NAME, R, W)                                                                 \
    static inline __attribute__((always_inline)) void NAME(int K, const float *restrict x, int ldx, \
                                                           const float *restrict w, int ldw,      \
                                                           float *restrict out, int ldo) {        \
        float a[R][W];                                                                            \
        for (int r = 0; r < (R); r++)                                                             \
            for (int j = 0; j < (W); j++) a[r][j] = 0.0f;                                         \
        for (int k = 0; k < K; k++) {                                                             \
            const float *restrict wr = w + (size_t)k * ldw;                                       \
            for (int r = 0; r < (R); r++) {                                                       \
                const float v = x[(size_t)r * ldx + k];                                           \
                for (int j = 0; j < (W); j++) a[r][j] += v * wr[j];                               \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < (R); r++)                                                             \
            for (int j = 0; j < (W); j++) out[(size_t)r * ldo + j] = a[r][j];                     \
    }

FK_INFER_TILE(fk_infer_tile_6x64, 6, 64)
FK_INFER_TILE(fk_infer_tile_1x64, 1, 64)
FK_INFER_TILE(fk_infer_tile_6x16, 6, 16)
FK_INFER_TILE(fk_infer_tile_1x16, 1, 16)
FK_INFER_TILE(fk_infer_tile_2x16, 2, 16)
FK_INFER_TILE(fk_infer_tile_2x1, 2, 1)
FK_INFER_TILE(fk_infer_tile_6x1, 6, 1)
FK_INFER_TILE(fk_infer_tile_1x1, 1, 1)

// The LSTM cell of one row from its input side a [4H] and hidden side p [4H] (NULL: no h_{t-1}),
// in the expressions of fk_lstm_forward (RecurrentCells.c), which must stay the same.
static inline __attribute__((always_inline)) void fk_lstm_infer_cell(int H, const float *restrict a, const float *restrict p,
                                                                     const float *restrict b_ih, const float *restrict b_hh,
                                                                     const float *restrict cp, float *restrict cr,
                                                                     float *restrict hr) {
    for (int j = 0; j < H; j++) {
        float gi, gf, gc, go;
        if (p) {
            gi = a[j] + (p[j] + b_ih[j] + b_hh[j]);
            gf = a[H + j] + (p[H + j] + b_ih[H + j] + b_hh[H + j]);
            gc = a[2 * H + j] + (p[2 * H + j] + b_ih[2 * H + j] + b_hh[2 * H + j]);
            go = a[3 * H + j] + (p[3 * H + j] + b_ih[3 * H + j] + b_hh[3 * H + j]);
        } else {
            gi = a[j] + (b_ih[j] + b_hh[j]);
            gf = a[H + j] + (b_ih[H + j] + b_hh[H + j]);
            gc = a[2 * H + j] + (b_ih[2 * H + j] + b_hh[2 * H + j]);
            go = a[3 * H + j] + (b_ih[3 * H + j] + b_hh[3 * H + j]);
        }
        float ig = fk_sigmoid1(gi);
        float fg = fk_sigmoid1(gf);
        float gg = fk_tanh1(gc);
        float og = fk_sigmoid1(go);
        float cn = fg * (cp ? cp[j] : 0.0f) + ig * gg;
        cr[j] = cn;
        hr[j] = og * fk_tanh1(cn);
    }
}

// The GRU cell of one row from its input side a [3H] and hidden side p [3H] (NULL: no h_{t-1}),
// in the expressions of fk_gru_forward (RecurrentCells.c), which must stay the same.
static inline __attribute__((always_inline)) void fk_gru_infer_cell(int H, const float *restrict a, const float *restrict p,
                                                                    const float *restrict b_ih, const float *restrict b_hh,
                                                                    const float *restrict hp, float *restrict hr) {
    for (int j = 0; j < H; j++) {
        float hr_ = (p ? p[j] : 0.0f) + b_hh[j];
        float hz = (p ? p[H + j] : 0.0f) + b_hh[H + j];
        float hnj = (p ? p[2 * H + j] : 0.0f) + b_hh[2 * H + j];
        float r = fk_sigmoid1(a[j] + b_ih[j] + hr_);
        float z = fk_sigmoid1(a[H + j] + b_ih[H + j] + hz);
        float n = fk_tanh1(a[2 * H + j] + b_ih[2 * H + j] + r * hnj);
        float hpv = hp ? hp[j] : 0.0f;
        hr[j] = (1.0f - z) * n + z * hpv;
    }
}

// One step for `rows` rows in blocks of R rows: per block, the input side of all G*H columns
// (G = 4 for an LSTM, 3 for a GRU) in W-wide tiles into A [R, G*H], the hidden side into
// P [R, G*H] (both stay in L1), then the cell of each row. Columns beyond the last whole tile go
// one at a time.
#define FK_INFER_STEP(NAME, ATTR, R, W, TILE_RW, TILE_1W, TILE_R1, TILE_11)                  \
    ATTR static void NAME(const fk_infer *restrict s, float *restrict A, float *restrict P) {     \
        const int H = s->H, N = (s->gru ? 3 : 4) * H, in = s->in, rows = s->rows;                 \
        const int whole = N - N % (W);                                                            \
        for (int b0 = 0; b0 < rows; b0 += (R)) {                                                  \
            const int r = rows - b0 < (R) ? rows - b0 : (R);                                      \
            const float *x = s->x + (size_t)b0 * s->ldx;                                          \
            const float *hp = s->h_prev ? s->h_prev + (size_t)b0 * s->ldh : NULL;                 \
            for (int part = 0; part < 2; part++) {                                                \
                const float *src = part == 0 ? x : hp;                                            \
                if (!src) continue;                                                               \
                const int K = part == 0 ? in : H, ld = part == 0 ? s->ldx : s->ldh;               \
                const float *w = part == 0 ? s->w_ih : s->w_hh;                                   \
                float *out = part == 0 ? A : P;                                                   \
                if (r == (R)) {                                                                   \
                    for (int n0 = 0; n0 < whole; n0 += (W)) TILE_RW(K, src, ld, w + n0, N, out + n0, N); \
                    for (int n0 = whole; n0 < N; n0++) TILE_R1(K, src, ld, w + n0, N, out + n0, N); \
                } else {                                                                          \
                    for (int i = 0; i < r; i++) {                                                 \
                        for (int n0 = 0; n0 < whole; n0 += (W))                                   \
                            TILE_1W(K, src + (size_t)i * ld, ld, w + n0, N, out + (size_t)i * N + n0, N); \
                        for (int n0 = whole; n0 < N; n0++)                                        \
                            TILE_11(K, src + (size_t)i * ld, ld, w + n0, N, out + (size_t)i * N + n0, N); \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
            for (int i = 0; i < r; i++) {                                                         \
                const size_t row = (size_t)(b0 + i);                                              \
                if (s->gru)                                                                       \
                    fk_gru_infer_cell(H, A + (size_t)i * N, hp ? P + (size_t)i * N : NULL, s->b_ih, s->b_hh, \
                                      hp ? hp + (size_t)i * s->ldh : NULL, s->h + row * s->ldy);  \
                else                                                                              \
                    fk_lstm_infer_cell(H, A + (size_t)i * N, hp ? P + (size_t)i * N : NULL, s->b_ih, s->b_hh, \
                                       s->c_prev ? s->c_prev + row * H : NULL, s->c + row * H, s->h + row * s->ldy); \
            }                                                                                     \
        }                                                                                         \
    }

// Rows per block of the AVX-512 build and the size of the scratch (A and P) every build needs.
enum { FK_INFER_MAX_ROWS = 6 };

#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
FK_INFER_STEP(fk_infer_step_avx512, __attribute__((target("avx512f"))), 6, 64,
                   fk_infer_tile_6x64, fk_infer_tile_1x64, fk_infer_tile_6x1, fk_infer_tile_1x1)
// AVX2 without FMA, as the avx2 clones of fk_step_matmul and fk_lstm_forward are built.
FK_INFER_STEP(fk_infer_step_avx2, __attribute__((target("avx2"))), 6, 16,
                   fk_infer_tile_6x16, fk_infer_tile_1x16, fk_infer_tile_6x1, fk_infer_tile_1x1)
#define FK_INFER_DISPATCH 1
// 2: AVX-512, 1: AVX2, 0: baseline; set once when the library loads.
static int fk_infer_isa;
__attribute__((constructor)) static void fk_infer_detect(void) {
    __builtin_cpu_init();
    fk_infer_isa = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
}
#endif
FK_INFER_STEP(fk_infer_step_default, , 2, 16,
                   fk_infer_tile_2x16, fk_infer_tile_1x16, fk_infer_tile_2x1, fk_infer_tile_1x1)

int fk_infer_use_isa(int isa) {
#if FK_INFER_DISPATCH
    if (isa < 0) fk_infer_detect();
    else fk_infer_isa = isa;
    return fk_infer_isa;
#else
    (void)isa;
    return 0;
#endif
}

int fk_infer_scratch(int H) { return 2 * FK_INFER_MAX_ROWS * 4 * H; }

void fk_infer_step(const fk_infer *s) {
    float *A = s->scratch, *P = s->scratch + (size_t)FK_INFER_MAX_ROWS * 4 * s->H;
#if FK_INFER_DISPATCH
    // The choice of the target_clones resolver (FK_CLONES), made here by hand.
    if (fk_infer_isa == 2) { fk_infer_step_avx512(s, A, P); return; }
    if (fk_infer_isa == 1) { fk_infer_step_avx2(s, A, P); return; }
#endif
    fk_infer_step_default(s, A, P);
}
