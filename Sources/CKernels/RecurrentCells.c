// Fused elementwise math of recurrent cells, written so compilers vectorise the inner loops.
//
// exp uses the Cephes single-precision polynomial (max relative error about 1 ulp on the
// clamped range); tanh uses Cephes' odd polynomial below |x| = 0.625 and 1 - 2/(e^2x + 1)
// above; sigmoid is 1 / (1 + e^-x). All are branch-free so loops over them vectorise.
#include "forecast_kernels.h"
#include "kernel_math.h"
#include <stdint.h>
#include <string.h>

FK_CLONES
void fk_sigmoid(int n, const float *restrict x, float *restrict y) {
    for (int i = 0; i < n; i++) y[i] = fk_sigmoid1(x[i]);
}

FK_CLONES
void fk_tanh(int n, const float *restrict x, float *restrict y) {
    for (int i = 0; i < n; i++) y[i] = fk_tanh1(x[i]);
}

FK_CLONES
void fk_lstm_forward(int B, int H, float *restrict gates, const float *restrict hh,
                     const float *restrict b_ih, const float *restrict b_hh,
                     const float *restrict c_prev, float *restrict c, float *restrict h, int h_stride) {
    const int G = 4 * H;
    for (int b = 0; b < B; b++) {
        float *restrict g = gates + (size_t)b * G;
        const float *restrict p = hh ? hh + (size_t)b * G : NULL;
        const float *restrict cp = c_prev ? c_prev + (size_t)b * H : NULL;
        float *restrict cr = c + (size_t)b * H;
        float *restrict hr = h + (size_t)b * h_stride;
        if (p) {
            FK_INDEPENDENT
            for (int k = 0; k < G; k++) g[k] += p[k] + b_ih[k] + b_hh[k];
        } else {
            FK_INDEPENDENT
            for (int k = 0; k < G; k++) g[k] += b_ih[k] + b_hh[k];
        }
        // The four gate blocks are disjoint (see FK_INDEPENDENT).
        float *restrict gi = g, *restrict gf = g + H, *restrict gc = g + 2 * H, *restrict go = g + 3 * H;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float ig = fk_sigmoid1(gi[j]);
            float fg = fk_sigmoid1(gf[j]);
            float gg = fk_tanh1(gc[j]);
            float og = fk_sigmoid1(go[j]);
            float cn = fg * (cp ? cp[j] : 0.0f) + ig * gg;
            gi[j] = ig; gf[j] = fg; gc[j] = gg; go[j] = og;
            cr[j] = cn;
            hr[j] = og * fk_tanh1(cn);
        }
    }
}

FK_CLONES
void fk_lstm_backward(int B, int H, const float *restrict gates, const float *restrict c,
                      const float *restrict c_prev, const float *restrict dy, int dy_stride,
                      const float *restrict carry_h, float *restrict carry_c, float *restrict dG) {
    const int G = 4 * H;
    for (int b = 0; b < B; b++) {
        const float *restrict g = gates + (size_t)b * G;
        float *restrict d = dG + (size_t)b * G;
        const float *restrict cr = c + (size_t)b * H;
        const float *restrict cp = c_prev ? c_prev + (size_t)b * H : NULL;
        const float *restrict dyr = dy ? dy + (size_t)b * dy_stride : NULL;
        const float *restrict ch = carry_h + (size_t)b * H;
        float *restrict cc = carry_c + (size_t)b * H;
        const float *restrict gi = g, *restrict gf = g + H, *restrict gc = g + 2 * H, *restrict go = g + 3 * H;
        float *restrict di = d, *restrict df = d + H, *restrict dgc = d + 2 * H, *restrict dgo = d + 3 * H;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float ig = gi[j], fg = gf[j], gg = gc[j], og = go[j];
            float tc = fk_tanh1(cr[j]);
            float dh = ch[j] + (dyr ? dyr[j] : 0.0f);
            float dc = cc[j] + dh * og * (1.0f - tc * tc);
            float cpv = cp ? cp[j] : 0.0f;
            di[j] = dc * gg * ig * (1.0f - ig);
            df[j] = dc * cpv * fg * (1.0f - fg);
            dgc[j] = dc * ig * (1.0f - gg * gg);
            dgo[j] = dh * tc * og * (1.0f - og);
            cc[j] = dc * fg;
        }
    }
}

