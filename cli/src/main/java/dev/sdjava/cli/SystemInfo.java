package dev.sdjava.cli;

import dev.sdjava.Device;
import dev.sdjava.StableDiffusion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sdj system-info}: versions, where the library came from, backend devices, CPU features. */
@Command(name = "system-info", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, sortOptions = false,
        description = "Print sdjava's and sd.cpp's versions, where the native library was loaded from, "
                + "the backend's devices and the CPU features sd.cpp was built with.")
final class SystemInfo implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String library = StableDiffusion.loadLibrary();
        List<Device> devices = Device.list();
        String features = StableDiffusion.systemInfo().strip().replaceFirst("^System Info:\\s*", "")
                .replaceAll("\\s*\\|\\s*", " | ").replaceAll("\\s*=\\s*", "=").strip();
        String backend = StableDiffusion.backend();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("sdjava", Sdj.sdjavaVersion());
            o.put("sdcpp_version", StableDiffusion.version());
            o.put("sdcpp_commit", StableDiffusion.commit());
            o.put("library", library);
            o.put("backend", backend);
            List<Object> devs = new ArrayList<>();
            for (Device d : devices) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", d.name());
                m.put("description", d.description());
                m.put("type", d.type().name());
                m.put("memory_free", d.memoryFree());
                m.put("memory_total", d.memoryTotal());
                devs.add(m);
            }
            o.put("devices", devs);
            o.put("physical_cores", StableDiffusion.physicalCores());
            o.put("cpu_features", features);
            out.println(Json.write(o));
            return 0;
        }
        out.println("sdjava:             " + Sdj.sdjavaVersion());
        out.println("sd.cpp version:     " + StableDiffusion.version());
        out.println("sd.cpp commit:      " + StableDiffusion.commit());
        out.println("library:            " + library);
        out.println("backend:            " + backend);
        for (Device d : devices) {
            out.println("device:             " + d.name() + " (" + d.type().name().toLowerCase(Locale.ROOT) + ": "
                    + d.description() + (d.memoryTotal() > 0 ? ", " + Info.bytes(d.memoryTotal()) + " memory" : "") + ")");
        }
        out.println("physical cores:     " + StableDiffusion.physicalCores());
        out.println("cpu features:       " + features);
        return 0;
    }
}
