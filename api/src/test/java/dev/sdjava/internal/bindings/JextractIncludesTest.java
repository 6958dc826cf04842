package dev.sdjava.internal.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * src/main/jextract/includes.txt (the filters `mvn -Pjextract` passes to the real jextract)
 * must list exactly the declarations the generator binds, for the header that was built.
 */
class JextractIncludesTest {

    @Test
    void includesFileIsCurrentAndMatchesTheBindings(@TempDir Path tmp) throws Exception {
        Path fresh = tmp.resolve("includes.txt");
        TestSupport.exec(tmp, "python3", TestSupport.bindgen().toAbsolutePath().toString(),
                "--header", TestSupport.header().toAbsolutePath().toString(),
                "--package", "dev.sdjava.internal.bindings", "--header-class-name", "SdCpp",
                "--output", tmp.resolve("src").toString(), "--dump-includes", fresh.toString());
        Path committed = Path.of(System.getProperty("sdjava.test.includes", "src/main/jextract/includes.txt"));
        assertEquals(Files.readString(fresh), Files.readString(committed),
                "includes.txt is stale: regenerate it with bindgen.py --dump-includes " + committed);

        Set<String> methods = Arrays.stream(SdCpp.class.getMethods()).map(Method::getName).collect(Collectors.toSet());
        Set<String> nested = Arrays.stream(SdCpp.class.getClasses()).map(Class::getSimpleName).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        for (String line : Files.readAllLines(committed)) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 2 || w[0].startsWith("#")) {
                continue;
            }
            String name = w[1];
            boolean bound = switch (w[0]) {
                case "--include-function" -> methods.contains(name) || nested.contains(name); // variadic: invoker class
                case "--include-constant" -> methods.contains(name);
                case "--include-typedef", "--include-struct" -> classExists(name);
                default -> false;
            };
            if (!bound) {
                problems.add(line);
            }
            if (Set.of("size_t", "int64_t", "uint32_t", "memcpy", "strlen", "NULL").contains(name)) {
                problems.add("libc symbol: " + line);
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(Files.readAllLines(committed).stream().filter(l -> l.startsWith("--include-function")).count() > 40);
    }

    private static boolean classExists(String name) {
        try {
            Class.forName("dev.sdjava.internal.bindings." + name);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
