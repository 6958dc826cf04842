package dev.sdjava.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * What every {@code sdj} command has: {@code --help} and {@code --version}, its options in the
 * order they are declared, stdout from its picocli command line (so tests can capture it) and
 * stderr from the root command, which knows {@code -v} and {@code -q}.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, sortOptions = false, usageHelpAutoWidth = true)
abstract class Subcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Sdj root;

    /** This command's stdout: results only. */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** This run's stderr: progress, notes, log lines. */
    Term term() {
        return root.term();
    }
}
