// One thread's part of infer-256 (128 rows, 48 steps, 2 layers, input 8, H = 64) through the
// keeping plan's kernels (fk_step_matmul + fk_lstm_forward / fk_gru_forward, gates [T, B, G*H]
// written back) and through the inference-only steps (fk_infer_step, layers interleaved per step):
// checks that both give the same bits, then times them alternately (docs/performance.md).
//
//   K=Sources/CKernels
//   clang -O2 -I$K/include $K/RecurrentCells.c $K/InferenceKernels.c Benchmarks/deploy/infer_step_harness.c -o /tmp/ih
//   /tmp/ih [seconds] [gru]
//
// The other instruction-set builds against their twins (the old kernels compiled as their avx2 /
// baseline clones are, without target_clones; ISA forces fk_infer_step's build):
//   clang -O2 -mavx2 -D__SANITIZE_ADDRESS__ -I$K/include -c $K/RecurrentCells.c -o /tmp/rc2.o
//   clang -O2 -I$K/include /tmp/rc2.o $K/InferenceKernels.c Benchmarks/deploy/infer_step_harness.c -o /tmp/ih2
//   ISA=1 /tmp/ih2 0.2        (ISA=0 with -D__SANITIZE_ADDRESS__ and no -mavx2 for the baseline)
#include "forecast_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float rnd(unsigned *s) { *s = *s * 1664525u + 1013904223u; return ((*s >> 8) / 16777216.0f - 0.5f) * 0.5f; }

enum { T = 48, B = 128, I = 8, H = 64, L = 2 };
static int gru, G;
static float *X, *W_ih[L], *W_hh[L], *b_ih[L], *b_hh[L];
static float *gates[L], *cells[L], *ys[L], *hh, *hn;
static float *c2[L], *ys2[L], *scratch;

static void keeping(void) {
    for (int l = 0; l < L; l++) {
        const int in = l == 0 ? I : H;
        const float *input = l == 0 ? X : ys[0];
        for (int t = 0; t < T; t++) {
            float *g = gates[l] + (size_t)t * B * G;
            fk_step_matmul(B, in, G, input + (size_t)t * B * in, in, W_ih[l], g, G, 0);
            const float *hp = t > 0 ? ys[l] + (size_t)(t - 1) * B * H : NULL;
            if (hp) fk_step_matmul(B, H, G, hp, H, W_hh[l], hh, G, 0);
            if (gru) fk_gru_forward(B, H, g, hp ? hh : NULL, b_ih[l], b_hh[l], hp, H, hn, ys[l] + (size_t)t * B * H, H);
            else fk_lstm_forward(B, H, g, hp ? hh : NULL, b_ih[l], b_hh[l], t > 0 ? cells[l] + (size_t)(t - 1) * B * H : NULL,
                                 cells[l] + (size_t)t * B * H, ys[l] + (size_t)t * B * H, H);
        }
    }
}

static void inference(void) {
    for (int t = 0; t < T; t++)
        for (int l = 0; l < L; l++) {
            const int in = l == 0 ? I : H;
            const float *input = l == 0 ? X : ys2[0];
            fk_infer s = {0};
            s.rows = B; s.H = H; s.in = in; s.gru = gru;
            s.x = input + (size_t)t * B * in; s.ldx = in; s.w_ih = W_ih[l];
            s.h_prev = t > 0 ? ys2[l] + (size_t)(t - 1) * B * H : NULL; s.ldh = H; s.w_hh = W_hh[l];
            s.b_ih = b_ih[l]; s.b_hh = b_hh[l];
            if (!gru) { s.c_prev = t > 0 ? c2[l] + (size_t)(t - 1) * B * H : NULL; s.c = c2[l] + (size_t)t * B * H; }
            s.h = ys2[l] + (size_t)t * B * H; s.ldy = H; s.scratch = scratch;
            fk_infer_step(&s);
        }
}

int main(int argc, char **argv) {
    const double secs = argc > 1 ? atof(argv[1]) : 1.0;
    gru = argc > 2 && strcmp(argv[2], "gru") == 0;
    G = (gru ? 3 : 4) * H;
    if (getenv("ISA")) fk_infer_use_isa(atoi(getenv("ISA")));
    unsigned sd = 1;
    X = malloc(sizeof(float) * T * B * I);
    for (int i = 0; i < T * B * I; i++) X[i] = rnd(&sd) * 4;
    for (int l = 0; l < L; l++) {
        const int in = l == 0 ? I : H;
        W_ih[l] = malloc(sizeof(float) * in * G); W_hh[l] = malloc(sizeof(float) * H * G);
        b_ih[l] = malloc(sizeof(float) * G); b_hh[l] = malloc(sizeof(float) * G);
        for (int i = 0; i < in * G; i++) W_ih[l][i] = rnd(&sd);
        for (int i = 0; i < H * G; i++) W_hh[l][i] = rnd(&sd);
        for (int i = 0; i < G; i++) { b_ih[l][i] = rnd(&sd); b_hh[l][i] = rnd(&sd); }
        gates[l] = malloc(sizeof(float) * (size_t)T * B * G);
        cells[l] = malloc(sizeof(float) * T * B * H); ys[l] = malloc(sizeof(float) * T * B * H);
        c2[l] = malloc(sizeof(float) * T * B * H); ys2[l] = malloc(sizeof(float) * T * B * H);
    }
    hh = malloc(sizeof(float) * B * G); hn = malloc(sizeof(float) * B * H);
    scratch = malloc(sizeof(float) * fk_infer_scratch(H));
    keeping();
    inference();
    int differ = 0;
    for (int l = 0; l < L; l++)
        for (int i = 0; i < T * B * H; i++) differ += ys[l][i] != ys2[l][i];
    printf("%s: %s (%d of %d outputs differ)\n", gru ? "GRU" : "LSTM", differ ? "BITS DIFFER" : "same bits", differ, L * T * B * H);
    const double flops = 2.0 * T * B * G * (I + H + 2 * H);
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now(); int n = 0;
        do { keeping(); n++; } while (now() - t0 < secs);
        const double a = (now() - t0) / n;
        t0 = now(); n = 0;
        do { inference(); n++; } while (now() - t0 < secs);
        const double b = (now() - t0) / n;
        printf("keeping %.2f ms (%.1f GFLOP/s)  inference-only %.2f ms (%.1f GFLOP/s)  ratio %.2fx\n",
               a * 1e3, flops / a / 1e9, b * 1e3, flops / b / 1e9, a / b);
    }
    return differ != 0;
}
