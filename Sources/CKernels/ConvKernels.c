// Convolutional LSTM kernels: im2row / row2im for "same"-padded k x k convolutions over
// channels-last maps, the fused gate math of one step, weight reordering and layout changes.
// See forecast_conv_kernels.h for the layouts. Loops are written so compilers vectorise the
// channel dimension; the functions are compiled for AVX-512, AVX2 and baseline x86-64 and
// dispatched at load time (target_clones), like RecurrentCells.c.
#include "forecast_conv_kernels.h"
#include "forecast_kernels.h"
#include "kernel_math.h"
#include <stdint.h>
#include <string.h>

// FK_CLONES and the activations (fk_exp, fk_sigmoid1, fk_tanh1) come from kernel_math.h,
// shared with RecurrentCells.c.

// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|); log1p by the series-free form log(u) with
// u = 1 + e^-|x| in [1, 2], computed from the exponent-free Cephes log polynomial.
static inline __attribute__((always_inline)) float fkc_log1to2(float u) {
    // u in [1, 2]: log(u) = 2 atanh(s), s = (u - 1) / (u + 1) in [0, 1/3].
    float s = (u - 1.0f) / (u + 1.0f);
    float s2 = s * s;
    float p = ((((2.0f / 11.0f) * s2 + 2.0f / 9.0f) * s2 + 2.0f / 7.0f) * s2 + 2.0f / 5.0f) * s2 + 2.0f / 3.0f;
    return 2.0f * s + s * s2 * p;
}

FK_CLONES
void fk_conv_im2row(int B, int H, int W, int k, const float *restrict x, int cx,
                    const float *restrict h, int ch, float *restrict rows, int ld) {
    const int p = k / 2, kk = k * k;
    const int hbase = kk * cx;
    for (int b = 0; b < B; b++) {
        for (int Y = 0; Y < H; Y++) {
            for (int X = 0; X < W; X++) {
                float *restrict row = rows + ((size_t)(b * H + Y) * W + X) * ld;
                for (int ky = 0; ky < k; ky++) {
                    const int yy = Y + ky - p;
                    const int yin = yy >= 0 && yy < H;
                    for (int kx = 0; kx < k; kx++) {
                        const int xx = X + kx - p;
                        const int q = ky * k + kx;
                        if (yin && xx >= 0 && xx < W) {
                            const size_t src = (size_t)(b * H + yy) * W + xx;
                            if (cx > 0) {
                                const float *restrict xs = x + src * cx;
                                float *restrict d = row + q * cx;
                                for (int c = 0; c < cx; c++) d[c] = xs[c];
                            }
                            if (h) {
                                const float *restrict hs = h + src * ch;
                                float *restrict d = row + hbase + q * ch;
                                for (int c = 0; c < ch; c++) d[c] = hs[c];
                            }
                        } else {
                            if (cx > 0) memset(row + q * cx, 0, sizeof(float) * (size_t)cx);
                            if (h) memset(row + hbase + q * ch, 0, sizeof(float) * (size_t)ch);
                        }
                    }
                }
            }
        }
    }
}

FK_CLONES
void fk_conv_row2im(int B, int H, int W, int k, const float *restrict rows, int ld, int col0, int C,
                    float *restrict out, int accumulate) {
    const int p = k / 2;
    for (int b = 0; b < B; b++) {
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                float *restrict o = out + ((size_t)(b * H + y) * W + x) * C;
                if (!accumulate) memset(o, 0, sizeof(float) * (size_t)C);
                for (int ky = 0; ky < k; ky++) {
                    // The pixel whose (ky, kx) neighbour is (y, x): Y = y - ky + p.
                    const int Y = y - ky + p;
                    if (Y < 0 || Y >= H) continue;
                    for (int kx = 0; kx < k; kx++) {
                        const int X = x - kx + p;
                        if (X < 0 || X >= W) continue;
                        const float *restrict r = rows + ((size_t)(b * H + Y) * W + X) * ld + col0 + (ky * k + kx) * C;
                        for (int c = 0; c < C; c++) o[c] += r[c];
                    }
                }
            }
        }
    }
}

// Gate blocks are addressed through separate restrict pointers and the loops carry
// `vectorize(assume_safety)`: without both, clang versions the loop on run-time overlap checks
// between the four blocks of one row and ends up in the scalar fallback.
FK_CLONES
void fk_convlstm_forward(int N, int C, float *restrict gates, const float *restrict bias,
                         const float *restrict c_prev, float *restrict c, float *restrict h) {
    const int G = 4 * C;
    const float *restrict bi = bias, *restrict bf = bias + C, *restrict bg = bias + 2 * C, *restrict bo = bias + 3 * C;
    for (int n = 0; n < N; n++) {
        float *restrict gi = gates + (size_t)n * G;
        float *restrict gf = gi + C;
        float *restrict gg = gi + 2 * C;
        float *restrict go = gi + 3 * C;
        float *restrict cr = c + (size_t)n * C;
        float *restrict hr = h + (size_t)n * C;
        if (c_prev) {
            const float *restrict cp = c_prev + (size_t)n * C;
            FK_INDEPENDENT
            for (int j = 0; j < C; j++) {
                float ig = fk_sigmoid1(gi[j] + bi[j]);
                float fg = fk_sigmoid1(gf[j] + bf[j]);
                float g_ = fk_tanh1(gg[j] + bg[j]);
                float og = fk_sigmoid1(go[j] + bo[j]);
                float cn = fg * cp[j] + ig * g_;
                gi[j] = ig; gf[j] = fg; gg[j] = g_; go[j] = og;
                cr[j] = cn;
                hr[j] = og * fk_tanh1(cn);
            }
        } else {
            FK_INDEPENDENT
            for (int j = 0; j < C; j++) {
                float ig = fk_sigmoid1(gi[j] + bi[j]);
                float fg = fk_sigmoid1(gf[j] + bf[j]);
                float g_ = fk_tanh1(gg[j] + bg[j]);
                float og = fk_sigmoid1(go[j] + bo[j]);
                float cn = ig * g_;
                gi[j] = ig; gf[j] = fg; gg[j] = g_; go[j] = og;
                cr[j] = cn;
                hr[j] = og * fk_tanh1(cn);
            }
        }
    }
}

