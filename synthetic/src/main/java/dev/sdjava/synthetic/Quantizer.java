package dev.sdjava.synthetic;

import java.nio.ByteBuffer;

/**
 * ggml's block quantizations, ported statement by statement from the pinned {@code ggml/src/ggml-quants.c} so that
 * the bytes equal those of sd.cpp's {@code convert} (checked by the api module's {@code GgufWriterParityTest}).
 *
 * <p>Which C functions: {@code convert_tensor} (sd.cpp's {@code src/model.cpp}) calls {@code ggml_quantize_chunk}
 * with a dummy importance matrix of ones, so q8_0 takes {@code quantize_row_q8_0_ref} (it ignores the matrix) but
 * q4_0 and q4_K take the weighted paths {@code quantize_row_q4_0_impl} ({@code make_qx_quants}) and
 * {@code quantize_row_q4_K_impl} ({@code make_qkx3_quants}, {@code make_qp_quants}), not the {@code _ref} ones. The
 * weights {@code 1 * sqrtf(...)} are written here without the factor 1, which changes nothing.
 *
 * <p>Why plain Java float arithmetic gives the same bits: ggml-quants.c is part of ggml-base, compiled without
 * {@code -march=native} (plain x86-64: SSE2, no FMA, no F16C) and without {@code -ffast-math}, so every C expression
 * is rounded to float in source order, as Java does; half floats go through ggml's software
 * {@code ggml_compute_fp32_to_fp16} (round to nearest even, like {@link Float#floatToFloat16}). Each expression
 * below keeps C's left-to-right grouping ({@code w*x*l} is {@code (w*x)*l}).
 */
final class Quantizer {
    private static final float GROUP_MAX_EPS = 1e-15f;
    private static final int QK_K = 256;

    private Quantizer() {
    }

    /** ggml's {@code nearest_int}: round to nearest, ties to even, through the float adder. */
    static int nearestInt(float f) {
        float val = f + 12582912.f;
        int i = Float.floatToRawIntBits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** C's {@code roundf}: halves away from zero (exact in double for floats of this size). */
    private static float roundf(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    /**
     * Quantizes {@code rows} rows of {@code rowLength} floats from {@code x[0..]} and puts the blocks into
     * {@code out} at its position (little-endian), as {@code ggml_quantize_chunk(type, ..., imatrix of ones)}.
     */
    static void quantize(GgufType type, float[] x, int rows, int rowLength, ByteBuffer out, Scratch s) {
        switch (type) {
            case Q8_0 -> q8_0(x, rows * rowLength, out);
            case Q4_0 -> {
                for (int r = 0; r < rows; r++) {
                    q4_0Row(x, r * rowLength, rowLength, out, s);
                }
            }
            case Q4_K -> {
                for (int r = 0; r < rows; r++) {
                    q4_KRow(x, r * rowLength, rowLength, out, s);
                }
            }
            default -> throw new IllegalArgumentException(type + " is not a block quantization");
        }
    }

    /** Per-thread work arrays (the C functions' locals). */
    static final class Scratch {
        final int[] l = new int[QK_K];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] sw = new float[QK_K / 32];
        final float[] mins = new float[QK_K / 32];
        final float[] scales = new float[QK_K / 32];
        final int[] ls = new int[QK_K / 32];
        final int[] lm = new int[QK_K / 32];
        final int[] sc = new int[12];
        final float[] min = new float[1];
    }

    // ---------------------------------------------------------------- q8_0

    /** {@code quantize_row_q8_0_ref} over {@code k} floats. */
    static void q8_0(float[] x, int k, ByteBuffer out) {
        int nb = k / 32;
        for (int i = 0; i < nb; i++) {
            float amax = 0.0f;
            for (int j = 0; j < 32; j++) {
                float v = Math.abs(x[i * 32 + j]);
                amax = amax > v ? amax : v;
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            out.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float x0 = x[i * 32 + j] * id;
                out.put((byte) (int) roundf(x0));
            }
        }
    }

    // ---------------------------------------------------------------- q4_0

    /** {@code quantize_row_q4_0_impl} with quant_weights all 1. */
    static void q4_0Row(float[] x, int off, int n, ByteBuffer out, Scratch s) {
        float sumX2 = 0;
        for (int j = 0; j < n; ++j) {
            sumX2 += x[off + j] * x[off + j];
        }
        float sigma2 = sumX2 / n;
        float[] weight = s.weights;
        int[] l = s.l;
        int nb = n / 32;
        for (int ib = 0; ib < nb; ++ib) {
            int xb = off + 32 * ib;
            for (int j = 0; j < 32; ++j) {
                weight[j] = (float) Math.sqrt(sigma2 + x[xb + j] * x[xb + j]);
            }
            float d = makeQxQuants(32, 8, x, xb, l, weight);
            out.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 16; ++j) {
                out.put((byte) (l[j] | (l[j + 16] << 4)));
            }
        }
    }

