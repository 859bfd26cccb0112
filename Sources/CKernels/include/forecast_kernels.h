// Fused elementwise kernels for recurrent cells (see RecurrentCells.c for the math).
// Row-major buffers; B rows of H hidden units; gate blocks stacked as in PyTorch.
// The functions are compiled for AVX-512, AVX2 and baseline x86-64 and the best one is picked
// at load time (target_clones); elsewhere they are plain portable C.
#ifndef FORECAST_KERNELS_H
#define FORECAST_KERNELS_H
#include <stddef.h>

/// LSTM step forward (gates i, f, g, o). gates [B, 4H]: input projection in, activations out.
/// hh [B, 4H] hidden projection or NULL; c_prev [B, H] or NULL; c [B, H]; h rows h_stride apart.
void fk_lstm_forward(int B, int H, float *gates, const float *hh, const float *b_ih, const float *b_hh,
                     const float *c_prev, float *c, float *h, int h_stride);

/// LSTM step backward. dy rows dy_stride apart or NULL; carry_h [B, H] read; carry_c [B, H]
/// read and replaced by dc_prev; dG [B, 4H] pre-activation gradients written.
void fk_lstm_backward(int B, int H, const float *gates, const float *c, const float *c_prev,
                      const float *dy, int dy_stride, const float *carry_h, float *carry_c, float *dG);

/// GRU step forward (gates r, z, n; reset after the hidden matmul). hh [B, 3H] without bias or
/// NULL; h_prev rows h_prev_stride apart or NULL; hn [B, H] saves W_hn h + b_hn.
void fk_gru_forward(int B, int H, float *gates, const float *hh, const float *b_ih, const float *b_hh,
                    const float *h_prev, int h_prev_stride, float *hn, float *h, int h_stride);

/// GRU step backward. carry_h [B, H] read and replaced by dh * z; dGx, dGh [B, 3H] written.
void fk_gru_backward(int B, int H, const float *gates, const float *hn, const float *h_prev, int h_prev_stride,
                     const float *dy, int dy_stride, float *carry_h, float *dGx, float *dGh);

/// Elman step forward, relu != 0 selects ReLU over tanh. gates [B, H] in: projection, out: h.
void fk_elman_forward(int B, int H, int relu, float *gates, const float *hh, const float *b_ih, const float *b_hh,
                      float *h, int h_stride);

/// Elman step backward: dG = (dy + carry_h) * act'(h).
void fk_elman_backward(int B, int H, int relu, const float *gates, const float *dy, int dy_stride,
                       const float *carry_h, float *dG);

/// acc[j] += sum over rows of x[r * ld + j], j < n.
void fk_column_sums(int rows, int n, const float *x, int ld, float *acc);

/// y[i] = sigmoid(x[i]) and tanh(x[i]) over n values (the kernels' own approximations, exposed
/// for tests).
void fk_sigmoid(int n, const float *x, float *y);
void fk_tanh(int n, const float *x, float *y);
#endif

#ifndef FORECAST_KERNELS_SMALL_H
#define FORECAST_KERNELS_SMALL_H
/// Small-batch product against a transposed weight: y[b, n] = sum_k x[b * ldx + k] * wt[k * N + n]
/// for b < B (B small, e.g. single-window inference). wt is [K, N] (the transpose of a PyTorch
/// [N, K] weight), streamed once per row of x with the outputs held in registers.
void fk_small_matmul_t(int B, int K, int N, const float *x, int ldx, const float *wt, float *y);

/// y[b * ldy + n] (+)= sum_k x[b * ldx + k] * w[k * N + n] for b < B, n < N: the recurrent
/// per-step product. Register blocks of 8 rows x 32 columns (N >= 128), 4 rows x 64 columns,
/// and single rows x 256 or 128 columns (on AVX2 without AVX-512, 4 or more rows and N a multiple
/// of 16: 6 rows x 16 columns, which fit its 16 registers), so each weight row is read once per block of rows; faster
/// than a BLAS call for the moderate sizes of recurrent steps (w up to a few hundred KB).
/// Every output is summed over k in order, so the blocking never changes the bits.
/// accumulate != 0 adds to y.
void fk_step_matmul(int B, int K, int N, const float *x, int ldx, const float *w, float *y, int ldy, int accumulate);