// The LSTM step backward of RecurrentCells.c's fk_lstm_backward (same math), written so the
// channel loop vectorises, and with the bias gradient (column sums of dG) folded in:
//     dh = carry_h + dy;  dc = carry_c + dh * o * (1 - tanh²c)
//     da_i = dc g i(1-i)  da_f = dc c_prev f(1-f)  da_g = dc i (1-g²)  da_o = dh tanh(c) o(1-o)
//     carry_c <- dc * f
FK_CLONES
void fk_convlstm_backward(int N, int C, const float *restrict gates, const float *restrict c,
                          const float *restrict c_prev, const float *restrict dy,
                          const float *restrict carry_h, float *restrict carry_c, float *restrict dG,
                          float *restrict dbias) {
    const int G = 4 * C;
    float *restrict dbi = dbias, *restrict dbf = dbias + C, *restrict dbg = dbias + 2 * C, *restrict dbo = dbias + 3 * C;
    for (int n = 0; n < N; n++) {
        const float *restrict gi = gates + (size_t)n * G;
        const float *restrict gf = gi + C;
        const float *restrict gg = gi + 2 * C;
        const float *restrict go = gi + 3 * C;
        float *restrict di = dG + (size_t)n * G;
        float *restrict df = di + C;
        float *restrict dg = di + 2 * C;
        float *restrict do_ = di + 3 * C;
        const float *restrict cr = c + (size_t)n * C;
        const float *restrict cp = c_prev ? c_prev + (size_t)n * C : NULL;
        const float *restrict dyr = dy ? dy + (size_t)n * C : NULL;
        const float *restrict ch = carry_h + (size_t)n * C;
        float *restrict cc = carry_c + (size_t)n * C;
        FK_INDEPENDENT
        for (int j = 0; j < C; j++) {
            float ig = gi[j], fg = gf[j], g_ = gg[j], og = go[j];
            float tc = fk_tanh1(cr[j]);
            float dh = ch[j] + (dyr ? dyr[j] : 0.0f);
            float dc = cc[j] + dh * og * (1.0f - tc * tc);
            float cpv = cp ? cp[j] : 0.0f;
            float a = dc * g_ * ig * (1.0f - ig);
            float b = dc * cpv * fg * (1.0f - fg);
            float d = dc * ig * (1.0f - g_ * g_);
            float e = dh * tc * og * (1.0f - og);
            di[j] = a; df[j] = b; dg[j] = d; do_[j] = e;
            dbi[j] += a; dbf[j] += b; dbg[j] += d; dbo[j] += e;
            cc[j] = dc * fg;
        }
    }
}

void fk_conv_reorder_weight(int O, int cx, int ch, int k, const float *restrict w, float *restrict wr) {
    const int kk = k * k, cz = cx + ch, K = kk * cz;
    for (int o = 0; o < O; o++) {
        const float *restrict src = w + (size_t)o * K;
        float *restrict dst = wr + (size_t)o * K;
        for (int c = 0; c < cz; c++) {
            for (int q = 0; q < kk; q++) {
                const int col = c < cx ? q * cx + c : kk * cx + q * ch + (c - cx);
                dst[col] = src[c * kk + q];
            }
        }
    }
}

void fk_conv_reorder_weight_grad_add(int O, int cx, int ch, int k, const float *restrict dwr, float *restrict dw) {
    const int kk = k * k, cz = cx + ch, K = kk * cz;
    for (int o = 0; o < O; o++) {
        const float *restrict src = dwr + (size_t)o * K;
        float *restrict dst = dw + (size_t)o * K;
        for (int c = 0; c < cz; c++) {
            for (int q = 0; q < kk; q++) {
                const int col = c < cx ? q * cx + c : kk * cx + q * ch + (c - cx);
                dst[c * kk + q] += src[col];
            }
        }
    }
}

// Both layouts are per-image transposes of a [C, P] / [P, C] matrix: the tiled fk_transpose.
void fk_channels_last(int N, int C, int P, const float *restrict src, float *restrict dst) {
    for (int n = 0; n < N; n++) fk_transpose(C, P, src + (size_t)n * C * P, dst + (size_t)n * C * P);
}

void fk_channels_first(int N, int C, int P, const float *restrict src, float *restrict dst) {
    for (int n = 0; n < N; n++) fk_transpose(P, C, src + (size_t)n * C * P, dst + (size_t)n * C * P);
}

FK_CLONES
void fk_softplus(int n, const float *restrict x, float *restrict y) {
    FK_INDEPENDENT
    for (int i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0 ? -v : v;
        float pos = v > 0 ? v : 0.0f;
        y[i] = pos + fkc_log1to2(1.0f + fk_exp(-a));
    }
}

FK_CLONES
void fk_softplus_backward(int n, const float *restrict x, const float *dy, float *dx) {
    FK_INDEPENDENT
    for (int i = 0; i < n; i++) dx[i] = dy[i] * fk_sigmoid1(x[i]);
}
