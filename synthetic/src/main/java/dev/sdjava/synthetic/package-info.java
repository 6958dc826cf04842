/**
 * Synthetic models: the real architectures stable-diffusion.cpp runs (Stable Diffusion 1.x and its smaller UNet
 * variants, Stable Diffusion 2.x with v-prediction, SDXL in its Segmind Vega variant, the tiny autoencoder, LoRA,
 * ControlNet, the ESRGAN upscaler) with deterministic random weights, written
 * as safetensors files, or directly as GGUF files of a quantized type, by pure Java code, for tests and benchmarks that
 * need model files but cannot download real ones.
 *
 * <p>The weights are random, so every picture made with these models is noise; what they do reproduce is the tensor
 * names, shapes, sizes, load paths and compute cost of the real models. Start with
 * {@link dev.sdjava.synthetic.SyntheticModel#cached(dev.sdjava.synthetic.Architecture,
 * dev.sdjava.synthetic.Precision, long)}:
 *
 * {@snippet :
 * Path model = SyntheticModel.cached(Architecture.SD1, Precision.F16, SyntheticModel.DEFAULT_SEED);
 * }
 */
package dev.sdjava.synthetic;
