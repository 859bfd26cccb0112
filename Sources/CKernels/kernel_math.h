// Private to CKernels (not in include/): the vectorisable activations and the target_clones
// attribute shared by RecurrentCells.c and ConvKernels.c.
//
// exp uses the Cephes single-precision polynomial (max relative error about 1 ulp on the
// clamped range); tanh uses Cephes' odd polynomial below |x| = 0.625 and 1 - 2/(e^2x + 1)
// above; sigmoid is 1 / (1 + e^-x). All are branch-free so loops over them vectorise.
#ifndef FORECAST_KERNEL_MATH_H
#define FORECAST_KERNEL_MATH_H
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define FK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FK_CLONES
#endif

// The unit loops read and write disjoint rows of one buffer (the gate blocks of a step) through
// pointers the compiler cannot prove apart; `restrict` on block-scope pointers is not enough
// for clang, which then guards the vector loop with overlap checks that failed at run time and
// left the scalar loop running (12x slower at batch 16). Every loop marked with this macro
// touches element j of each array only in iteration j.
#if defined(__clang__)
#define FK_INDEPENDENT _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define FK_INDEPENDENT _Pragma("GCC ivdep")
#else
#define FK_INDEPENDENT
#endif

static inline __attribute__((always_inline)) float fk_exp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    // n = round(x / ln 2) with the 1.5 * 2^23 trick (no rounding instruction needed).
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline __attribute__((always_inline)) float fk_sigmoid1(float x) { return 1.0f / (1.0f + fk_exp(-x)); }

static inline __attribute__((always_inline)) float fk_tanh1(float x) {
    float ax = x < 0 ? -x : x;
    float z = x * x;
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
                    + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
    float big = 1.0f - 2.0f / (fk_exp(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}

#endif