FK_CLONES
void fk_gru_forward(int B, int H, float *restrict gates, const float *restrict hh,
                    const float *restrict b_ih, const float *restrict b_hh,
                    const float *restrict h_prev, int h_prev_stride, float *restrict hn,
                    float *restrict h, int h_stride) {
    const int G = 3 * H;
    for (int b = 0; b < B; b++) {
        float *restrict g = gates + (size_t)b * G;
        const float *restrict p = hh ? hh + (size_t)b * G : NULL;
        const float *restrict hp = h_prev ? h_prev + (size_t)b * h_prev_stride : NULL;
        float *restrict hnr = hn + (size_t)b * H;
        float *restrict hr = h + (size_t)b * h_stride;
        float *restrict gr = g, *restrict gz = g + H, *restrict gn = g + 2 * H;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float hr_ = (p ? p[j] : 0.0f) + b_hh[j];
            float hz = (p ? p[H + j] : 0.0f) + b_hh[H + j];
            float hnj = (p ? p[2 * H + j] : 0.0f) + b_hh[2 * H + j];
            float r = fk_sigmoid1(gr[j] + b_ih[j] + hr_);
            float z = fk_sigmoid1(gz[j] + b_ih[H + j] + hz);
            float n = fk_tanh1(gn[j] + b_ih[2 * H + j] + r * hnj);
            float hpv = hp ? hp[j] : 0.0f;
            gr[j] = r; gz[j] = z; gn[j] = n;
            hnr[j] = hnj;
            hr[j] = (1.0f - z) * n + z * hpv;
        }
    }
}

FK_CLONES
void fk_gru_backward(int B, int H, const float *restrict gates, const float *restrict hn,
                     const float *restrict h_prev, int h_prev_stride,
                     const float *restrict dy, int dy_stride, float *restrict carry_h,
                     float *restrict dGx, float *restrict dGh) {
    const int G = 3 * H;
    for (int b = 0; b < B; b++) {
        const float *restrict g = gates + (size_t)b * G;
        const float *restrict hnr = hn + (size_t)b * H;
        const float *restrict hp = h_prev ? h_prev + (size_t)b * h_prev_stride : NULL;
        const float *restrict dyr = dy ? dy + (size_t)b * dy_stride : NULL;
        float *restrict ch = carry_h + (size_t)b * H;
        float *restrict dx = dGx + (size_t)b * G;
        float *restrict dh_ = dGh + (size_t)b * G;
        const float *restrict gr = g, *restrict gz = g + H, *restrict gn = g + 2 * H;
        float *restrict xr = dx, *restrict xz = dx + H, *restrict xn = dx + 2 * H;
        float *restrict hr2 = dh_, *restrict hz2 = dh_ + H, *restrict hn2 = dh_ + 2 * H;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float r = gr[j], z = gz[j], n = gn[j];
            float dh = ch[j] + (dyr ? dyr[j] : 0.0f);
            float hpv = hp ? hp[j] : 0.0f;
            float dan = dh * (1.0f - z) * (1.0f - n * n);
            float dar = dan * hnr[j] * r * (1.0f - r);
            float daz = dh * (hpv - n) * z * (1.0f - z);
            xr[j] = dar; xz[j] = daz; xn[j] = dan;
            hr2[j] = dar; hz2[j] = daz; hn2[j] = dan * r;
            ch[j] = dh * z;
        }
    }
}

FK_CLONES
void fk_elman_forward(int B, int H, int relu, float *restrict gates, const float *restrict hh,
                      const float *restrict b_ih, const float *restrict b_hh, float *restrict h, int h_stride) {
    for (int b = 0; b < B; b++) {
        float *restrict g = gates + (size_t)b * H;
        const float *restrict p = hh ? hh + (size_t)b * H : NULL;
        float *restrict hr = h + (size_t)b * h_stride;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float a = g[j] + (p ? p[j] : 0.0f) + b_ih[j] + b_hh[j];
            float y = relu ? (a > 0.0f ? a : 0.0f) : fk_tanh1(a);
            g[j] = y;
            hr[j] = y;
        }
    }
}

