package dev.sdjava.internal.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdjava.internal.bindings.TestSupport.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * bindgen.py --enum-names (publicenums.py): the public enums are written from the header and
 * sd.cpp's sources even with --probe-only (the -Pjextract build), and sources that no longer match
 * the header stop the build with a message naming the array and both counts. CEnumsTest checks
 * the generated names and values against the library.
 */
class PublicEnumsTest {

    @TempDir
    Path work;

    static Path enumNames() {
        return Path.of(System.getProperty("sdjava.test.enumNames",
                TestSupport.nativeDir().resolve("enum-names").toString()));
    }

    Result bindgen(Path names) throws IOException, InterruptedException {
        return TestSupport.run(work, "python3", TestSupport.bindgen().toAbsolutePath().toString(), "--probe-only",
                "--header", TestSupport.header().toAbsolutePath().toString(),
                "--package", "dev.sdjava.internal.bindings", "--header-class-name", "SdCpp",
                "--output", work.resolve("src").toString(), "--enum-names", names.toString());
    }

    Path copyOfNames() throws IOException {
        Path dir = Files.createDirectories(work.resolve("names"));
        for (String f : new String[] {"stable-diffusion.cpp", "ggml.c"}) {
            Files.copy(enumNames().resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** A copy of the enum-name sources with {@code from} replaced by {@code to} in {@code file}. */
    Path edited(String file, String from, String to) throws IOException {
        Path dir = copyOfNames();
        String text = Files.readString(dir.resolve(file));
        assertTrue(text.contains(from), file + " has no '" + from + "'");
        Files.writeString(dir.resolve(file), text.replace(from, to));
        return dir;
    }

    @Test
    void probeOnlyWritesTheEnumsAndReplacesOnlyTheirPackagesFiles() throws Exception {
        Path pkg = Files.createDirectories(work.resolve("src/dev/sdjava"));
        Path bindings = Files.createDirectories(pkg.resolve("internal/bindings"));
        Files.writeString(pkg.resolve("Removed.java"), "// an enum that is no longer in the spec");
        Files.writeString(bindings.resolve("SdCpp.java"), "// jextract's");

        Result r = bindgen(enumNames());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Files.readString(pkg.resolve("SamplingMethod.java")).contains("DPMPP_2M_V2(6, \"dpm++2mv2\")"));
        assertTrue(Files.readString(pkg.resolve("WeightType.java")).contains("Q4_K(12, \"q4_K\")"));
        assertTrue(Files.readString(pkg.resolve("CacheMode.java")).contains("SPECTRUM(6);"));
        assertFalse(Files.exists(pkg.resolve("Removed.java")));
        assertEquals("// jextract's", Files.readString(bindings.resolve("SdCpp.java")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "stable-diffusion.cpp | '\"dpm++2mv2\",' | ''"
                + " | sample_method_to_str[] has 14 names, enum sample_method_t has 15 constants (without SAMPLE_METHOD_COUNT)",
        "stable-diffusion.cpp | '\"at_runtime\",' | '\"at_runtime\", \"later\",'"
                + " | lora_apply_mode_to_str[] has 4 names, enum lora_apply_mode_t has 3 constants",
        "stable-diffusion.cpp | 'const char* preview_to_str[]' | 'const char* preview_names[]'"
                + " | 0 definitions of const char* preview_to_str[] = {...}; want exactly one",
        "stable-diffusion.cpp | '    \"tae\",' | '    TAE_NAME,' | preview_to_str[] is not a list of plain string literals",
        "ggml.c | '[GGML_TYPE_BF16] = {' | '[GGML_TYPE_BF16_RENAMED] = {' | no type_traits[GGML_TYPE_...] entry for SD_TYPE_BF16 of enum sd_type_t",
    })
    void sourcesThatDoNotMatchTheHeaderAreRefused(String file, String from, String to, String message)
            throws Exception {
        Result r = bindgen(edited(file, from, to));
        assertEquals(1, r.exitCode(), r.stdout());
        assertTrue(r.stderr().startsWith("bindgen.py: error: ") && r.stderr().contains(message), r.stderr());
    }

    @Test
    void aMissingSourceNamesTheBuildStepThatWritesIt() throws Exception {
        Path dir = copyOfNames();
        Files.delete(dir.resolve("ggml.c"));
        Result r = bindgen(dir);
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("ggml.c: the CMake build copies it from the sd.cpp tree (CMakeLists.txt)"),
                r.stderr());
    }
}