/// Packs w [K, N] (row-major, N a multiple of 32) into N/32 panels of [K, 32], each contiguous,
/// for fk_panel_matmul.
void fk_pack_panels(int K, int N, const float *w, float *panels);

/// The same panels for the transpose of w [N, K]: panels of wᵀ [K, N] without forming wᵀ.
void fk_pack_panels_transposed(int N, int K, const float *w, float *panels);

/// y[b * ldy + n] (+)= sum_k x[b * ldx + k] * w[k * N + n] with w packed by fk_pack_panels: the
/// per-step product of large recurrent layers (w of several MB, beyond fk_step_matmul's reach).
/// One 32-column panel (K x 128 bytes) at a time stays in L2 while 8-row blocks of x stream past
/// it; unlike sgemm nothing is repacked per call. Sums over k in order, like fk_step_matmul.
void fk_panel_matmul(int B, int K, int N, const float *x, int ldx, const float *panels, float *y, int ldy, int accumulate);

/// dst[k * N + n] = src[n * K + k]: the transpose of an [N, K] matrix.
void fk_transpose(int N, int K, const float *src, float *dst);
/// acc[n] = (base ? base : acc)[n] + sum_k h[k] * w[k * N + n] for n < N: one row times a
/// [K, N] block of weights. Sums even and odd k apart, then adds the two.
void fk_row_matvec(int K, int N, const float *h, const float *w, const float *base, float *acc);

/// The LSTM cell for one row in inference: acc [4H] pre-activations [i | f | g | o] (biases
/// included), c_prev [H] or NULL (zeros) -> c [H], h [H]. Gates are not kept. c may be c_prev.
void fk_lstm_row(int H, const float *acc, const float *c_prev, float *c, float *h);

/// One step of one half of an LSTM layer whose units are split across two threads (batch 1,
/// inference; see RecurrentUnitSplit.swift). With n = 4 * half gate columns [i | f | g | o] of
/// the half's units:
///
///     acc  = bias + pre                  (pre [n]: the step's row of a batched input projection;
///                                         skipped when NULL)
///     acc += x · w_ih                    (x [in], w_ih [in, n]; skipped when in == 0)
///     acc += h_own · w_own               (h_own [half], w_own [half, n]; when h_own != NULL)
///     wait until *ready >= want          (the other thread has published h_other; when ready
///                                         != NULL: a short spin, then wait(ready, want))
///     acc += h_other · w_other
///     c = σ(f) ⊙ c_prev + σ(i) ⊙ tanh(g),  h = σ(o) ⊙ tanh(c)
///
/// For half = 32 on AVX-512 the 128 columns stay in registers throughout; with AVX2 (half a
/// multiple of 8 up to 64) 8 units' 32 columns at a time do, the same operations lane by lane;
/// otherwise acc lives in `scratch` [n].
typedef struct {
    int half, in;
    const float *bias, *pre, *x, *w_ih;
    const float *h_own, *w_own, *h_other, *w_other;
    void (*wait)(const int *ready, int want);
    const int *ready;
    int want;
    const float *c_prev;
    float *c, *h, *scratch;
} fk_split_step;
void fk_lstm_split_step(const fk_split_step *step);

/// One step of one half of a GRU layer split by units, like fk_lstm_split_step with n = 3 * half
/// gate columns [r | z | n]; `bias` points at b_ih [n] followed by b_hh [n], and the input side
/// (b_ih + pre + x · w_ih) and hidden side (b_hh + h · W_hh) are kept apart:
///
///     r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n),  h = (1 - z) ⊙ n + z ⊙ h_own
///
/// c is not used; `scratch` [2n] off the register path.
void fk_gru_split_step(const fk_split_step *step);

