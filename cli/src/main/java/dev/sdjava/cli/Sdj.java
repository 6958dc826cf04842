package dev.sdjava.cli;

import dev.sdjava.NativeLoader;
import dev.sdjava.StableDiffusion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code sdj}: the sdjava command line. */
@Command(name = "sdj", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class,
        description = "Stable Diffusion on stable-diffusion.cpp, from Java.",
        subcommands = {Sdj.SystemInfo.class})
public final class Sdj implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** Runs {@code sdj} with {@code args}; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Sdj());
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Sdj()).execute(args));
    }

    /** {@code sdj --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String own = Sdj.class.getPackage().getImplementationVersion();
            return new String[] {"sdjava " + (own == null ? "dev" : own),
                    "stable-diffusion.cpp " + StableDiffusion.version() + " (commit " + StableDiffusion.commit() + ")"};
        }
    }

    /** {@code sdj system-info}: versions, library location, CPU features. */
    @Command(name = "system-info", description = "Print sd.cpp's version, where its library was loaded from, and its CPU/backend features.")
    static final class SystemInfo implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.println("stable-diffusion.cpp version: " + StableDiffusion.version());
            out.println("stable-diffusion.cpp commit:  " + StableDiffusion.commit());
            out.println("library:                      " + NativeLoader.load());
            out.println("physical cores:               " + StableDiffusion.physicalCores());
            out.println("system info:                  " + StableDiffusion.systemInfo().strip());
            return 0;
        }
    }
}