FK_CLONES
void fk_elman_backward(int B, int H, int relu, const float *restrict gates, const float *restrict dy, int dy_stride,
                       const float *restrict carry_h, float *restrict dG) {
    for (int b = 0; b < B; b++) {
        const float *restrict g = gates + (size_t)b * H;
        const float *restrict dyr = dy ? dy + (size_t)b * dy_stride : NULL;
        const float *restrict ch = carry_h + (size_t)b * H;
        float *restrict d = dG + (size_t)b * H;
        FK_INDEPENDENT
        for (int j = 0; j < H; j++) {
            float dh = ch[j] + (dyr ? dyr[j] : 0.0f);
            float y = g[j];
            d[j] = dh * (relu ? (y > 0.0f ? 1.0f : 0.0f) : (1.0f - y * y));
        }
    }
}

FK_CLONES
void fk_column_sums(int rows, int n, const float *restrict x, int ld, float *restrict acc) {
    for (int r = 0; r < rows; r++) {
        const float *restrict row = x + (size_t)r * ld;
        for (int j = 0; j < n; j++) acc[j] += row[j];
    }
}

FK_CLONES
void fk_small_matmul_t(int B, int K, int N, const float *restrict x, int ldx, const float *restrict wt, float *restrict y) {
    for (int b = 0; b < B; b++) {
        const float *restrict xb = x + (size_t)b * ldx;
        float *restrict yb = y + (size_t)b * N;
        int nb = 0;
        // Blocks of 128 outputs stay in vector registers while the weight rows stream past.
        for (; nb + 128 <= N; nb += 128) {
            float acc[128] = {0};
            for (int k = 0; k < K; k++) {
                const float xk = xb[k];
                const float *restrict w = wt + (size_t)k * N + nb;
                for (int j = 0; j < 128; j++) acc[j] += xk * w[j];
            }
            for (int j = 0; j < 128; j++) yb[nb + j] = acc[j];
        }
        for (; nb + 16 <= N; nb += 16) {
            float acc[16] = {0};
            for (int k = 0; k < K; k++) {
                const float xk = xb[k];
                const float *restrict w = wt + (size_t)k * N + nb;
                for (int j = 0; j < 16; j++) acc[j] += xk * w[j];
            }
            for (int j = 0; j < 16; j++) yb[nb + j] = acc[j];
        }
        for (; nb < N; nb++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += xb[k] * wt[(size_t)k * N + nb];
            yb[nb] = s;
        }
    }
}

// 16 x 16 tiles: both the reads and the writes of a tile stay within 16 cache lines, where the
// plain double loop wrote a new line on every store.
FK_CLONES
void fk_transpose(int N, int K, const float *restrict src, float *restrict dst) {
    enum { TILE = 16 };
    for (int n0 = 0; n0 < N; n0 += TILE) {
        const int n1 = n0 + TILE < N ? n0 + TILE : N;
        for (int k0 = 0; k0 < K; k0 += TILE) {
            const int k1 = k0 + TILE < K ? k0 + TILE : K;
            for (int n = n0; n < n1; n++)
                for (int k = k0; k < k1; k++) dst[(size_t)k * N + n] = src[(size_t)n * K + k];
        }
    }
}

#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#include <immintrin.h>
#define FK_STEP_AVX2 1
// Whether the AVX2 blocks below run: AVX2 and FMA without AVX-512 (whose clone of the portable
// loops below has registers enough for them; AVX2's 16 do not hold 8 x 32 sums and spill).
static int fk_step_avx2;
__attribute__((constructor)) static void fk_step_detect(void) {
    __builtin_cpu_init();
    fk_step_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !__builtin_cpu_supports("avx512f");
}

