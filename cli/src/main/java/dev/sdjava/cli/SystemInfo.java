package dev.sdjava.cli;

import dev.sdjava.Device;
import dev.sdjava.StableDiffusion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** {@code sdj system-info}: versions, where the library came from, backend devices, CPU features. */
@Command(name = "system-info", description = "Print sdjava's and sd.cpp's versions, where the native library was loaded from, "
                + "the backend's devices and the CPU features sd.cpp was built with.")
final class SystemInfo extends Subcommand {
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() {
        PrintWriter out = out();
        String library = StableDiffusion.loadLibrary();
        List<Device> devices = Device.list();
        String features = StableDiffusion.systemInfo().strip().replaceFirst("^System Info:\\s*", "")
                .replaceAll("\\s*\\|\\s*", " | ").replaceAll("\\s*=\\s*", "=").strip();
        String backend = StableDiffusion.backend();
        List<Object> devs = devices.stream().<Object>map(d -> Json.object("name", d.name(), "description", d.description(),
                "type", d.type().name(), "memory_free", d.memoryFree(), "memory_total", d.memoryTotal())).toList();
        if (json.print(out, Json.object("sdjava", Sdj.sdjavaVersion(), "sdcpp_version", StableDiffusion.version(),
                "sdcpp_commit", StableDiffusion.commit(), "library", library, "backend", backend, "devices", devs,
                "physical_cores", StableDiffusion.physicalCores(), "cpu_features", features))) {
            return 0;
        }
        out.println("sdjava:             " + Sdj.sdjavaVersion());
        out.println("sd.cpp version:     " + StableDiffusion.version());
        out.println("sd.cpp commit:      " + StableDiffusion.commit());
        out.println("library:            " + library);
        out.println("backend:            " + backend);
        for (Device d : devices) {
            out.println("device:             " + d.name() + " (" + d.type().name().toLowerCase(Locale.ROOT) + ": "
                    + d.description() + (d.memoryTotal() > 0 ? ", " + Units.bytes(d.memoryTotal()) + " memory" : "") + ")");
        }
        out.println("physical cores:     " + StableDiffusion.physicalCores());
        out.println("cpu features:       " + features);
        return 0;
    }
}