    /** {@code make_qx_quants} with {@code rmse_type} 1 and weights {@code qw}. */
    private static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] bigL, float[] qw) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                bigL[i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xo + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            bigL[i] = l + nmax;
            float w = qw[i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xo + i]);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qw[i];
                sumlx += w * x[xo + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xo + i]);
                    bigL[i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    // ---------------------------------------------------------------- q4_K

    /** {@code quantize_row_q4_K_impl} with quant_weights all 1. */
    static void q4_KRow(float[] x, int off, int n, ByteBuffer out, Scratch s) {
        int nb = n / QK_K;
        int[] bigL = s.l;
        float[] weights = s.weights;
        int[] sc = s.sc;
        for (int i = 0; i < nb; i++) {
            int xo = off + i * QK_K;
            float sumX2 = 0;
            for (int l = 0; l < QK_K; ++l) {
                sumX2 += x[xo + l] * x[xo + l];
            }
            float sigma2 = 2 * sumX2 / QK_K;
            for (int j = 0; j < QK_K / 32; ++j) {
                for (int l = 0; l < 32; ++l) {
                    weights[l] = (float) Math.sqrt(sigma2 + x[xo + 32 * j + l] * x[xo + 32 * j + l]);
                }
                float sumw = 0;
                for (int l = 0; l < 32; ++l) {
                    sumw += weights[l];
                }
                s.sw[j] = sumw;
                s.scales[j] = makeQkx3Quants(32, 15, x, xo + 32 * j, weights, bigL, 32 * j, s.min, s.laux,
                        -0.9f, 0.05f, 36);
                s.mins[j] = s.min[0];
            }
            float dBlock = makeQpQuants(QK_K / 32, 63, s.scales, s.ls, s.sw);
            float mBlock = makeQpQuants(QK_K / 32, 63, s.mins, s.lm, s.sw);
            for (int j = 0; j < QK_K / 32; ++j) {
                int ls = s.ls[j];
                int lm = s.lm[j];
                if (j < 4) {
                    sc[j] = ls;
                    sc[j + 4] = lm;
                } else {
                    sc[j + 4] = ((ls & 0xF) | ((lm & 0xF) << 4)) & 0xFF;
                    sc[j - 4] = (sc[j - 4] | ((ls >> 4) << 6)) & 0xFF;
                    sc[j] = (sc[j] | ((lm >> 4) << 6)) & 0xFF;
                }
            }
            short dh = Float.floatToFloat16(dBlock);
            short mh = Float.floatToFloat16(mBlock);
            for (int j = 0; j < QK_K / 32; ++j) {
                int scj;
                int mj;
                if (j < 4) {
                    scj = sc[j] & 63;
                    mj = sc[j + 4] & 63;
                } else {
                    scj = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4);
                    mj = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4);
                }
                float d = Float.float16ToFloat(dh) * scj;
                if (d == 0) {
                    continue;
                }
                float dm = Float.float16ToFloat(mh) * mj;
                for (int ii = 0; ii < 32; ++ii) {
                    int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                    l = Math.max(0, Math.min(15, l));
                    bigL[32 * j + ii] = l;
                }
            }
            out.putShort(dh);
            out.putShort(mh);
            for (int j = 0; j < 12; j++) {
                out.put((byte) sc[j]);
            }
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; ++l) {
                    out.put((byte) (bigL[j + l] | (bigL[j + l + 32] << 4)));
                }
            }
        }
    }

    /**
     * {@code make_qkx3_quants} with weights and {@code use_mad} false: the levels go to {@code bigL[lo..lo+n)}, the
     * negated minimum to {@code theMin[0]}; returns the scale.
     */
    private static float makeQkx3Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] bigL, int lo,
                                        float[] theMin, int[] laux, float rmin, float rdelta, int nstep) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max <= min) {
            for (int i = 0; i < n; ++i) {
                bigL[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            bigL[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * bigL[lo + i] + min - x[xo + i];
            diff = diff * diff;
            float w = weights[i];
            bestMad += w * diff;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xo + i];
            }
            float bigD = sumW * sumL2 - sumL * sumL;
            if (bigD > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / bigD;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / bigD;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = diff * diff;
                    float w = weights[i];
                    mad += w * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, bigL, lo, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /** {@code make_qp_quants}: levels (uint8_t in C, so stored modulo 256) to {@code bigL}; returns the scale. */
    private static float makeQpQuants(int n, int nmax, float[] x, int[] bigL, float[] quantWeights) {
        float max = 0;
        for (int i = 0; i < n; ++i) {
            max = max > x[i] ? max : x[i];
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                bigL[i] = 0;
            }
            return 0.f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) {
            bigL[i] = nearestInt(iscale * x[i]) & 0xFF;
        }
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = x[i] - scale * bigL[i];
            float w = quantWeights[i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) {
                continue;
            }
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscaleIs * x[i]);
                l = Math.min(nmax, l);
                float diff = x[i] - scaleIs * l;
                float w = quantWeights[i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[i]);
            l = Math.min(nmax, l);
            bigL[i] = l & 0xFF;
            float w = quantWeights[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float w = quantWeights[i];
                float slx = sumlx - w * x[i] * bigL[i];
                float sl2 = suml2 - w * bigL[i] * bigL[i];
                if (slx > 0 && sl2 > 0) {
                    int newL = nearestInt(x[i] * sl2 / slx);
                    newL = Math.min(nmax, newL);
                    if (newL != bigL[i]) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            bigL[i] = newL & 0xFF;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) {
                break;
            }
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
}