// R rows x 16 columns of y from x rows ldx apart and w [K, N] columns nb.. (R <= 6: 2R
// accumulators, 2 weight registers, a broadcast). Each output is summed over k in order from 0
// with a multiply and an add (not fused: the compiled loops below do not contract them), so the
// bits are those of the other paths.
#define FK_STEP_BLOCK(R)                                                                          \
    do {                                                                                          \
        __m256 a0[R], a1[R];                                                                      \
        for (int r = 0; r < (R); r++) { a0[r] = _mm256_setzero_ps(); a1[r] = _mm256_setzero_ps(); } \
        const float *restrict xb = x + (size_t)b * ldx;                                           \
        for (int k = 0; k < K; k++) {                                                             \
            const __m256 w0 = _mm256_loadu_ps(w + (size_t)k * N + nb), w1 = _mm256_loadu_ps(w + (size_t)k * N + nb + 8); \
            for (int r = 0; r < (R); r++) {                                                       \
                const __m256 v = _mm256_broadcast_ss(xb + (size_t)r * ldx + k);                    \
                a0[r] = _mm256_add_ps(a0[r], _mm256_mul_ps(v, w0));                               \
                a1[r] = _mm256_add_ps(a1[r], _mm256_mul_ps(v, w1));                               \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < (R); r++) {                                                           \
            float *restrict yr = y + (size_t)(b + r) * ldy + nb;                                  \
            if (accumulate) {                                                                     \
                _mm256_storeu_ps(yr, _mm256_add_ps(_mm256_loadu_ps(yr), a0[r]));                  \
                _mm256_storeu_ps(yr + 8, _mm256_add_ps(_mm256_loadu_ps(yr + 8), a1[r]));          \
            } else {                                                                              \
                _mm256_storeu_ps(yr, a0[r]);                                                      \
                _mm256_storeu_ps(yr + 8, a1[r]);                                                  \
            }                                                                                     \
        }                                                                                         \
    } while (0)

// N a multiple of 16. Rows in chunks of 48 (48 rows of x with K = 64 are 12 KB, kept in L1
// while every 16-column block of w passes them), 6-row blocks within.
__attribute__((target("avx2,fma")))
static void fk_step_matmul_avx2(int B, int K, int N, const float *restrict x, int ldx, const float *restrict w,
                                float *restrict y, int ldy, int accumulate) {
    for (int c0 = 0; c0 < B; c0 += 48) {
        const int c1 = c0 + 48 < B ? c0 + 48 : B;
        for (int nb = 0; nb < N; nb += 16) {
            int b = c0;
            for (; b + 6 <= c1; b += 6) FK_STEP_BLOCK(6);
            switch (c1 - b) {
            case 5: FK_STEP_BLOCK(5); break;
            case 4: FK_STEP_BLOCK(4); break;
            case 3: FK_STEP_BLOCK(3); break;
            case 2: FK_STEP_BLOCK(2); break;
            case 1: FK_STEP_BLOCK(1); break;
            default: break;
            }
        }
    }
}
#endif

// R rows (from row b) x W columns (from column nb) of y = x w (+ y): R x W sums in registers,
// each summed over k in order from 0 like every other path here, so any blocking gives the
// same bits.
#define FK_ROWS_BLOCK(R, W)                                                                       \
    do {                                                                                          \
        float a[R][W];                                                                            \
        memset(a, 0, sizeof a);                                                                   \
        for (int k = 0; k < K; k++) {                                                             \
            const float *restrict wr = w + (size_t)k * N + nb;                                    \
            for (int r = 0; r < (R); r++) {                                                       \
                const float v = x[(size_t)(b + r) * ldx + k];                                     \
                for (int j = 0; j < (W); j++) a[r][j] += v * wr[j];                               \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < (R); r++) {                                                           \
            float *restrict yr = y + (size_t)(b + r) * ldy + nb;                                  \
            if (accumulate) { for (int j = 0; j < (W); j++) yr[j] += a[r][j]; }                   \
            else            { for (int j = 0; j < (W); j++) yr[j] = a[r][j]; }                    \
        }                                                                                         \
    } while (0)

FK_CLONES
void fk_step_matmul(int B, int K, int N, const float *restrict x, int ldx, const float *restrict w,
                    float *restrict y, int ldy, int accumulate) {
#if FK_STEP_AVX2
    // Many rows: the register blocks above. A row or two: the single-row loops below stream w
    // once per row either way.
    if (fk_step_avx2 && B >= 4 && N % 16 == 0) { fk_step_matmul_avx2(B, K, N, x, ldx, w, y, ldy, accumulate); return; }
#endif
    int b = 0;
    // Eight rows at a time: 8 rows x 32 columns per register block (16 zmm of sums) read each
    // w row segment once for 8 rows (half the w traffic of 4 x 64); 35% faster at K = 128,
    // N = 512, slower at N = 64, where the 4 x 64 blocks below stay. Narrow outputs that are
    // not a multiple of 32 (N = 16, 48, 80, 112: the carry of a layer of 16, 48, ... units)
    // take 8 x 16 blocks. Without them such widths fell to one column at a time (the backward
    // carry of a 32- or 48-unit LSTM: training a 32-unit LSTM now takes 2.2–3.9x less wall time, same bits).
    if (N % 32 == 0 && N != 64) {
        for (; b + 8 <= B; b += 8)
            for (int nb = 0; nb < N; nb += 32) FK_ROWS_BLOCK(8, 32);
    } else if (N % 16 == 0 && N != 64 && N < 128) {
        for (; b + 8 <= B; b += 8)
            for (int nb = 0; nb < N; nb += 16) FK_ROWS_BLOCK(8, 16);
    }
    for (; b + 4 <= B; b += 4) {
        const float *restrict x0 = x + (size_t)b * ldx, *restrict x1 = x0 + ldx, *restrict x2 = x1 + ldx, *restrict x3 = x2 + ldx;
        float *restrict y0 = y + (size_t)b * ldy, *restrict y1 = y0 + ldy, *restrict y2 = y1 + ldy, *restrict y3 = y2 + ldy;
        int nb = 0;
        for (; nb + 64 <= N; nb += 64) {
            float a0[64] = {0}, a1[64] = {0}, a2[64] = {0}, a3[64] = {0};
            for (int k = 0; k < K; k++) {
                const float *restrict wr = w + (size_t)k * N + nb;
                const float v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
                for (int j = 0; j < 64; j++) { const float wj = wr[j]; a0[j] += v0 * wj; a1[j] += v1 * wj; a2[j] += v2 * wj; a3[j] += v3 * wj; }
            }
            if (accumulate) { for (int j = 0; j < 64; j++) { y0[nb + j] += a0[j]; y1[nb + j] += a1[j]; y2[nb + j] += a2[j]; y3[nb + j] += a3[j]; } }
            else            { for (int j = 0; j < 64; j++) { y0[nb + j] = a0[j];  y1[nb + j] = a1[j];  y2[nb + j] = a2[j];  y3[nb + j] = a3[j]; } }
        }
        for (; nb + 32 <= N; nb += 32) FK_ROWS_BLOCK(4, 32);
        for (; nb + 16 <= N; nb += 16) FK_ROWS_BLOCK(4, 16);
        for (; nb < N; nb++) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int k = 0; k < K; k++) { const float wj = w[(size_t)k * N + nb]; s0 += x0[k] * wj; s1 += x1[k] * wj; s2 += x2[k] * wj; s3 += x3[k] * wj; }
            if (accumulate) { y0[nb] += s0; y1[nb] += s1; y2[nb] += s2; y3[nb] += s3; }
            else            { y0[nb] = s0;  y1[nb] = s1;  y2[nb] = s2;  y3[nb] = s3; }
        }
    }
    for (; b < B; b++) {
        const float *restrict xb = x + (size_t)b * ldx;
        float *restrict yb = y + (size_t)b * ldy;
        int nb = 0;
        // A single row is bound by streaming w: 256 accumulators (16 zmm) read each 1 KB row
        // segment in one contiguous run, twice as fast as four passes of 64.
        for (; nb + 256 <= N; nb += 256) {
            float a[256] = {0};
            for (int k = 0; k < K; k++) { const float v = xb[k]; const float *restrict wr = w + (size_t)k * N + nb; for (int j = 0; j < 256; j++) a[j] += v * wr[j]; }
            if (accumulate) { for (int j = 0; j < 256; j++) yb[nb + j] += a[j]; } else { for (int j = 0; j < 256; j++) yb[nb + j] = a[j]; }
        }
        // 128 columns (8 zmm): enough independent sums to keep both FMA pipes busy, which
        // 64 (4 chains of 4-cycle FMAs) is not.
        for (; nb + 128 <= N; nb += 128) {
            float a[128] = {0};
            for (int k = 0; k < K; k++) { const float v = xb[k]; const float *restrict wr = w + (size_t)k * N + nb; for (int j = 0; j < 128; j++) a[j] += v * wr[j]; }
            if (accumulate) { for (int j = 0; j < 128; j++) yb[nb + j] += a[j]; } else { for (int j = 0; j < 128; j++) yb[nb + j] = a[j]; }
        }
        for (; nb + 64 <= N; nb += 64) {
            float a[64] = {0};
            for (int k = 0; k < K; k++) { const float v = xb[k]; const float *restrict wr = w + (size_t)k * N + nb; for (int j = 0; j < 64; j++) a[j] += v * wr[j]; }
            if (accumulate) { for (int j = 0; j < 64; j++) yb[nb + j] += a[j]; } else { for (int j = 0; j < 64; j++) yb[nb + j] = a[j]; }
        }
        for (; nb + 32 <= N; nb += 32) FK_ROWS_BLOCK(1, 32);
        for (; nb + 16 <= N; nb += 16) FK_ROWS_BLOCK(1, 16);
        for (; nb < N; nb++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += xb[k] * w[(size_t)k * N + nb];
            if (accumulate) yb[nb] += s; else yb[nb] = s;
        }
    }
}

