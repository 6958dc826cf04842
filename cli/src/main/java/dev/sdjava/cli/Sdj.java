package dev.sdjava.cli;

import dev.sdjava.InvalidModelFileException;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;

/**
 * {@code sdj}: the sdjava command line.
 *
 * <p>Exit codes: 0 success, 1 anything unexpected (a bug, no native library, an unwritable
 * output), 2 usage error, 3 an input file is missing or unreadable, 4 a model could not be
 * loaded, 5 generation (upscaling, conversion) failed, 130 interrupted. Every failure is one line
 * on stderr; {@code -v} adds the Java stack trace.
 */
@Command(name = "sdj", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Stable Diffusion on stable-diffusion.cpp, from Java.",
        subcommands = {Generate.class, Video.class, Serve.class, Worker.class, Calibrate.class, Upscale.class, Convert.class, Info.class, TestModel.class, Demo.class,
                SystemInfo.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 other failure, 2 usage, 3 unreadable input file,",
                "4 model load failure, 5 generation failure, 130 interrupted (Ctrl-C)."})
public final class Sdj implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "More detail on stderr: -v shows sd.cpp's log and stack traces, -vv also debug lines.") boolean[] verbose = new boolean[0];

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "No progress, notes or warnings on stderr (errors still show).") boolean quiet;

    private boolean interactive;
    private Term term;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Failure.USAGE;
    }

    /** The stderr of this run (progress, notes, log lines). */
    Term term() {
        return term;
    }

    int verbosity() {
        return verbose.length;
    }

    /** Runs {@code sdj} with {@code args}; returns the exit code. Progress is written as plain lines. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, false, args);
    }

    static int run(PrintWriter out, PrintWriter err, boolean interactive, String... args) {
        Sdj root = new Sdj();
        root.interactive = interactive;
        // Log routing before anything can load the library; set again once -v/-q are parsed.
        root.term = new Term(err, interactive, false);
        Logs.configure(0, false, root.term);
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parsed -> {
            rejectRepeatedOptions(parsed);
            root.term = new Term(cl.getErr(), root.interactive, root.quiet);
            Logs.configure(root.verbosity(), root.quiet, root.term);
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setParameterExceptionHandler(Sdj::usageError);
        cl.setExecutionExceptionHandler((ex, c, parsed) -> root.report(ex, c));
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    public static void main(String[] args) {
        // Jetty and Jedis log through SLF4J; sdj routes no SLF4J output (its own lines are
        // System.Logger's), so say so instead of letting SLF4J warn that it found no provider.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOPServiceProvider");
        }
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        boolean interactive = Term.stderrIsTerminal();
        Interrupts.install(() -> {
            out.flush();
            if (interactive) {
                err.println();
            }
            err.println("sdj: interrupted");
            err.flush();
        });
        System.exit(run(out, err, interactive, args));
    }

    /**
     * A single-value option given twice is a usage error, as picocli makes it everywhere but in
     * an {@code @ArgGroup} (generate's help sections), where the second one would silently
     * replace the whole section and drop the other options given in it.
     */
    private static void rejectRepeatedOptions(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (OptionSpec o : p.matchedOptions()) {
                if (!o.isMultiValue() && o.originalStringValues().size() > 1) {
                    throw new CommandLine.OverwrittenOptionException(p.commandSpec().commandLine(), o,
                            "option '" + o.longestName() + "' should be specified only once");
                }
            }
        }
    }

    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine c = ex.getCommandLine();
        String hint = "";
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            // picocli ranks by shared letter pairs, in declaration order on ties: an option that
            // extends what was typed (--step: --steps) goes first.
            String typed = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().getFirst();
            List<String> s = u.getSuggestions().stream()
                    .sorted(Comparator.comparing(o -> !o.startsWith(typed))).toList();
            if (!s.isEmpty()) {
                hint = " (did you mean " + String.join(" or ", s.subList(0, Math.min(3, s.size()))) + "?)";
            }
        }
        c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex.getMessage()) + hint
                + ". See '" + c.getCommandSpec().qualifiedName() + " --help'.");
        c.getErr().flush();
        return Failure.USAGE;
    }

    /** Prints a failure as one line (plus the stack trace with -v) and returns its exit code. */
    private int report(Exception ex, CommandLine c) {
        if (term != null) {
            term.endBar();
        }
        PrintWriter err = c.getErr();
        if (ex instanceof CancellationException && Interrupts.cancelledByInterrupt()) {
            return Failure.INTERRUPTED; // the SIGINT handler said "sdj: interrupted"
        }
        err.println(c.getCommandSpec().qualifiedName() + ": error: " + message(ex));
        if (verbosity() > 0) {
            ex.printStackTrace(err);
        }
        err.flush();
        return exitCode(ex);
    }

    static int exitCode(Throwable ex) {
        return switch (ex) {
            case Failure f -> f.exitCode();
            case CancellationException x -> Failure.INTERRUPTED;
            case InvalidModelFileException m ->
                    m.file() != null && Files.isReadable(m.file()) && Files.isRegularFile(m.file()) ? Failure.MODEL_LOAD : Failure.INPUT;
            case IllegalArgumentException x -> Failure.USAGE;
            case StableDiffusionException s -> switch (s.kind()) {
                case MODEL_LOAD_FAILED -> Failure.MODEL_LOAD;
                case GENERATION_FAILED, UPSCALE_FAILED, CONVERSION_FAILED, WORKER_CRASHED -> Failure.GENERATION;
                case LIBRARY_NOT_FOUND, LIBRARY_LOAD_FAILED -> 1;
            };
            default -> 1;
        };
    }

    static String message(Throwable ex) {
        if (ex instanceof StableDiffusionException s) {
            String first = s.getMessage().lines().findFirst().orElse("");
            return oneLine(first) + sdCppSaid(s);
        }
        if (ex instanceof UncheckedIOException u && u.getCause() != null) {
            return oneLine(u.getMessage());
        }
        String m = ex.getMessage();
        if (m == null || m.isBlank() || (!(ex instanceof Failure) && !(ex instanceof IllegalArgumentException)
                && !(ex instanceof CancellationException))) {
            m = ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        }
        return oneLine(m);
    }

    /** " (sd.cpp: last line it logged)" or "". */
    static String sdCppSaid(StableDiffusionException s) {
        List<String> log = s.nativeLog();
        return log.isEmpty() ? "" : " (sd.cpp: " + oneLine(log.getLast().strip()) + ")";
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** This build's sdjava version ("dev" when run from classes without Maven's resources). */
    static String sdjavaVersion() {
        try (InputStream in = Sdj.class.getResourceAsStream("sdj.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isBlank() && !v.contains("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "dev";
    }

    /** {@code sdj --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String native_;
            try {
                native_ = "stable-diffusion.cpp " + StableDiffusion.version() + " (commit " + StableDiffusion.commit() + ")";
            } catch (RuntimeException | LinkageError e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                native_ = "stable-diffusion.cpp: not loaded (" + why + ")";
            }
            return new String[] {"sdjava " + sdjavaVersion(), native_};
        }
    }
}