/// All T steps of one LSTM (gru == 0) or GRU (gru != 0) layer split by units, for the halves `first ..< first + halves` (2:
/// one thread runs both, half 0 then half 1 each step). Per half u, `weights[u]` holds the
/// half's gate columns (n = 4 * half for LSTM, 3 * half for GRU): W_ihᵀ [in, n], W_hhᵀ [H, n]
/// (H = 2 * half), then b_ih, b_hh and b_ih + b_hh [n each]. The input is either x [T, in] (multiplied inside each step) or
/// pre [T, 2n], the window's input projection with half 0's n columns, then half 1's, per row.
/// With one half per thread, each step waits until *ready >= base + t (the other thread's
/// step t - 1) and then sets *published = base + t + 1.
typedef struct {
    int T, half, in, gru;
    int first, halves;
    const float *x, *pre;
    const float *weights[2];
    const float *h0, *c0;           // [H] initial state, or NULL for zeros
    float *y, *c;                   // [T, H]; c for LSTM only
    int *published;
    const int *ready;
    int base;
    void (*wait)(const int *ready, int want);
    float *scratch;                 // [2n]
} fk_split_layer;
void fk_split_layer_steps(const fk_split_layer *layer);

/// For tests: makes fk_row_matvec, fk_lstm_row, the split steps and fk_split_layer_steps take their portable loops
/// (portable != 0) or the fastest path this CPU allows (0). Returns whether the portable loops
/// are now in use. Not for use while other threads run these kernels.
int fk_row_kernels_use_portable(int portable);

/// Asks for `bytes` at p to be brought into L1 (a hint; no effect on results): rows a thread
/// will read soon, while it waits for something else.
void fk_prefetch(const void *p, int bytes);

#endif

#ifndef FORECAST_KERNELS_INFER_H
#define FORECAST_KERNELS_INFER_H
/// One inference step of an LSTM (gru == 0) or GRU (gru != 0) layer for `rows` rows
/// (InferenceKernels.c), keeping no gates. With G = 4 (LSTM) or 3 (GRU):
///
///     a = x · W_ihᵀ   [rows, in] x [in, G*H]       p = h_prev · W_hhᵀ   [rows, H] x [H, G*H]
///     LSTM: i, f, g, o = σ, σ, tanh, σ of a + (p + b_ih + b_hh)   (a + (b_ih + b_hh) without h_prev)
///           c = f ⊙ c_prev + i ⊙ g,   h = o ⊙ tanh(c)
///     GRU:  r = σ(a_r + b_ir + p_r + b_hr),  z = σ(a_z + b_iz + p_z + b_hz),
///           n = tanh(a_n + b_in + r ⊙ (p_n + b_hn)),  h = (1 - z) ⊙ n + z ⊙ h_prev
///
/// with the bits of fk_step_matmul followed by fk_lstm_forward / fk_gru_forward on this CPU.
/// x rows ldx apart, h_prev rows ldh apart (NULL: zeros), c_prev [rows, H] (NULL: zeros) and c
/// [rows, H] for an LSTM only, h rows ldy apart; w_ih = W_ihᵀ [in, G*H], w_hh = W_hhᵀ [H, G*H];
/// scratch of fk_infer_scratch(H) floats.
typedef struct {
    int rows, H, in, gru;
    const float *x; int ldx; const float *w_ih;
    const float *h_prev; int ldh; const float *w_hh;
    const float *b_ih, *b_hh;
    const float *c_prev; float *c;
    float *h; int ldy;
    float *scratch;
} fk_infer;
void fk_infer_step(const fk_infer *step);
/// Floats of scratch fk_infer_step needs for hidden size H.
int fk_infer_scratch(int H);
/// For tests: makes fk_infer_step use the AVX-512 (2), AVX2 (1) or baseline (0) build, or (-1)
/// the one this CPU gets; returns the one now in use. Not while other threads run it.
int fk_infer_use_isa(int isa);
#endif
