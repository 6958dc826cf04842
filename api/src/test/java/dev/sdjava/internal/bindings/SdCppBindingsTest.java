package dev.sdjava.internal.bindings;

import static dev.sdjava.internal.bindings.TestSupport.cString;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calls into the real libstable-diffusion through the generated bindings: strings, enum
 * name round-trips, parameter defaults written by C and read by Java (and back), a struct
 * passed by value, and an upcall.
 */
class SdCppBindingsTest {

    @BeforeAll
    static void load() {
        TestSupport.loadLibrary();
    }

    @Test
    void versionAndCommitAreTheOnesThisBuildRecorded() throws IOException {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(TestSupport.nativeDir().resolve("sdjava-native.properties"))) {
            props.load(r);
        }
        String version = cString(SdCpp.sd_version());
        assertFalse(version.isBlank());
        assertEquals(props.getProperty("sdcpp.version"), version);
        String commit = cString(SdCpp.sd_commit());
        assertFalse(commit.isBlank());
        assertEquals(props.getProperty("sdcpp.commit"), commit);
    }

    @Test
    void unprototypedFunctionsUseTheVariadicInvokerShape() {
        // sd_get_system_info() and sd_get_num_physical_cores() are declared with "()", which
        // in C means "no prototype": jextract (libclang) treats them as variadic, so the
        // binding is an invoker class, called with no variadic arguments.
        String info = cString(SdCpp.sd_get_system_info.makeInvoker().apply());
        assertFalse(info.isBlank());
        assertTrue(info.contains("System Info"), info);
        int cores = SdCpp.sd_get_num_physical_cores.makeInvoker().apply();
        assertTrue(cores > 0, "cores: " + cores);
    }

    /**
     * For each value below {@code count}: its name is a real name (not the "NONE" that marks
     * out-of-range values) and parses back to the value. The count itself is "NONE", and an
     * unknown name parses to the count.
     */
    private static void assertRoundTrips(String family, int count, IntFunction<MemorySegment> name,
                                         ToIntFunction<MemorySegment> parse) {
        try (Arena arena = Arena.ofConfined()) {
            List<String> names = new ArrayList<>();
            for (int v = 0; v < count; v++) {
                String n = cString(name.apply(v));
                assertNotEquals("NONE", n, family + " " + v);
                assertEquals(v, parse.applyAsInt(arena.allocateFrom(n)), family + " '" + n + "'");
                names.add(n);
            }
            assertEquals(count, Set.copyOf(names).size(), family + " names must be distinct: " + names);
            assertEquals("NONE", cString(name.apply(count)), family + " COUNT");
            assertEquals(count, parse.applyAsInt(arena.allocateFrom("no such " + family)), family);
        }
    }

    @Test
    void enumNamesRoundTrip() {
        assertAll(
                () -> assertRoundTrips("sampler", SdCpp.SAMPLE_METHOD_COUNT(),
                        SdCpp::sd_sample_method_name, SdCpp::str_to_sample_method),
                () -> assertRoundTrips("scheduler", SdCpp.SCHEDULER_COUNT(),
                        SdCpp::sd_scheduler_name, SdCpp::str_to_scheduler),
                () -> assertRoundTrips("rng", SdCpp.RNG_TYPE_COUNT(),
                        SdCpp::sd_rng_type_name, SdCpp::str_to_rng_type),
                () -> assertRoundTrips("prediction", SdCpp.PREDICTION_COUNT(),
                        SdCpp::sd_prediction_name, SdCpp::str_to_prediction),
                () -> assertRoundTrips("preview", SdCpp.PREVIEW_COUNT(),
                        SdCpp::sd_preview_name, SdCpp::str_to_preview),
                () -> assertRoundTrips("lora apply mode", SdCpp.LORA_APPLY_MODE_COUNT(),
                        SdCpp::sd_lora_apply_mode_name, SdCpp::str_to_lora_apply_mode),
                () -> assertRoundTrips("hires upscaler", SdCpp.SD_HIRES_UPSCALER_COUNT(),
                        SdCpp::sd_hires_upscaler_name, SdCpp::str_to_sd_hires_upscaler));
        assertEquals("euler_a", cString(SdCpp.sd_sample_method_name(SdCpp.EULER_A_SAMPLE_METHOD())));
        assertEquals("karras", cString(SdCpp.sd_scheduler_name(SdCpp.KARRAS_SCHEDULER())));
        assertEquals("None", cString(SdCpp.sd_hires_upscaler_name(SdCpp.SD_HIRES_UPSCALER_NONE())));
    }

    /** The values of every SD_TYPE_* constant the header declares (SD_TYPE_COUNT excluded). */
    private static Set<Integer> declaredSdTypes() throws ReflectiveOperationException {
        Set<Integer> values = new TreeSet<>();
        for (Method m : SdCpp.class.getMethods()) {
            if (m.getName().startsWith("SD_TYPE_") && !m.getName().equals("SD_TYPE_COUNT")
                    && m.getParameterCount() == 0 && Modifier.isStatic(m.getModifiers())) {
                values.add((Integer) m.invoke(null));
            }
        }
        return values;
    }

    @Test
    void sdTypeNamesRoundTripForDeclaredTypes() throws ReflectiveOperationException {
        // sd_type_t mirrors ggml_type, which has holes: 4 and 5 (Q4_2, Q4_3) and 31-33, 36-38
        // (repacked Q4_0/IQ4_NL variants) were removed. The header keeps them only as comments,
        // so they are not SD_TYPE_* constants. ggml still names them ("DEPRECATED" for both 4
        // and 5, "TYPE_... REMOVED, use ..." for the others), so name(v) is not NULL, but the
        // round-trip is not defined: str_to_sd_type("DEPRECATED") is 4 even for 5. Those
        // values are skipped; every declared value must round-trip.
        Set<Integer> declared = declaredSdTypes();
        assertTrue(declared.size() > 30, "declared: " + declared);
        int count = SdCpp.SD_TYPE_COUNT();
        List<Integer> skipped = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int v = 0; v < count; v++) {
                if (!declared.contains(v)) {
                    skipped.add(v);
                    continue;
                }
                String n = cString(SdCpp.sd_type_name(v));
                assertNotEquals("NONE", n, "sd_type " + v);
                assertEquals(v, SdCpp.str_to_sd_type(arena.allocateFrom(n)), "sd_type '" + n + "'");
            }
            assertEquals(count, SdCpp.str_to_sd_type(arena.allocateFrom("no such type")));
        }
        assertEquals(List.of(4, 5, 31, 32, 33, 36, 37, 38), skipped);
        assertEquals("NONE", cString(SdCpp.sd_type_name(count)));
        assertEquals("f16", cString(SdCpp.sd_type_name(SdCpp.SD_TYPE_F16())));
        assertEquals("q4_K", cString(SdCpp.sd_type_name(SdCpp.SD_TYPE_Q4_K())));
    }

    @Test
    void ctxParamsInitWritesTheDefaultsOfStableDiffusionCpp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = sd_ctx_params_t.allocate(arena).fill((byte) 0x5A); // init must zero it first
            SdCpp.sd_ctx_params_init(p);
            // expected values: sd_ctx_params_init in src/stable-diffusion.cpp
            assertAll(
                    () -> assertEquals(MemorySegment.NULL, sd_ctx_params_t.model_path(p)),
                    () -> assertEquals(MemorySegment.NULL, sd_ctx_params_t.embeddings(p)),
                    () -> assertEquals(0, sd_ctx_params_t.embedding_count(p)),
                    () -> assertTrue(sd_ctx_params_t.vae_decode_only(p)),
                    () -> assertTrue(sd_ctx_params_t.free_params_immediately(p)),
                    () -> assertEquals(SdCpp.sd_get_num_physical_cores.makeInvoker().apply(),
                            sd_ctx_params_t.n_threads(p)),
                    () -> assertEquals(SdCpp.SD_TYPE_COUNT(), sd_ctx_params_t.wtype(p)),
                    () -> assertEquals(SdCpp.CUDA_RNG(), sd_ctx_params_t.rng_type(p)),
                    () -> assertEquals(SdCpp.RNG_TYPE_COUNT(), sd_ctx_params_t.sampler_rng_type(p)),
                    () -> assertEquals(SdCpp.PREDICTION_COUNT(), sd_ctx_params_t.prediction(p)),
                    () -> assertEquals(SdCpp.LORA_APPLY_AUTO(), sd_ctx_params_t.lora_apply_mode(p)),
                    () -> assertFalse(sd_ctx_params_t.enable_mmap(p)),
                    () -> assertFalse(sd_ctx_params_t.flash_attn(p)),
                    () -> assertFalse(sd_ctx_params_t.circular_y(p)),
                    () -> assertTrue(sd_ctx_params_t.chroma_use_dit_mask(p)),
                    () -> assertFalse(sd_ctx_params_t.chroma_use_t5_mask(p)),
                    () -> assertEquals(1, sd_ctx_params_t.chroma_t5_mask_pad(p)),
                    () -> assertFalse(sd_ctx_params_t.qwen_image_zero_cond_t(p)),
                    () -> assertEquals(0f, sd_ctx_params_t.max_vram(p)));
        }
    }

    @Test
    void imgGenParamsInitWritesTheDefaultsOfStableDiffusionCpp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = sd_img_gen_params_t.allocate(arena).fill((byte) 0x5A);
            SdCpp.sd_img_gen_params_init(p);
            // expected values: sd_img_gen_params_init, sd_sample_params_init, sd_cache_params_init
            // and sd_hires_params_init in src/stable-diffusion.cpp
            MemorySegment sample = sd_img_gen_params_t.sample_params(p);
            MemorySegment guidance = sd_sample_params_t.guidance(sample);
            MemorySegment slg = sd_guidance_params_t.slg(guidance);
            MemorySegment cache = sd_img_gen_params_t.cache(p);
            MemorySegment hires = sd_img_gen_params_t.hires(p);
            assertAll(
                    () -> assertEquals(MemorySegment.NULL, sd_img_gen_params_t.prompt(p)),
                    () -> assertEquals(-1, sd_img_gen_params_t.clip_skip(p)),
                    () -> assertEquals(512, sd_img_gen_params_t.width(p)),
                    () -> assertEquals(512, sd_img_gen_params_t.height(p)),
                    () -> assertEquals(0.75f, sd_img_gen_params_t.strength(p)),
                    () -> assertEquals(-1L, sd_img_gen_params_t.seed(p)),
                    () -> assertEquals(1, sd_img_gen_params_t.batch_count(p)),
                    () -> assertEquals(0.9f, sd_img_gen_params_t.control_strength(p)),
                    () -> assertEquals(0, sd_image_t.width(sd_img_gen_params_t.init_image(p))),
                    () -> assertEquals(20, sd_sample_params_t.sample_steps(sample)),
                    () -> assertEquals(SdCpp.SCHEDULER_COUNT(), sd_sample_params_t.scheduler(sample)),
                    () -> assertEquals(SdCpp.SAMPLE_METHOD_COUNT(), sd_sample_params_t.sample_method(sample)),
                    () -> assertEquals(Float.POSITIVE_INFINITY, sd_sample_params_t.eta(sample)),
                    () -> assertEquals(Float.POSITIVE_INFINITY, sd_sample_params_t.flow_shift(sample)),
                    () -> assertEquals(7.0f, sd_guidance_params_t.txt_cfg(guidance)),
                    () -> assertEquals(Float.POSITIVE_INFINITY, sd_guidance_params_t.img_cfg(guidance)),
                    () -> assertEquals(3.5f, sd_guidance_params_t.distilled_guidance(guidance)),
                    () -> assertEquals(0L, sd_slg_params_t.layer_count(slg)),
                    () -> assertEquals(0.01f, sd_slg_params_t.layer_start(slg)),
                    () -> assertEquals(0.2f, sd_slg_params_t.layer_end(slg)),
                    () -> assertEquals(20.0f, sd_pm_params_t.style_strength(sd_img_gen_params_t.pm_params(p))),
                    () -> assertEquals(0.5f, sd_tiling_params_t.target_overlap(sd_img_gen_params_t.vae_tiling_params(p))),
                    () -> assertEquals(SdCpp.SD_CACHE_DISABLED(), sd_cache_params_t.mode(cache)),
                    () -> assertEquals(0.15f, sd_cache_params_t.start_percent(cache)),
                    () -> assertEquals(0.95f, sd_cache_params_t.end_percent(cache)),
                    () -> assertEquals(8, sd_cache_params_t.Fn_compute_blocks(cache)),
                    () -> assertEquals(-1, sd_cache_params_t.max_cached_steps(cache)),
                    () -> assertEquals(0.9f, sd_cache_params_t.spectrum_stop_percent(cache)),
                    () -> assertFalse(sd_hires_params_t.enabled(hires)),
                    () -> assertEquals(SdCpp.SD_HIRES_UPSCALER_LATENT(), sd_hires_params_t.upscaler(hires)),
                    () -> assertEquals(2.0f, sd_hires_params_t.scale(hires)),
                    () -> assertEquals(0.7f, sd_hires_params_t.denoising_strength(hires)),
                    () -> assertEquals(128, sd_hires_params_t.upscale_tile_size(hires)));
        }
    }

    @Test
    void vidGenParamsInitWritesTheDefaultsOfStableDiffusionCpp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = sd_vid_gen_params_t.allocate(arena).fill((byte) 0x5A);
            SdCpp.sd_vid_gen_params_init(p);
            assertAll(
                    () -> assertEquals(20, sd_sample_params_t.sample_steps(sd_vid_gen_params_t.sample_params(p))),
                    () -> assertEquals(-1, sd_sample_params_t.sample_steps(
                            sd_vid_gen_params_t.high_noise_sample_params(p))),
                    () -> assertEquals(0.875f, sd_vid_gen_params_t.moe_boundary(p)),
                    () -> assertEquals(6, sd_vid_gen_params_t.video_frames(p)),
                    () -> assertEquals(1.0f, sd_vid_gen_params_t.vace_strength(p)),
                    () -> assertEquals(-1L, sd_vid_gen_params_t.seed(p)),
                    () -> assertEquals(0.9f, sd_cache_params_t.spectrum_stop_percent(sd_vid_gen_params_t.cache(p))));
        }
    }

    @Test
    void valuesWrittenByJavaAreWhatCReads() throws Throwable {
        MethodHandle free = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().findOrThrow("free"), FunctionDescriptor.ofVoid(ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = sd_img_gen_params_t.allocate(arena);
            SdCpp.sd_img_gen_params_init(p);
            sd_img_gen_params_t.prompt(p, arena.allocateFrom("a lighthouse"));
            sd_img_gen_params_t.width(p, 768);
            sd_img_gen_params_t.seed(p, 1L << 40);
            sd_sample_params_t.sample_steps(sd_img_gen_params_t.sample_params(p), 7);
            sd_hires_params_t.upscaler(sd_img_gen_params_t.hires(p), SdCpp.SD_HIRES_UPSCALER_LANCZOS());
            MemorySegment text = SdCpp.sd_img_gen_params_to_str(p);
            try {
                String s = cString(text);
                assertAll(
                        () -> assertTrue(s.contains("prompt: a lighthouse\n"), s),
                        () -> assertTrue(s.contains("width: 768\n"), s),
                        () -> assertTrue(s.contains("seed: " + (1L << 40) + "\n"), s),
                        () -> assertTrue(s.contains("sample_steps: 7,"), s),
                        () -> assertTrue(s.contains("upscaler=Lanczos"), s));
            } finally {
                free.invokeExact(text);
            }
        }
    }

    @Test
    void structPassedByValueToPreprocessCanny() {
        int w = 32;
        int h = 32;
        int c = 3;
        try (Arena arena = Arena.ofConfined()) {
            // a white 16x16 square on black: canny keeps only pixels near its border
            MemorySegment pixels = arena.allocate((long) w * h * c);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean inside = x >= 8 && x < 24 && y >= 8 && y < 24;
                    for (int k = 0; k < c; k++) {
                        pixels.set(JAVA_BYTE, (long) (y * w + x) * c + k, (byte) (inside ? 255 : 0));
                    }
                }
            }
            byte[] before = pixels.toArray(JAVA_BYTE);
            MemorySegment image = sd_image_t.allocate(arena);
            sd_image_t.width(image, w);
            sd_image_t.height(image, h);
            sd_image_t.channel(image, c);
            sd_image_t.data(image, pixels);

            assertTrue(SdCpp.preprocess_canny(image, 0.08f, 0.08f, 0.8f, 1.0f, false));

            byte[] after = pixels.toArray(JAVA_BYTE);
            assertFalse(Arrays.equals(before, after), "pixels unchanged");
            int edges = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * c;
                    assertTrue(after[i] == after[i + 1] && after[i] == after[i + 2], "gray at " + x + "," + y);
                    if (after[i] != 0) {
                        edges++;
                        int fromBorder = Math.min(Math.min(Math.abs(x - 8), Math.abs(x - 23)),
                                Math.min(Math.abs(y - 8), Math.abs(y - 23)));
                        assertTrue(fromBorder <= 4, "edge far from the square at " + x + "," + y);
                    }
                }
            }
            assertTrue(edges >= 40 && edges <= 300, "edge pixels: " + edges);
            assertEquals(0, after[(16 * w + 16) * c], "inside the square");
            assertEquals(0, after[0], "corner");
        }
    }

    @Test
    void aCallWithASegmentOfAClosedArenaThrowsIllegalStateException() {
        // as jextract: runtime exceptions of a downcall reach the caller as they are
        Arena arena = Arena.ofConfined();
        MemorySegment name = arena.allocateFrom("euler_a");
        MemorySegment stub = sd_log_cb_t.allocate((level, text, data) -> { }, arena);
        arena.close();
        assertThrows(IllegalStateException.class, () -> SdCpp.str_to_sample_method(name));
        assertThrows(IllegalStateException.class,
                () -> sd_log_cb_t.invoke(stub, SdCpp.SD_LOG_INFO(), MemorySegment.NULL, MemorySegment.NULL));
    }

    @Test
    void callbackClassesAreFinalAndNamedAsTheHeaderNamesTheirParameters() throws IOException {
        Path dir = Path.of(System.getProperty("sdjava.test.generated", "target/generated-sources/sdcpp"))
                .resolve("dev/sdjava/internal/bindings");
        // the Function interfaces as the generator wrote them (whitespace aside), bindgen.py or jextract
        for (String[] c : new String[][] {
                {"sd_log_cb_t", "int level, MemorySegment text, MemorySegment data"},
                {"sd_progress_cb_t", "int step, int steps, float time, MemorySegment data"},
                {"sd_preview_cb_t", "int step, int frame_count, MemorySegment frames, boolean is_noisy, MemorySegment data"}}) {
            String src = Files.readString(dir.resolve(c[0] + ".java")).replaceAll("\\s+", " ");
            assertTrue(src.contains("public final class " + c[0] + " {"), c[0]);
            assertTrue(src.contains("void apply(" + c[1] + ");"), c[0] + ": " + src);
            // jextract emits no AddressLayout constant for a function-pointer typedef
            assertThrows(NoSuchFieldException.class, () -> SdCpp.class.getField(c[0]), c[0]);
        }
        for (Class<?> c : List.of(sd_log_cb_t.class, sd_progress_cb_t.class, sd_preview_cb_t.class)) {
            assertTrue(Modifier.isFinal(c.getModifiers()), c.getName());
        }
        // the primitive layouts live in jextract's SdCpp$shared, which SdCpp extends
        assertEquals("SdCpp$shared", SdCpp.class.getSuperclass().getSimpleName());
    }

    @Test
    void logCallbackUpcall() {
        List<String> messages = Collections.synchronizedList(new ArrayList<>());
        List<Long> userData = Collections.synchronizedList(new ArrayList<>());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stub = sd_log_cb_t.allocate((level, text, data) -> {
                // an exception escaping an upcall kills the JVM: record, never throw
                messages.add(level + " " + text.reinterpret(Long.MAX_VALUE).getString(0));
                userData.add(data.address());
            }, arena);

            sd_log_cb_t.invoke(stub, SdCpp.SD_LOG_WARN(), arena.allocateFrom("direct"), MemorySegment.NULL);
            assertEquals(List.of(SdCpp.SD_LOG_WARN() + " direct"), messages);
            messages.clear();
            userData.clear();

            SdCpp.sd_set_log_callback(stub, MemorySegment.ofAddress(0x5D));
            try {
                // a missing model: new_sd_ctx logs why it fails and returns NULL
                MemorySegment params = sd_ctx_params_t.allocate(arena);
                SdCpp.sd_ctx_params_init(params);
                sd_ctx_params_t.model_path(params, arena.allocateFrom("/nonexistent/sdjava-test.gguf"));
                assertEquals(MemorySegment.NULL, SdCpp.new_sd_ctx(params));
            } finally {
                SdCpp.sd_set_log_callback(MemorySegment.NULL, MemorySegment.NULL);
            }
            assertFalse(messages.isEmpty());
            assertTrue(messages.stream().anyMatch(m -> m.startsWith(SdCpp.SD_LOG_ERROR() + " ")
                    && m.contains("/nonexistent/sdjava-test.gguf")), messages::toString);
            assertTrue(userData.stream().allMatch(d -> d == 0x5D), userData::toString);
        }
    }
}