void fk_pack_panels(int K, int N, const float *restrict w, float *restrict panels) {
    for (int p = 0; p < N / 32; p++)
        for (int k = 0; k < K; k++) memcpy(panels + ((size_t)p * K + k) * 32, w + (size_t)k * N + (size_t)p * 32, 32 * sizeof(float));
}

void fk_pack_panels_transposed(int N, int K, const float *restrict w, float *restrict panels) {
    for (int p = 0; p < N / 32; p++) {
        float *restrict panel = panels + (size_t)p * K * 32;        // [K, 32], 128 KB or less
        for (int j = 0; j < 32; j++) {
            const float *restrict row = w + ((size_t)p * 32 + j) * K;
            for (int k = 0; k < K; k++) panel[(size_t)k * 32 + j] = row[k];
        }
    }
}

FK_CLONES
void fk_panel_matmul(int B, int K, int N, const float *restrict x, int ldx, const float *restrict panels,
                     float *restrict y, int ldy, int accumulate) {
    for (int nb = 0; nb < N; nb += 32) {
        const float *restrict panel = panels + (size_t)nb * K;          // [K, 32], stays in L2
        int b = 0;
        for (; b + 8 <= B; b += 8) {
            const float *restrict xr[8];
            for (int r = 0; r < 8; r++) xr[r] = x + (size_t)(b + r) * ldx;
            float a[8][32];
            memset(a, 0, sizeof a);
            for (int k = 0; k < K; k++) {
                const float *restrict wr = panel + (size_t)k * 32;
                for (int r = 0; r < 8; r++) { const float v = xr[r][k]; for (int j = 0; j < 32; j++) a[r][j] += v * wr[j]; }
            }
            for (int r = 0; r < 8; r++) {
                float *restrict yr = y + (size_t)(b + r) * ldy + nb;
                if (accumulate) { for (int j = 0; j < 32; j++) yr[j] += a[r][j]; } else { for (int j = 0; j < 32; j++) yr[j] = a[r][j]; }
            }
        }
        for (; b < B; b++) {
            const float *restrict xb = x + (size_t)b * ldx;
            float a[32] = {0};
            for (int k = 0; k < K; k++) { const float v = xb[k]; const float *restrict wr = panel + (size_t)k * 32; for (int j = 0; j < 32; j++) a[j] += v * wr[j]; }
            float *restrict yr = y + (size_t)b * ldy + nb;
            if (accumulate) { for (int j = 0; j < 32; j++) yr[j] += a[j]; } else { for (int j = 0; j < 32; j++) yr[j] = a[j]; }
        }
    }
}

void fk_prefetch(const void *p, int bytes) {
    const char *c = p;
    for (int i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}
