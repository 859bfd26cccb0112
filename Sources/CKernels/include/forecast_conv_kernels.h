// Kernels of the convolutional LSTM (see ConvKernels.c for the math and the layouts).
//
// Inside the layer, feature maps are channels-last: a map of B images of H x W pixels and C
// channels is [B*H*W, C] (pixel rows, channels contiguous), so one step's gates of the whole
// batch are a [B*H*W, 4C] matrix that one GEMM writes and the fused gate math reads row by row.
//
// im2row builds, for every output pixel, the k x k neighbourhood of the concatenated [x, h]
// channels ("same" padding, zeros outside the grid) as one row, in the split column order
//
//     columns [0, k*k*cx)               x part:  (ky * k + kx) * cx + c
//     columns [k*k*cx, k*k*(cx + ch))   h part:  k*k*cx + (ky * k + kx) * ch + c
//
// so the x part alone is a prefix of the row (a step without a previous hidden state uses
// only that prefix). The weight is reordered from PyTorch's [4C, cx + ch, k, k] to match.
#ifndef FORECAST_CONV_KERNELS_H
#define FORECAST_CONV_KERNELS_H

/// rows[p, :] for every pixel p of B images of H x W: x [B*H*W, cx] (NULL when cx = 0) and
/// h [B*H*W, ch] (NULL: the h part is not written). rows has row stride ld; k odd.
void fk_conv_im2row(int B, int H, int W, int k, const float *x, int cx, const float *h, int ch,
                    float *rows, int ld);

/// The adjoint of one part of im2row (a gather, so every output is written once):
///     out[p, c] (= or +=) sum over (ky, kx) of rows[p', col0 + (ky * k + kx) * C + c]
/// where p' is the pixel whose neighbourhood holds p at offset (ky, kx). out is [B*H*W, C];
/// accumulate != 0 adds to it.
void fk_conv_row2im(int B, int H, int W, int k, const float *rows, int ld, int col0, int C,
                    float *out, int accumulate);

/// ConvLSTM step forward over N pixel rows of C channels. gates [N, 4C]: the convolution
/// without bias in (i, f, g, o blocks), activated gates out; bias [4C]; c_prev [N, C] or NULL
/// (zeros); c, h [N, C] written.
void fk_convlstm_forward(int N, int C, float *gates, const float *bias, const float *c_prev,
                         float *c, float *h);

/// ConvLSTM step backward (the math of fk_lstm_backward) over N pixel rows of C channels:
/// gates [N, 4C] activated, c [N, C], c_prev [N, C] or NULL, dy [N, C] or NULL (gradient from
/// above), carry_h [N, C] read, carry_c [N, C] read and replaced by dc_prev; dG [N, 4C]
/// written; dbias [4C] += the column sums of dG.
void fk_convlstm_backward(int N, int C, const float *gates, const float *c, const float *c_prev,
                          const float *dy, const float *carry_h, float *carry_c, float *dG, float *dbias);

/// PyTorch weight w [O, cx + ch, k, k] -> wr [O, k*k*(cx + ch)] in im2row's column order.
void fk_conv_reorder_weight(int O, int cx, int ch, int k, const float *w, float *wr);

/// The inverse permutation, added: dw [O, cx + ch, k, k] += dwr (reordered layout).
void fk_conv_reorder_weight_grad_add(int O, int cx, int ch, int k, const float *dwr, float *dw);

/// Channels-first to channels-last: src [N, C, P] -> dst [N, P, C] (N images of P pixels),
/// and back (dst [N, C, P] from src [N, P, C]).
void fk_channels_last(int N, int C, int P, const float *src, float *dst);
void fk_channels_first(int N, int C, int P, const float *src, float *dst);

/// y = softplus(x) = log(1 + e^x) over n values (stable for large |x|).
void fk_softplus(int n, const float *x, float *y);
/// dx = dy * sigmoid(x) over n values (softplus backward from the pre-activation x).
void fk_softplus_backward(int n, const float *x, const float *dy, float *dx);
#endif
